"""Attachments of cases: checked by content, stored outside the web root.

What is accepted is decided by `xinyong.common.uploads.check_document` (PDF, JPEG and PNG by
their content; executables, active PDFs and broken images refused). Files are written under
`XINYONG["CASES"]["FILES_DIR"]` (not served by the web server) with a random name and no
extension, encrypted at rest (`common.filestore`); the views serve them only to the case's
parties, as downloads.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from xinyong.common import filestore
from xinyong.common.uploads import check_document

FIELD = "files"


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str
    stored_name: str


def config() -> dict:
    return settings.XINYONG["CASES"]


def files_dir() -> Path:
    path = Path(config()["FILES_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(upload) -> CheckedFile:
    """Check one uploaded file (Django UploadedFile; `common.uploads.check_document`) and store
    it; InvalidInput with the reason in Chinese (field "files") when it is refused. Nothing is
    kept of a refused file."""
    doc = check_document(upload, field=FIELD, max_bytes=config()["ATTACHMENT_MAX_MB"] * 1024 * 1024)
    stored = secrets.token_hex(20)
    filestore.write(files_dir() / stored, doc.data)
    return CheckedFile(doc.name, doc.content_type, len(doc.data), doc.sha256, stored)


def discard(stored_names: list[str]) -> None:
    """Remove stored files (their case was not saved)."""
    for stored in stored_names:
        (files_dir() / stored).unlink(missing_ok=True)


def stored_path(stored_name: str) -> Path:
    """Where a stored file is (read it with `common.filestore`: it is encrypted)."""
    if not re.fullmatch(r"[0-9a-f]{40}", stored_name):
        raise FileNotFoundError(stored_name)
    return files_dir() / stored_name
