"""Web upload (/dept/upload/): the same pipeline as the CLI, errors in the form, in Chinese."""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from openpyxl import load_workbook

from xinyong.ingestion.models import Batch
from xinyong.records.models import Record
from xinyong.security.models import AuditEntry


def test_upload_form_offers_only_the_departments_items(op_client):
    html = op_client.get("/dept/upload/").content.decode()
    assert 'value="penalty.gsj"' in html and 'value="licensing.gsj"' in html
    assert 'value="penalty.hbt"' not in html and 'value="dishonest_debtor"' not in html


def test_prefilled_item_and_mode_from_the_query_string(op_client):
    html = op_client.get("/dept/upload/?item=penalty.gsj&mode=correct").content.decode()
    assert 'value="penalty.gsj" selected' in html
    correct = html.split('value="correct"')[1].split(">")[0]
    assert "checked" in correct


def test_good_upload_is_processed_and_shows_the_batch(upload, penalty_row):
    bad = penalty_row(统一社会信用代码="91220101MA1234567X")
    response = upload([penalty_row(), penalty_row(), bad])
    assert response.status_code == 200
    batch = Batch.objects.get()
    assert response.redirect_chain[-1][0] == f"/dept/batches/{batch.public_id}/"
    assert (batch.door, batch.accepted, batch.rejected, batch.status) == ("web", 2, 1, "succeeded")
    assert batch.created_by.username == "op-220100-GSJ" and batch.actor_label == "op-220100-GSJ"
    html = response.content.decode()
    assert "接收 2 行，拒收 1 行" in html
    assert "校验位错误" in html  # the first row errors are listed
    assert Record.objects.filter(batch=batch).count() == 2
    assert AuditEntry.objects.filter(action="batch.submit", object_id=str(batch.id)).exists()


@pytest.mark.parametrize("name", ["处罚.pdf", "处罚.exe", "处罚"])
def test_wrong_file_type_is_refused_in_the_form_and_nothing_is_stored(op_client, name):
    response = op_client.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": SimpleUploadedFile(name, b"%PDF-1.4 not a table")})
    assert response.status_code == 400
    assert "不支持的文件类型" in response.content.decode()
    assert not Batch.objects.exists() and not Record.objects.exists()


def test_empty_file_is_refused_and_nothing_is_stored(op_client):
    response = op_client.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": SimpleUploadedFile("处罚.csv", b"")})
    assert response.status_code == 400
    assert "文件为空" in response.content.decode()
    assert not Batch.objects.exists()


def test_blank_file_is_refused_by_the_reader_check(op_client):
    response = op_client.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": SimpleUploadedFile("处罚.csv", b"   \r\n\r\n  ")})
    assert response.status_code == 400
    assert "文件为空" in response.content.decode()
    assert not Batch.objects.exists()


def test_a_file_named_xlsx_that_is_not_is_refused(op_client):
    response = op_client.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": SimpleUploadedFile("处罚.xlsx", "名称,代码\n甲,1\n".encode())})
    assert response.status_code == 400
    assert "内容不是 XLSX" in response.content.decode()
    assert not Batch.objects.exists()


def test_excel_97_files_get_a_what_to_do_message(op_client):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64
    response = op_client.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": SimpleUploadedFile("处罚.xls", ole)})
    assert "另存为 .xlsx" in response.content.decode()


