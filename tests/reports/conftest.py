"""Fixtures for credit reports: an organization with public and non-public records sent through
the ingestion pipeline, reports issued through the page, and readers of the PDF (text with
pypdf, the first page as an image with pypdfium2, the QR code with zxing-cpp)."""

from __future__ import annotations

import io
import re

import pytest

from tests.portal.conftest import debtor_row, licensing_row, org, penalty, registration_row
from xinyong.records.models import Record
from xinyong.records.services import record_withdraw
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

NAME = "吉林省北辰食品有限公司"


@pytest.fixture
def firm(send, uscc):
    """An enterprise with public records, and records that must not be in its report."""
    code = uscc("220102")
    me = org(NAME, code, legal_rep="赵立新")
    send("registration.gsj", [registration_row(code)], "220100-GSJ")
    send("licensing.gsj", [licensing_row(me)], "220100-GSJ")
    send(
        "penalty.gsj",
        [
            penalty(me, "长市监罚〔2026〕1号", 失信严重程度="一般"),
            penalty(me, "长市监罚〔2026〕2号", 失信严重程度="轻微", 处罚类别="警告", 处罚内容="警告", **{"罚款金额（万元）": ""}),
            penalty(me, "长市监罚〔2024〕3号", 处罚决定日期="2024-02-01", 失信严重程度="一般"),  # period ended 2025-02-01
            penalty(me, "长市监罚〔2026〕4号", 失信严重程度="严重"),  # withdrawn below
            penalty(me, "长市监罚〔2026〕6号", 失信严重程度="一般"),  # under objection below
        ],
        "220100-GSJ",
    )
    send("dishonest_debtor", [debtor_row(NAME, code=code)], "220100-FY")
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕4号"), reason="复议撤销", actor=Actor.system("test"))
    Record.objects.filter(document_no="长市监罚〔2026〕6号").update(under_objection=True)
    return Subject.objects.get(uscc=code)


@pytest.fixture
def debtor(send, id_number):
    """An individual the law publishes (a dishonest judgment debtor)."""
    number = id_number("220102")
    send("dishonest_debtor", [debtor_row("王小明", id_number=number)], "220100-FY")
    return Subject.objects.get(kind="individual")


def issue(client, subject) -> tuple[bytes, str]:
    """Issue a report from the page; (the PDF, its number as stored)."""
    response = client.post("/reports/new", {"subject": subject.uscc})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return response.content, response["X-Report-Number"]


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Extracted text without the spaces and line breaks the extractor puts between glyphs."""
    return re.sub(r"\s+", "", text)


def qr_payloads(data: bytes) -> list[str]:
    """The QR codes found on the report's first page, rendered as a picture (as a phone sees it)."""
    import pypdfium2
    import zxingcpp

    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=3).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]

