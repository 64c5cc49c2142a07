"""Real-name verification (实名核验) of portal account holders, behind a pluggable provider.

`settings.XINYONG["REALNAME_PROVIDER"]` names a class (dotted path) with
`verify(*, name, id_number, mobile) -> Verdict`. Production plugs in a licensed service (e.g. the
public security ID check plus a mobile operator's three-element check); development and tests use
`SimulatedProvider`, which is deterministic:

- the ID number must be a valid resident ID number (GB 11643: length, check digit, birth date,
  division code) — e.g. any number made by `xinyong.demo.codes.make_id_number` passes;
- the name must be 2–20 Chinese characters (a middle dot allowed) and must not contain "假";
- the mobile must be an 11-digit mainland number (1[3-9]xxxxxxxxx) and must not end in "0000".

The verdict's `reason` is for the audit trail only; people are shown one message for every
failure (see `services.REGISTRATION_REFUSED`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

from xinyong.subjects.identifiers import InvalidCode, clean_id_number

_NAME = re.compile(r"^[\u3400-\u9fff·]{2,20}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    reason: str = ""  # internal: never shown to the applicant


class SimulatedProvider:
    """Development and tests only: passes or fails by the rules in the module's docstring."""

    name = "simulated"

    def verify(self, *, name: str, id_number: str, mobile: str) -> Verdict:
        try:
            clean_id_number(id_number)
        except InvalidCode:
            return Verdict(False, "id_number")
        if not _NAME.match(name or "") or "假" in name:
            return Verdict(False, "name_mismatch")
        if not _MOBILE.match(mobile or "") or mobile.endswith("0000"):
            return Verdict(False, "mobile_mismatch")
        return Verdict(True)


@lru_cache(maxsize=4)
def _provider_class(path: str):
    return import_string(path)


def get_provider():
    return _provider_class(settings.XINYONG["REALNAME_PROVIDER"])()
