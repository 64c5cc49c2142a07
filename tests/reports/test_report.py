"""The credit report (公共信用信息报告) as a citizen gets it: a PDF that opens, names the subject,
carries its number, code and QR code, embeds its Chinese font, and holds exactly the public
credit file of its issuing day."""

from __future__ import annotations

import hashlib
import io
import re

from django.utils import timezone
from pypdf import PdfReader

from tests.reports.conftest import NAME, flat, issue, pdf_text, qr_payloads
from xinyong.reports import codes, pdf, snapshot
from xinyong.reports.models import CreditReport
from xinyong.security.models import AuditEntry


def test_the_pdf_names_the_subject_and_carries_number_code_and_issuing_time(client, firm):
    data, number = issue(client, firm)
    assert data.startswith(b"%PDF-")
    report = CreditReport.objects.get(number=number)
    text = flat(pdf_text(data))
    assert "公共信用信息报告" in text
    assert NAME in text and firm.uscc in text
    shown = codes.show_number(number)
    assert text.count(shown) >= 2  # the first page and every page's header and footer
    code = re.search(r"验证码([0-9A-Z]{4}-[0-9A-Z]{4})", text).group(1)
    assert codes.code_hash(number, code.replace("-", "")) == report.code_hash
    issued = timezone.localtime(report.issued_at)
    assert f"{issued.year}年{issued.month}月{issued.day}日{issued:%H:%M:%S}" in text
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert pages == report.pages and f"第1页共{pages}页" in text
    assert "不是信用评价、信用评级，也不是无违法违规证明" in text  # what it is not, on every page


def test_what_is_recorded_matches_what_was_handed_out(client, firm):
    data, number = issue(client, firm)
    report = CreditReport.objects.get(number=number)
    assert report.subject == firm
    assert report.pdf_sha256 == hashlib.sha256(data).hexdigest() and report.pdf_bytes == len(data)
    assert report.content_sha256 == hashlib.sha256(report.content.encode("utf-8")).hexdigest()
    content = snapshot.load(report.content)
    assert snapshot.canonical(content) == report.content  # stored in canonical form
    assert content["number"] == number and content["file"]["basics"]["name"] == NAME
    assert content["as_of"] == timezone.localdate().isoformat()


def test_the_stored_snapshot_accounts_for_every_byte_of_the_pdf(client, firm):
    """Rendering the stored snapshot again, with the code printed on the report, gives the very
    same file: the platform knows exactly what it handed out without keeping the file."""
    data, number = issue(client, firm)
    report = CreditReport.objects.get(number=number)
    code = re.search(r"验证码([0-9A-Z]{4}-[0-9A-Z]{4})", flat(pdf_text(data))).group(1).replace("-", "")
    again = pdf.render(
        snapshot.load(report.content),
        code=code,
        verify_url=f"http://testserver/verify/?n={number}&c={code}",
        verify_page="http://testserver/verify/",
    )
    assert hashlib.sha256(again.data).hexdigest() == report.pdf_sha256


def test_the_chinese_font_is_embedded(client, firm):
    data, _ = issue(client, firm)
    reader = PdfReader(io.BytesIO(data))
    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and "/FontFile2" in descriptor.get_object():
                    embedded.add(str(descendant.get_object()["/BaseFont"]))
    assert any("NotoSansSC-Regular" in name for name in embedded), embedded
    assert any("NotoSansSC-Bold" in name for name in embedded), embedded
    # subset on embedding: a report carries the glyphs it uses, not the whole font
    assert len(data) < 600_000


def test_the_qr_code_opens_this_reports_verification(client, firm):
    data, number = issue(client, firm)
    payloads = qr_payloads(data)
    assert len(payloads) == 1
    url = payloads[0]
    assert re.fullmatch(rf"http://testserver/verify/\?n={number}&c=[0-9A-Z]{{8}}", url), url
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    assert "报告真实" in response.content.decode()


def test_the_qr_code_uses_the_configured_public_address(client, firm, settings):
    settings.XINYONG = {**settings.XINYONG, "REPORTS": {**settings.XINYONG["REPORTS"], "PUBLIC_URL": "https://www.jilincredit.example"}}
    data, number = issue(client, firm)
    assert qr_payloads(data)[0].startswith(f"https://www.jilincredit.example/verify/?n={number}&c=")
    assert "https://www.jilincredit.example/verify/" in flat(pdf_text(data))


