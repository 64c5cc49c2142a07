"""The content of a credit report: the subject's public credit file as of the issuing moment,
as plain data, and its canonical bytes.

The credit file comes from `portal.selectors.credit_file` — the one definition of what the public
sees (the page /subjects/<uscc>/, the API and the report show the same facts). The snapshot adds
what makes it a report: its number, the issuing time, the day whose publication windows were
applied and the issuer. It is stored as canonical JSON (sorted keys, no insignificant spaces,
UTF-8, no ASCII escapes) and that exact text is hashed (SHA-256) and rendered.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from django.utils import timezone

from xinyong.catalog.registry import get_catalog
from xinyong.portal import selectors as portal_selectors

FORMAT = "xinyong.credit-report/1"
ISSUER = "吉林省公共信用信息平台（信用吉林）"


def build(subject, *, number: str, issued_at: datetime, day: date) -> dict:
    file = portal_selectors.credit_file(subject, day=day).as_dict()
    return {
        "format": FORMAT,
        "number": number,
        "issued_at": timezone.localtime(issued_at).isoformat(timespec="seconds"),
        "as_of": day.isoformat(),
        "issuer": ISSUER,
        "catalog_version": get_catalog().version,
        "file": file,
    }


def canonical(snapshot: dict) -> str:
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load(text: str) -> dict:
    return json.loads(text)
