"""A commitment signed on paper (issue 7 item 6): the document a department uploads is encrypted
on disk with the field keys and reads back whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinyong.commitments import services
from xinyong.common import filestore

from .helpers import officer, person

pytestmark = pytest.mark.django_db


def test_the_commitment_document_is_encrypted_at_rest(dept):
    someone, number = person("王小明")
    content = f"%PDF-1.4\n1 0 obj<</Title(承诺书 王小明 {number})>>endobj\ntrailer<<>>\n%%EOF\n".encode()
    zjt = dept("220100-ZJT")
    c = services.commitment_sign(subject=someone, template="licensing.approval", case_no="GR-2026-9", department=zjt, statement=True,
                                 door="department", actor=officer(zjt), document=services.Document("c.pdf", "application/pdf", content, "0" * 64))
    path = Path(c.document_path)
    raw = path.read_bytes()
    assert number.encode() not in raw and "王小明".encode() not in raw and b"%PDF" not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert filestore.read(path) == content
