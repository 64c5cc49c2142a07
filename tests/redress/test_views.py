"""The pages: objecting and applying for repair on the portal, following a case by receipt code,
the staff queue and actions; CSRF; another subject's case or attachment is not found."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.test import Client

from tests.cases.conftest import PDF, PNG
from xinyong.cases.models import Case
from xinyong.records.models import Record


def receipt_of(response) -> str:
    m = re.search(r'id="receipt-code">([A-Z0-9-]{19})<', response.content.decode())
    assert m, response.content.decode()[:2000]
    return m.group(1)


@pytest.fixture
def setup(firm, clock):
    clock("2026-09-28")
    subject, record = firm(decided="2026-05-10")
    return subject, record


def test_anyone_objects_to_a_public_record_and_follows_it_with_the_receipt_code(client, setup, upload):
    subject, record = setup
    page = client.get(f"/objections/new/{record.pk}/")
    assert page.status_code == 200 and "提出异议" in page.content.decode()
    response = client.post(f"/objections/new/{record.pk}/", {"name": "王五", "contact": "13800001111", "reasons": "罚款金额有误", "fields": ["content"], "files": [upload("凭证.png", PNG)]}, follow=True)
    assert response.status_code == 200
    code = receipt_of(response)
    case = Case.objects.get()
    assert Record.objects.get(pk=record.pk).under_objection
    assert case.attachments.count() == 1 and case.data["field_labels"] == ["处罚内容"]
    # the code is shown once
    again = client.get(f"/cases/{case.public_id}/filed/")
    assert code not in again.content.decode()
    # the portal marks the record
    assert "异议处理中" in client.get(f"/subjects/{subject.uscc}/").content.decode()
    # another browser: not found, until the receipt code is entered
    other = Client()
    assert other.get(f"/cases/{case.public_id}/").status_code == 404
    att = case.attachments.get()
    assert other.get(f"/cases/{case.public_id}/files/{att.public_id}/").status_code == 404
    assert other.post("/cases/track/", {"code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 400
    followed = other.post("/cases/track/", {"code": code.lower().replace("-", " ")}, follow=True)
    assert followed.status_code == 200 and "核查中" in followed.content.decode()
    download = other.get(f"/cases/{case.public_id}/files/{att.public_id}/")
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == PNG


def test_objection_form_refuses_bad_input_and_unknown_records(client, setup, upload):
    subject, record = setup
    bad = client.post(f"/objections/new/{record.pk}/", {"name": "王五", "contact": "138", "reasons": "有误", "files": [upload("x.pdf", b"MZ\x90\x00junk")]})
    assert bad.status_code == 422 and "不予接收" in bad.content.decode()
    assert not Case.objects.exists() and not Record.objects.get(pk=record.pk).under_objection
    missing = client.get("/objections/new/999999999/")
    assert missing.status_code == 404
    assert client.post("/objections/new/999999999/", {"reasons": "x"}).status_code == 404


def test_csrf_is_enforced_on_portal_and_staff_forms(setup, staff):
    subject, record = setup
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(f"/objections/new/{record.pk}/", {"name": "王五", "contact": "138", "reasons": "有误"}).status_code == 403
    assert not Case.objects.exists()
    browser.force_login(staff("220100-GSJ"))
    assert browser.post("/cases/track/", {"code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 403


def test_enterprise_applies_for_repair_and_staff_decide_on_the_pages(client, setup, account, staff, upload, clock):
    subject, record = setup
    user = account(subject)
    client.force_login(user)
    index = client.get("/repair/")
    assert index.status_code == 200 and "申请信用修复" in index.content.decode()
    form = client.get(f"/repair/new/{record.pk}/")
    assert "本主体郑重承诺" in form.content.decode()
    refused = client.post(f"/repair/new/{record.pk}/", {"statement": "已缴清罚款"})
    assert refused.status_code == 422
    assert "须阅读并签署信用承诺书" in refused.content.decode() and "请上传履行义务的证明材料" in refused.content.decode()
    done = client.post(f"/repair/new/{record.pk}/", {"statement": "已缴清罚款", "commitment": "on", "files": [upload("缴款.pdf", PDF)]}, follow=True)
    assert done.status_code == 200 and "回执码" in done.content.decode()
    case = Case.objects.get(kind="repair")
    assert case.due_on == date(2026, 10, 16)
    mine = client.get("/my/").content.decode()  # the account's home lists its applications
    assert case.title in mine and f"/cases/{case.public_id}/" in mine
    second = client.post(f"/repair/new/{record.pk}/", {"statement": "再次申请", "commitment": "on", "files": [upload("缴款.pdf", PDF)]})
    assert "已有一件信用修复申请正在办理" in second.content.decode()

    gsj = Client()
    gsj.force_login(staff("220100-GSJ"))
    queue = gsj.get("/dept/cases/")
    assert queue.status_code == 200 and case.title in queue.content.decode()
    page = gsj.get(f"/dept/cases/{case.pk}/")
    assert "认定部门审核意见" in page.content.decode()
    att = case.attachments.get()
    assert gsj.get(f"/dept/cases/{case.pk}/files/{att.public_id}/").status_code == 200
    assert gsj.post(f"/dept/redress/repair/{case.pk}/review/", {"decision": "agree", "opinion": "已核实。"}).status_code == 302

    sw = Client()
    sw.force_login(staff("220100-SW"))
    assert case.title not in sw.get("/dept/cases/").content.decode()
    assert sw.get(f"/dept/cases/{case.pk}/").status_code == 404
    assert sw.get(f"/dept/cases/{case.pk}/files/{att.public_id}/").status_code == 404
    assert sw.post(f"/dept/redress/repair/{case.pk}/decide/", {"decision": "approve", "reasons": "x"}).status_code == 404

    centre = Client()
    centre.force_login(staff())
    illegal = centre.post(f"/dept/redress/repair/{case.pk}/review/", {"decision": "agree", "opinion": "再审"})
    assert illegal.status_code == 409 and "不能执行" in illegal.content.decode()
    ok = centre.post(f"/dept/redress/repair/{case.pk}/decide/", {"decision": "approve", "reasons": "予以修复。"})
    assert ok.status_code == 302
    assert Record.objects.get(pk=record.pk).status == "repaired"
    assert "已修复" in client.get(f"/cases/{case.public_id}/").content.decode()
    sla = centre.get("/dept/cases/sla/")
    assert sla.status_code == 200 and "长春市市场监督管理局" in sla.content.decode()


def test_another_subjects_case_and_attachment_are_not_found(client, setup, firm, account, upload):
    subject, record = setup
    owner = account(subject, "owner")
    client.force_login(owner)
    client.post(f"/repair/new/{record.pk}/", {"statement": "已缴清罚款", "commitment": "on", "files": [upload("缴款.pdf", PDF)]})
    case = Case.objects.get()
    att = case.attachments.get()
    other_subject, other_record = firm(decided="2026-05-10")
    intruder = Client()
    intruder.force_login(account(other_subject, "intruder"))
    assert intruder.get(f"/cases/{case.public_id}/").status_code == 404
    assert intruder.get(f"/cases/{case.public_id}/files/{att.public_id}/").status_code == 404
    assert intruder.post(f"/cases/{case.public_id}/message/", {"body": "hi"}).status_code == 404
    assert intruder.post(f"/repair/{case.public_id}/cancel/").status_code == 404
    # and it may not apply to repair someone else's record: the same not-found page as a missing one
    foreign = intruder.get(f"/repair/new/{record.pk}/")
    missing = intruder.get("/repair/new/999999999/")
    assert foreign.status_code == missing.status_code == 404
    main = lambda r: r.content.decode().split('<main id="main"', 1)[1]  # noqa: E731 (the page body; the header links back to the path)
    assert main(foreign) == main(missing)
    assert Case.objects.get(pk=case.pk).is_open


def test_staff_decide_an_objection_with_a_correction_on_the_page(client, setup, staff):
    subject, record = setup
    client.post(f"/objections/new/{record.pk}/", {"name": "王五", "contact": "13800001111", "reasons": "处罚内容有误", "fields": ["content"]})
    case = Case.objects.get()
    gsj = Client()
    gsj.force_login(staff("220100-GSJ"))
    page = gsj.get(f"/dept/cases/{case.pk}/")
    assert "核查结论与书面答复" in page.content.decode() and "申请人对此有异议" in page.content.decode()
    empty = gsj.post(f"/dept/redress/objections/{case.pk}/decide/", {"outcome": "corrected", "reply": "更正。"})
    assert empty.status_code == 422 and "须填写更正后的内容" in empty.content.decode()
    ok = gsj.post(f"/dept/redress/objections/{case.pk}/decide/", {"outcome": "corrected", "reply": "已更正。", "change_content": "on", "field_content": "罚款人民币1万元"})
    assert ok.status_code == 302
    record.refresh_from_db()
    assert record.data["content"] == "罚款人民币1万元" and not record.under_objection
    detail = client.get(f"/cases/{case.public_id}/")
    assert "已更正。" in detail.content.decode() and "已办结" in detail.content.decode()


def test_a_replayed_form_files_once_and_filings_are_rate_limited(client, setup, settings):
    subject, record = setup
    form = client.get(f"/objections/new/{record.pk}/").content.decode()
    nonce = re.search(r'name="nonce" value="([^"]+)"', form).group(1)
    data = {"name": "王五", "contact": "13800001111", "reasons": "罚款金额有误", "nonce": nonce}
    first = client.post(f"/objections/new/{record.pk}/", data)
    again = client.post(f"/objections/new/{record.pk}/", data)
    case = Case.objects.get()
    assert first.status_code == again.status_code == 302
    assert again["Location"] == f"/cases/{case.public_id}/"
    settings.XINYONG = {**settings.XINYONG, "RATE_LIMITS": {**settings.XINYONG["RATE_LIMITS"], "case": "2/h"}}
    assert client.post(f"/objections/new/{record.pk}/", {**data, "nonce": "other-1"}).status_code == 302
    assert client.post(f"/objections/new/{record.pk}/", {**data, "nonce": "other-2"}).status_code == 429
    assert Case.objects.count() == 2


def test_a_deadline_in_a_year_whose_holidays_are_not_loaded_says_so(client, firm, clock, tmp_path, monkeypatch, staff):
    from xinyong.common import calendar as module

    (tmp_path / "calendar.yaml").write_text("years:\n  2029:\n    off: [2029-01-01]\n", encoding="utf-8")
    monkeypatch.setattr(module, "calendar_file", lambda: tmp_path / "calendar.yaml")  # 2030 not loaded
    clock("2029-12-20")
    _, record = firm(decided="2029-12-01")
    filed = client.post(f"/objections/new/{record.pk}/", {"name": "王五", "contact": "13800001111", "reasons": "罚款金额有误", "fields": ["content"]}, follow=True)
    case = Case.objects.get()
    assert case.due_on.year == 2030
    assert "2030年节假日安排尚未载入工作日历，暂按周一至周五计算" in filed.content.decode()
    clock("2030-01-02")
    staff_client = Client()
    staff_client.force_login(staff("220100-GSJ"))
    assert "2030年节假日安排尚未载入工作日历" in staff_client.get(f"/dept/cases/{case.pk}/").content.decode()
    assert "（暂按周一至周五计算）" in staff_client.get("/dept/cases/").content.decode()
