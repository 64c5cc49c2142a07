"""/verify/ and the verification API: a genuine report is confirmed and shown as it was issued;
a tampered file, an unknown number and a wrong code each get a clear Chinese answer — and an
unknown number answers exactly like a wrong code, so that numbers cannot be probed."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.reports.conftest import flat, issue, pdf_text
from xinyong.records.models import Record
from xinyong.records.services import record_withdraw
from xinyong.reports import codes
from xinyong.security.services import Actor


def code_of(data: bytes) -> str:
    return re.search(r"验证码([0-9A-Z]{4}-[0-9A-Z]{4})", flat(pdf_text(data))).group(1)


def notice(response) -> str:
    """The result box of the verification page, as a person reads it."""
    html = response.content.decode()
    match = re.search(r'<div class="notice[^"]*" role="status">(.*?)</div>', html, flags=re.DOTALL)
    assert match, html[:2000]
    return re.sub(r"<[^>]+>|\s+", "", match.group(1))


def tampered(data: bytes) -> bytes:
    """One byte changed inside the document's text (a digit of a date, say)."""
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


@pytest.fixture
def issued(client, firm):
    data, number = issue(client, firm)
    return data, number, code_of(data)


def test_a_genuine_report_is_confirmed_and_its_content_shown(client, issued):
    data, number, code = issued
    response = client.get("/verify/", {"n": number, "c": code.replace("-", "")})
    assert response.status_code == 200
    assert notice(response).startswith("报告真实：")
    html = response.content.decode()
    assert codes.show_number(number) in html
    assert "吉林省北辰食品有限公司" in html and "长市监罚〔2026〕1号" in html and "异议处理中" in html


def test_numbers_and_codes_are_accepted_as_people_type_them(client, issued):
    _, number, code = issued
    shown = codes.show_number(number).lower().replace("-", " ")
    full_width = code.translate(str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZ-", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＶＷＸＹＺ－"))
    response = client.post("/verify/", {"number": f"  {shown} ", "code": full_width})
    assert notice(response).startswith("报告真实：")


def test_the_original_file_is_confirmed_unaltered(client, issued):
    data, number, code = issued
    response = client.post("/verify/", {"number": number, "code": code, "file": SimpleUploadedFile("报告.pdf", data, "application/pdf")})
    assert response.status_code == 200
    text = notice(response)
    assert text.startswith("报告真实，文件未被改动：") and "完全一致" in text


def test_a_file_with_one_byte_changed_is_caught(client, issued):
    data, number, code = issued
    response = client.post("/verify/", {"number": number, "code": code, "file": SimpleUploadedFile("报告.pdf", tampered(data), "application/pdf")})
    assert response.status_code == 200
    text = notice(response)
    assert text.startswith("文件已被改动：") and "与平台出具的原件不一致" in text
    assert "长市监罚〔2026〕1号" in response.content.decode()  # what the genuine one contained, to compare


def test_an_unknown_number_and_a_wrong_code_get_the_same_answer(client, issued):
    _, number, code = issued
    other = codes.new_number(date.today())
    wrong_code = "ZZZZ-ZZZZ" if code != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    unknown = client.get("/verify/", {"n": other, "c": code})
    wrong = client.get("/verify/", {"n": number, "c": wrong_code})
    assert unknown.status_code == wrong.status_code == 404
    assert notice(unknown) == notice(wrong)
    assert notice(wrong).startswith("未能核验：未找到与该报告编号和验证码相符的报告")
    assert "吉林省北辰食品有限公司" not in wrong.content.decode()


def test_malformed_input_is_answered_in_chinese_not_with_an_error_page(client, issued):
    _, number, _ = issued
    for n, c in [("not a number", "K7M3-Q9X2"), (number, "<script>"), ("JL-2026' OR 1=1 --", "x" * 25)]:
        response = client.get("/verify/", {"n": n, "c": c})
        assert response.status_code == 422
        assert "格式不正确" in notice(response)
        assert "<script>" not in response.content.decode()
    empty = client.post("/verify/", {"number": "", "code": ""})
    assert empty.status_code == 422 and "这个字段是必填项" in empty.content.decode()


def test_the_report_still_shows_what_it_contained_after_a_record_is_withdrawn(client, issued, firm):
    _, number, code = issued
    record_withdraw(record=Record.objects.get(document_no="长市监罚〔2026〕1号"), reason="复议撤销", actor=Actor.system("test"))
    assert "长市监罚〔2026〕1号" not in client.get(f"/subjects/{firm.uscc}/").content.decode()
    response = client.get("/verify/", {"n": number, "c": code})
    assert notice(response).startswith("报告真实：")
    assert "长市监罚〔2026〕1号" in response.content.decode()


def test_the_plain_form_needs_no_input_and_is_labelled(client, db):
    response = client.get("/verify/")
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("number", "code", "file"):
        assert f'<label for="id_{field}">' in html and f'id="id_{field}"' in html
    assert 'role="status"' not in html


def test_verification_is_rate_limited_per_client(client, issued, settings):
    _, number, code = issued
    settings.XINYONG = {**settings.XINYONG, "RATE_LIMITS": {**settings.XINYONG["RATE_LIMITS"], "verify": "3/m"}}
    answers = [client.get("/verify/", {"n": number, "c": "AAAA-AAAA"}).status_code for _ in range(3)]
    assert answers == [404, 404, 404]
    throttled = client.get("/verify/", {"n": number, "c": code})
    assert throttled.status_code == 429 and "访问过于频繁" in throttled.content.decode()
    assert int(throttled["Retry-After"]) > 0
