"""Attachments: checked by content (PDF/JPEG/PNG only), size-limited, executables and active
PDFs refused, stored outside the web root, served only to the case's parties."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from tests.cases.conftest import PDF, PNG, party_of
from xinyong.cases import services
from xinyong.cases.models import CaseAttachment
from xinyong.common.errors import InvalidInput
from xinyong.redress import services as redress
from xinyong.security.services import Actor


@pytest.fixture
def case(firm, clock):
    clock("2026-09-15")
    _, record = firm(decided="2026-05-10")
    c, code = redress.objection_submit(record_id=record.pk, applicant=redress.Applicant(name="王五", contact="13800001111"), reasons="金额有误", actor=Actor("public", "公众"), day=date(2026, 9, 15))
    return c


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 100, "file_executable"),  # a Windows program named .pdf
        ("run.png", b"\x7fELF\x02\x01" + b"\x00" * 100, "file_executable"),
        ("script.jpg", b"#!/bin/sh\nrm -rf /\n", "file_executable"),
        ("evidence.pdf", b"<html><script>alert(1)</script></html>", "file_type"),  # not a PDF inside
        ("evidence.docx", b"PK\x03\x04" + b"\x00" * 100, "file_executable"),  # archives refused too
        ("active.pdf", b"%PDF-1.7\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n", "file_active_content"),
        ("empty.png", b"", "file_empty"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(case, upload, name, content, code):
    before = sorted(Path(settings.XINYONG["CASES"]["FILES_DIR"]).glob("*")) if Path(settings.XINYONG["CASES"]["FILES_DIR"]).exists() else []
    with pytest.raises(InvalidInput) as exc:
        services.case_message(case=case, party=services.APPLICANT, actor=Actor("public", "公众"), body="补充材料", uploads=[upload(name, content, "application/pdf")])
    assert exc.value.code == code
    assert "files" in exc.value.fields
    assert not case.messages.exists() and not case.attachments.exists()
    assert sorted(Path(settings.XINYONG["CASES"]["FILES_DIR"]).glob("*")) == before


def test_size_limit_from_settings(case, upload, settings):
    settings.XINYONG = {**settings.XINYONG, "CASES": {**settings.XINYONG["CASES"], "ATTACHMENT_MAX_MB": 1}}
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(InvalidInput) as exc:
        services.case_message(case=case, party=services.APPLICANT, actor=Actor("public", "公众"), body="补充", uploads=[upload("big.pdf", big, "application/pdf")])
    assert exc.value.code == "file_too_large" and "1 MB" in exc.value.message


def test_good_files_are_stored_outside_the_web_root_under_random_names(case, upload, staff):
    msg = services.case_message(case=case, party=services.APPLICANT, actor=Actor("public", "公众"), body="补充材料", uploads=[upload("缴款凭证.png", PNG, "image/png"), upload("../../etc/passwd.pdf", PDF, "text/plain")])
    files = list(CaseAttachment.objects.filter(message=msg).order_by("id"))
    assert [(f.name, f.content_type) for f in files] == [("缴款凭证.png", "image/png"), ("passwd.pdf", "application/pdf")]
    root = Path(settings.XINYONG["CASES"]["FILES_DIR"]).resolve()
    for f in files:
        stored = root / f.stored_name
        assert stored.exists() and "." not in f.stored_name
        assert not str(stored).startswith(str(Path(settings.STATIC_ROOT).resolve()))
    # staff of another department cannot write to the case
    other = staff("220100-SW")
    from xinyong.common.errors import Forbidden

    with pytest.raises(Forbidden):
        services.case_message(case=case, party=party_of(other), actor=Actor.for_user(other), body="不相干")
