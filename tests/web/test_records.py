"""The department's own records: list, record page with lineage and history, withdrawal."""

import re

from django.test import Client

from xinyong.ingestion.models import Batch
from xinyong.records.models import ChangeEvent, Record, RecordHistory
from xinyong.security.models import AuditEntry


def record_links(html: str) -> int:
    return len(re.findall(r'href="/dept/records/\d+/"', html))


def _person_row(penalty_row, number, name="王小明"):
    return penalty_row(行政相对人名称=name, 行政相对人类别="自然人", 统一社会信用代码="", 法定代表人="", 证件号码=number)


def test_records_list_filters_and_pages(upload, penalty_row, op_client):
    upload([penalty_row(处罚决定日期="2026-01-05"), penalty_row(处罚决定日期="2026-03-10"), penalty_row(处罚决定日期="2026-06-20")])
    html = op_client.get("/dept/records/").content.decode()
    assert record_links(html) == 3
    march = op_client.get("/dept/records/?decided_from=2026-02-01&decided_to=2026-04-30").content.decode()
    assert record_links(march) == 1 and "2026-03-10" in march
    assert record_links(op_client.get("/dept/records/?item=licensing.gsj").content.decode()) == 0
    assert record_links(op_client.get("/dept/records/?status=withdrawn").content.decode()) == 0
    bad = op_client.get("/dept/records/?decided_from=2026-05-01&decided_to=2026-01-01")
    assert "结束日期早于开始日期" in bad.content.decode()


def test_records_list_is_paginated(upload, penalty_row, op_client):
    upload([penalty_row() for _ in range(55)])
    first = op_client.get("/dept/records/").content.decode()
    assert "第 1 / 2 页，共 55 条" in first and "?page=2" in first
    assert record_links(op_client.get("/dept/records/?page=2").content.decode()) == 5


def test_record_page_shows_content_lineage_and_history(upload, penalty_row, op_client):
    row = penalty_row()
    upload([row])
    upload([dict(row, 处罚内容="罚款人民币3万元", **{"罚款金额（万元）": "3"})], mode="correct")
    record = Record.objects.get()
    html = op_client.get(f"/dept/records/{record.id}/").content.decode()
    assert row["行政处罚决定书文号"] in html and row["统一社会信用代码"] in html
    assert "罚款人民币3万元" in html
    # lineage: department, batch, row, received time, document number
    latest = Batch.objects.order_by("-id").first()
    assert "长春市市场监督管理局" in html and f"/dept/batches/{latest.public_id}/" in html
    assert "批次行号" in html and "接收时间" in html and record.received_at.astimezone().strftime("%Y-%m-%d") in html
    # history: the replaced version 1
    assert "变更历史" in html and "v1" in html and "更正" in html
    assert "/dept/upload/?item=penalty.gsj&amp;mode=correct" in html
    # reading a public record of an organization is not audited
    assert not AuditEntry.objects.filter(action="record.view").exists()


def test_withdraw_a_record_with_a_reason(upload, penalty_row, op_client):
    upload([penalty_row()])
    record = Record.objects.get()
    response = op_client.post(f"/dept/records/{record.id}/withdraw/", {"reason": "决定已被复议机关撤销"}, follow=True)
    assert response.status_code == 200
    assert "记录已撤销" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "withdrawn" and record.version == 2
    history = RecordHistory.objects.get(record=record)
    assert (history.action, history.reason, history.actor_label) == ("withdraw", "决定已被复议机关撤销", "op-220100-GSJ")
    assert ChangeEvent.objects.filter(entity_id=record.id, op="DEL").count() == 1
    entry = AuditEntry.objects.get(action="record.withdraw")
    assert entry.object_id == str(record.id) and entry.detail["reason"] == "决定已被复议机关撤销"
    # a withdrawn record cannot be withdrawn again and the form is gone
    html = op_client.get(f"/dept/records/{record.id}/").content.decode()
    assert "撤销该记录" not in html and "已撤销" in html
    again = op_client.post(f"/dept/records/{record.id}/withdraw/", {"reason": "再次"})
    assert again.status_code == 400 and "已撤销或已修复" in again.content.decode()


