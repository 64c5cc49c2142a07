"""A commitment signed on paper (issue 7 item 6): the document a department uploads is encrypted
on disk with the field keys and reads back whole."""

from __future__ import annotations

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
    path = services.commitment_document_path(c)
    raw = path.read_bytes()
    assert number.encode() not in raw and "王小明".encode() not in raw and b"%PDF" not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert filestore.read(path) == content


def test_the_document_is_found_where_the_files_folder_is_now(dept, settings, tmp_path):
    """The commitment keeps the document's name, not a full path: a database restored beside the
    files in another folder (the setting changed) still finds it."""
    someone, _ = person("李小红")
    zjt = dept("220100-ZJT")
    content = b"%PDF-1.4\n%%EOF\n"
    c = services.commitment_sign(subject=someone, template="licensing.approval", case_no="GR-2026-10", department=zjt, statement=True,
                                 door="department", actor=officer(zjt), document=services.Document("c.pdf", "application/pdf", content, "0" * 64))
    old = services.commitment_document_path(c)
    assert c.document_path == old.name and "/" not in c.document_path
    moved = tmp_path / "restored-commitment-files"
    moved.mkdir()
    old.rename(moved / old.name)
    settings.XINYONG = {**settings.XINYONG, "COMMITMENTS": {**settings.XINYONG["COMMITMENTS"], "FILES_DIR": str(moved)}}
    c.refresh_from_db()
    assert filestore.read(services.commitment_document_path(c)) == content
    c.document_path = str(old)  # as an earlier version kept it: read by its name
    assert services.commitment_document_path(c) == moved / old.name