def test_missing_file_and_item_are_reported(op_client):
    response = op_client.post("/dept/upload/", {"mode": "submit"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "请选择要上传的文件" in html and "请选择信息项" in html


def test_an_item_of_another_system_is_refused_with_the_reason_and_nothing_stored(upload, penalty_row):
    # a forged form: 长春市市场监督管理局 submitting the environment bureau's penalties
    response = upload([penalty_row()], item="penalty.hbt", follow=False)
    assert response.status_code == 400
    html = response.content.decode()
    assert "一数一源" in html and "不能报送" in html
    assert not Batch.objects.exists() and not Record.objects.exists()


def test_an_unknown_item_is_refused(upload, penalty_row):
    response = upload([penalty_row()], item="no.such.item", follow=False)
    assert response.status_code == 400
    assert "未知的信息项编码" in response.content.decode()
    assert not Batch.objects.exists()


def test_a_file_level_failure_is_shown_in_the_form_and_stores_no_record(upload, penalty_row):
    row = penalty_row()
    del row["行政处罚决定书文号"]
    response = upload([row], follow=False)
    assert response.status_code == 400
    html = response.content.decode()
    assert "缺少必填列" in html and "行政处罚决定书文号" in html
    batch = Batch.objects.get()
    assert batch.status == "failed"
    assert f"/dept/batches/{batch.public_id}/" in html  # the failed attempt is on record
    assert not Record.objects.exists()


def test_header_only_file_is_reported(op_client):
    f = SimpleUploadedFile("处罚.csv", "行政相对人名称,统一社会信用代码\n".encode())
    response = op_client.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": f})
    assert "只有表头" in response.content.decode()
    assert not Record.objects.exists()


def test_gbk_csv_from_an_old_system_is_accepted(op_client, csv_file, penalty_row):
    f = csv_file([penalty_row()], name="旧系统导出.csv", encoding="gbk")
    op_client.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": f})
    batch = Batch.objects.get()
    assert (batch.encoding, batch.accepted) == ("gb18030", 1)


def test_correction_through_the_upload_form(upload, penalty_row):
    row = penalty_row()
    upload([row])
    changed = dict(row, 处罚内容="罚款人民币3万元", **{"罚款金额（万元）": "3"})
    upload([changed], mode="correct")
    record = Record.objects.get()
    assert record.version == 2 and record.data["content"] == "罚款人民币3万元"
    assert Batch.objects.order_by("-id").first().mode == "correct"


@override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}})
def test_a_large_file_goes_to_the_background_queue_and_the_page_refreshes(upload, penalty_row, settings):
    settings.XINYONG = {**settings.XINYONG, "SYNC_MAX_BYTES": 10}
    response = upload([penalty_row()])
    batch = Batch.objects.get()
    assert batch.status == "queued"
    html = response.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "后台处理" in html and "排队等待处理" in html
    assert not Record.objects.exists()


def test_a_running_batch_shows_its_progress(upload, penalty_row, op_client):
    import json

    from xinyong.ingestion.pipeline import progress_path

    upload([penalty_row()])
    batch = Batch.objects.get()
    batch.status = "running"
    batch.save()
    progress_path(batch).write_text(json.dumps({"total": 12000, "accepted": 11990, "rejected": 10, "unchanged": 0, "to_review": 0}))
    html = op_client.get(f"/dept/batches/{batch.public_id}/").content.decode()
    assert "正在处理" in html and "已读取 12000 行" in html and "拒收 10" in html
    assert 'http-equiv="refresh"' in html
    batch.status = "succeeded"
    batch.save()
    assert 'http-equiv="refresh"' not in op_client.get(f"/dept/batches/{batch.public_id}/").content.decode()


def test_excel_template_download(op_client):
    response = op_client.get("/dept/templates/penalty.gsj.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    headers = [c.value for c in wb["数据"][1]]
    assert "行政处罚决定书文号" in headers and "统一社会信用代码" in headers
    assert "填写说明" in wb.sheetnames


def test_csv_template_download_and_unknown_item(op_client):
    response = op_client.get("/dept/templates/penalty.gsj.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("行政相对人名称")
    assert op_client.get("/dept/templates/no.such.xlsx").status_code == 404
    assert op_client.get("/dept/templates/penalty.gsj.pdf").status_code == 404


def test_the_downloaded_template_uploads_back(op_client, penalty_row):
    """刘科长's journey: download the template, fill a row, upload it."""
    from openpyxl import load_workbook as load

    wb = load(BytesIO(op_client.get("/dept/templates/penalty.gsj.xlsx").content))
    ws = wb["数据"]
    headers = [c.value for c in ws[1]]
    row = penalty_row()
    for col, h in enumerate(headers, start=1):
        ws.cell(row=2, column=col, value=row.get(h))
    out = BytesIO()
    wb.save(out)
    response = op_client.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": SimpleUploadedFile("模板.xlsx", out.getvalue())}, follow=True)
    batch = Batch.objects.get()
    assert (batch.format, batch.accepted, batch.rejected) == ("xlsx", 1, 0), batch.message
    assert "接收 1 行" in response.content.decode()