def test_withdraw_requires_a_reason(upload, penalty_row, op_client):
    upload([penalty_row()])
    record = Record.objects.get()
    response = op_client.post(f"/dept/records/{record.id}/withdraw/", {"reason": "   "})
    assert response.status_code == 400
    assert "请填写撤销原因" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "active"


def test_withdraw_is_a_post_protected_by_csrf(upload, penalty_row, operator):
    upload([penalty_row()])
    record = Record.objects.get()
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator("220100-GSJ", username="liu"))
    assert client.get(f"/dept/records/{record.id}/withdraw/").status_code == 405
    forged = client.post(f"/dept/records/{record.id}/withdraw/", {"reason": "伪造的请求"})
    assert forged.status_code == 403
    record.refresh_from_db()
    assert record.status == "active"
    # the real form carries the token and works
    page = client.get(f"/dept/records/{record.id}/")
    token = page.context["csrf_token"]
    ok = client.post(f"/dept/records/{record.id}/withdraw/", {"reason": "决定已撤销", "csrfmiddlewaretoken": str(token)})
    assert ok.status_code == 302
    record.refresh_from_db()
    assert record.status == "withdrawn"


def test_another_departments_record_does_not_exist_for_an_operator(upload, penalty_row, operator, login, staff_client):
    upload([penalty_row()])
    record = Record.objects.get()
    other = login(operator("220200-GSJ"))
    assert other.get(f"/dept/records/{record.id}/").status_code == 404
    assert other.post(f"/dept/records/{record.id}/withdraw/", {"reason": "越权"}).status_code == 404
    assert record_links(other.get("/dept/records/").content.decode()) == 0
    record.refresh_from_db()
    assert record.status == "active"
    # the credit centre can read it but not withdraw it (only the department that sent it can)
    assert staff_client.get(f"/dept/records/{record.id}/").status_code == 200
    refused = staff_client.post(f"/dept/records/{record.id}/withdraw/", {"reason": "中心撤销"})
    assert refused.status_code == 400 and "只能撤销本部门报送的记录" in refused.content.decode()
    record.refresh_from_db()
    assert record.status == "active"


def test_an_individuals_record_is_masked_and_reading_it_is_audited(upload, penalty_row, id_number, op_client):
    number = id_number("220102")
    upload([_person_row(penalty_row, number)])
    record = Record.objects.get()
    html = op_client.get(f"/dept/records/{record.id}/").content.decode()
    assert number not in html
    assert number[:6] + "********" + number[-4:] in html
    assert "王*明" in html and "王小明" not in html
    entry = AuditEntry.objects.get(action="record.view")
    assert entry.object_id == str(record.id) and entry.subject_id == record.subject_id
    listing = op_client.get("/dept/records/").content.decode()
    assert number not in listing and "王小明" not in listing
    assert AuditEntry.objects.get(action="record.list").detail["records"] == [record.id]


def test_html_in_a_subject_name_is_shown_escaped(upload, penalty_row, op_client, staff_client):
    name = '<script>alert("x")</script>长春<b>有限公司</b>'
    upload([penalty_row(行政相对人名称=name)])
    record = Record.objects.get()
    for client in (op_client, staff_client):
        for url in ("/dept/records/", f"/dept/records/{record.id}/"):
            html = client.get(url).content.decode()
            assert "<script>alert" not in html and "<b>有限公司" not in html
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;长春&lt;b&gt;有限公司&lt;/b&gt;" in html


def test_reading_a_record_that_is_not_public_is_audited(upload, penalty_row, op_client):
    upload([penalty_row(), penalty_row()])
    public, restricted = Record.objects.order_by("id")
    Record.objects.filter(pk=restricted.pk).update(disclosure="authorized")  # e.g. a tax rating
    op_client.get(f"/dept/records/{public.id}/")
    assert not AuditEntry.objects.filter(action="record.view").exists()
    html = op_client.get(f"/dept/records/{restricted.id}/").content.decode()
    assert "授权查询" in html
    entry = AuditEntry.objects.get(action="record.view")
    assert (entry.object_id, entry.detail["disclosure"], entry.actor_label) == (str(restricted.id), "authorized", "op-220100-GSJ")
