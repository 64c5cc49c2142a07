"""Case attachments at rest (issue 7 item 6): an ID card copy given as evidence is encrypted on
disk, given back byte for byte with the headers of a download; an attachment stored before
encryption is still served; a tampered one gives a Chinese error page and a log line that names
the file, never its content."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from xinyong.cases import services
from xinyong.common import filestore
from xinyong.redress import services as redress
from xinyong.security.services import Actor

ID_NUMBER = "220102198807154417"
EVIDENCE = ("%PDF-1.4\n1 0 obj<</Title(居民身份证复印件 刘淑芬 " + ID_NUMBER + ")>>endobj\ntrailer<<>>\n%%EOF\n").encode()


@pytest.fixture
def attachment(firm, clock, upload):
    clock("2026-09-15")
    _, record = firm(decided="2026-05-10")
    case, _ = redress.objection_submit(record_id=record.pk, applicant=redress.Applicant(name="刘淑芬", contact="13800001111"), reasons="处罚对象不是本人",
                                       actor=Actor("public", "公众"), day=date(2026, 9, 15))
    services.case_message(case=case, party=services.APPLICANT, actor=Actor("public", "公众"), body="身份证复印件",
                          uploads=[upload("身份证复印件.pdf", EVIDENCE, "application/pdf")])
    att = case.attachments.get()
    return case, att, Path(settings.XINYONG["CASES"]["FILES_DIR"]) / att.stored_name


@pytest.fixture
def gsj(staff):
    browser = Client()
    browser.force_login(staff("220100-GSJ"))
    return browser


def url(case, att) -> str:
    return f"/dept/cases/{case.pk}/files/{att.public_id}/"


def test_the_evidence_is_encrypted_on_disk_and_downloaded_as_it_was(attachment, gsj):
    case, att, path = attachment
    raw = path.read_bytes()
    assert ID_NUMBER.encode() not in raw and "刘淑芬".encode() not in raw and b"%PDF" not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    download = gsj.get(url(case, att))
    assert download.status_code == 200 and b"".join(download.streaming_content) == EVIDENCE
    assert download["Content-Type"] == "application/pdf" and download["Content-Length"] == str(len(EVIDENCE))
    assert download["Content-Disposition"].startswith("attachment") and "filename*=utf-8''%E8%BA%AB" in download["Content-Disposition"]
    assert download["Cache-Control"] == "private, no-store" and download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_an_attachment_stored_before_encryption_is_still_served(attachment, gsj):
    case, att, path = attachment
    path.write_bytes(EVIDENCE)  # as written before this change
    download = gsj.get(url(case, att))
    assert download.status_code == 200 and b"".join(download.streaming_content) == EVIDENCE
    assert download["Content-Length"] == str(len(EVIDENCE))


def test_a_tampered_attachment_gives_an_error_page_and_a_log_line_without_content(attachment, gsj, caplog):
    case, att, path = attachment
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1][:50] + (b"A" if lines[1][50:51] != b"A" else b"B") + lines[1][51:]
    path.write_bytes(b"".join(lines))
    with caplog.at_level(logging.DEBUG):
        response = gsj.get(url(case, att))
    page = response.content.decode()
    assert response.status_code == 500 and "文件无法读取" in page and "Traceback" not in page
    assert "Content-Disposition" not in response and response["Cache-Control"] == "private, no-store"
    logged = [r for r in caplog.records if r.name == "xinyong.common.filestore"]
    assert [(r.levelname, r.file) for r in logged] == [("ERROR", att.stored_name)]
    assert all(ID_NUMBER not in f"{r.getMessage()} {r.__dict__}" and "刘淑芬" not in f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert filestore.is_sealed(path)