def test_only_public_records_inside_their_period_are_in_the_report(client, firm):
    data, _ = issue(client, firm)
    text = flat(pdf_text(data))
    assert "长市监罚〔2026〕1号" in text  # a general penalty of this month
    assert "长市监许〔2026〕11号" in text  # a licence
    assert "（2026）吉0102执123号" in text  # the courts' list of dishonest judgment debtors
    assert "长市监罚〔2026〕2号" not in text  # minor (警告): never published
    assert "长市监罚〔2024〕3号" not in text  # publication period ended 2025-02-01
    assert "长市监罚〔2026〕4号" not in text  # withdrawn
    assert "异议处理中" in text  # 长市监罚〔2026〕6号 is shown, and marked
    assert "吉林省长春市南关区人民大街1000号" in text  # registration basics: the address


def test_the_report_holds_what_the_credit_file_page_shows(client, firm):
    """One definition of "the public credit file": the report's facts are the page's facts."""
    page = client.get(f"/subjects/{firm.uscc}/").content.decode()
    _, number = issue(client, firm)
    content = snapshot.load(CreditReport.objects.get(number=number).content)
    documents = {f["document_no"] for s in content["file"]["sections"] for f in s["facts"]}
    assert documents == {"长市监罚〔2026〕1号", "长市监罚〔2026〕6号", "长市监许〔2026〕11号", "（2026）吉0102执123号"}
    for document in documents:
        assert document in page


def test_a_subject_with_nothing_public_gets_a_report_that_says_so(client, send, uscc):
    from tests.portal.conftest import registration_row
    from xinyong.subjects.models import Subject

    code = uscc("220102")
    send("registration.gsj", [registration_row(code, 主体名称="吉林省清白商贸有限公司")], "220100-GSJ")
    data, _ = issue(client, Subject.objects.get(uscc=code))
    text = flat(pdf_text(data))
    assert "吉林省清白商贸有限公司" in text
    assert "报告出具时，该主体没有公示中的行政处罚信息（双公示）。" in text
    assert "报告出具时，该主体不在公示中的信用名单上。" in text


def test_a_name_with_a_character_outside_the_embedded_set_still_renders(client, send, uscc):
    """A rare character falls back to the PDF standard CJK font (no empty box, no error)."""
    from tests.portal.conftest import registration_row
    from xinyong.subjects.models import Subject

    rare = "㐂"  # CJK Extension A: not in GB 2312
    assert ord(rare) not in pdf.covered_chars()
    code = uscc("220102")
    send("registration.gsj", [registration_row(code, 主体名称=f"吉林省{rare}福商贸有限公司")], "220100-GSJ")
    data, _ = issue(client, Subject.objects.get(uscc=code))
    assert b"STSong-Light" in data
    assert f"吉林省{rare}福商贸有限公司" in flat(pdf_text(data))


def test_issuing_is_audited_without_the_requesters_address_in_clear(client, firm):
    _, number = issue(client, firm)
    entry = AuditEntry.objects.get(action="report.issue")
    assert entry.object_id == number and entry.subject_id == firm.id and entry.actor_type == "public"
    assert entry.ip is None
    report = CreditReport.objects.get(number=number)
    assert report.requester_hash and "127.0.0.1" not in report.requester_hash
    assert entry.detail["pdf_sha256"] == report.pdf_sha256


def test_report_numbers_are_random_not_a_sequence(client, firm):
    numbers = [issue(client, firm)[1] for _ in range(3)]
    today = timezone.localdate().strftime("%Y%m%d")
    for number in numbers:
        assert re.fullmatch(rf"JL{today}[0-9A-HJKMNP-TV-Z]{{10}}", number), number
    tails = [n[10:] for n in numbers]
    assert len(set(tails)) == 3
    # no common prefix beyond chance, nothing counting up
    assert len({t[:4] for t in tails}) == 3


def test_times_on_the_report_are_beijing_time(client, firm):
    """Stored times are UTC; the report prints them as the site does (UTC+8)."""
    from xinyong.records.selectors import data_as_of

    data, _ = issue(client, firm)
    updated = timezone.localtime(data_as_of())
    assert timezone.localtime(updated).utcoffset().total_seconds() == 8 * 3600
    assert f"数据更新至{updated.year}年{updated.month}月{updated.day}日{updated:%H:%M:%S}" in flat(pdf_text(data))


def test_the_credit_file_page_offers_the_report_for_organizations_only(client, firm, debtor):
    page = client.get(f"/subjects/{firm.uscc}/").content.decode()
    assert f'href="/reports/new?subject={firm.uscc}"' in page and "出具信用报告" in page
    person_page = client.get(f"/subjects/p/{debtor.public_id}/").content.decode()
    assert "出具信用报告" not in person_page
