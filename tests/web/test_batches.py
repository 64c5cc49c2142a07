"""Batch pages, the error file, and the dashboard (operator and credit centre)."""

import csv
import io
from datetime import timedelta

from django.utils import timezone

from xinyong.ingestion.models import Batch
from xinyong.records.models import Record
from xinyong.security.models import AuditEntry


def _bad_row(penalty_row):
    return penalty_row(统一社会信用代码="91220101MA1234567X")


def test_batch_page_lists_row_errors_and_how_to_fix(upload, penalty_row, op_client):
    upload([penalty_row(), _bad_row(penalty_row), penalty_row(处罚决定日期="2099-01-01")])
    batch = Batch.objects.get()
    html = op_client.get(f"/dept/batches/{batch.public_id}/").content.decode()
    assert "拒收的行" in html and "如何修改后重新上传" in html
    assert "校验位错误" in html and "晚于今天" in html
    assert f"/dept/batches/{batch.public_id}/errors.csv" in html
    assert "/dept/upload/?item=penalty.gsj&amp;mode=submit" in html


def test_error_file_download_is_audited_and_lists_every_rejected_row(upload, penalty_row, op_client):
    upload([penalty_row(), _bad_row(penalty_row)])
    batch = Batch.objects.get()
    response = op_client.get(f"/dept/batches/{batch.public_id}/errors.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 1 and rows[0]["【行号】"] == "3" and rows[0]["【错误字段】"] == "统一社会信用代码"
    entry = AuditEntry.objects.get(action="batch.errors.download")
    assert entry.object_id == str(batch.id) and entry.actor_label == "op-220100-GSJ"
    assert entry.department.code == "220100-GSJ"


def test_no_error_file_when_nothing_was_rejected(upload, penalty_row, op_client):
    upload([penalty_row()])
    batch = Batch.objects.get()
    assert op_client.get(f"/dept/batches/{batch.public_id}/errors.csv").status_code == 404
    assert not AuditEntry.objects.filter(action="batch.errors.download").exists()


def test_another_departments_batch_does_not_exist_for_an_operator(upload, penalty_row, operator, login, staff_client):
    upload([penalty_row(), _bad_row(penalty_row)])
    batch = Batch.objects.get()
    other = login(operator("220200-GSJ"))  # 吉林市 market regulation
    assert other.get(f"/dept/batches/{batch.public_id}/").status_code == 404
    assert other.get(f"/dept/batches/{batch.public_id}/errors.csv").status_code == 404
    assert not AuditEntry.objects.filter(action="batch.errors.download").exists()
    assert str(batch.public_id) not in other.get("/dept/").content.decode()
    # the credit centre sees it
    assert staff_client.get(f"/dept/batches/{batch.public_id}/").status_code == 200


def test_operator_dashboard_shows_batches_and_timeliness(upload, penalty_row, op_client):
    today = timezone.localdate()
    upload([penalty_row(处罚决定日期=today.isoformat()), penalty_row(处罚决定日期=(today - timedelta(days=60)).isoformat())])
    html = op_client.get("/dept/").content.decode()
    assert "长春市市场监督管理局 · 报送工作台" in html
    assert "近30天按时报送率" in html and "近90天按时报送率" in html
    # one on time (decided today), one late (decided 60 days ago): 50%
    assert Record.objects.filter(on_time=True).count() == 1
    assert "50.0%" in html and "2 条有报送时限的记录中 1 条按时、1 条逾期" in html
    assert "行政处罚信息" in html and "已完成" in html


def test_timeliness_counts_only_the_window(upload, penalty_row, op_client):
    upload([penalty_row(处罚决定日期=timezone.localdate().isoformat())])
    Record.objects.update(received_at=timezone.now() - timedelta(days=45))
    html = op_client.get("/dept/").content.decode()
    assert "近30天没有有报送时限的记录" in html
    assert "1 条有报送时限的记录中 1 条按时" in html  # within 90 days


def test_operator_filters_batches_by_status(upload, penalty_row, op_client):
    upload([penalty_row()])
    row = penalty_row()
    del row["行政处罚决定书文号"]
    upload([row], follow=False)
    failed = Batch.objects.get(status="failed")
    html = op_client.get("/dept/?status=failed").content.decode()
    assert f"/dept/batches/{failed.public_id}/" in html
    assert html.count("/dept/batches/") == 1


def test_staff_see_every_department_with_filters_and_an_overview(upload, penalty_row, operator, login, csv_file, staff_client):
    upload([penalty_row(), _bad_row(penalty_row)])
    jilin = login(operator("220200-GSJ"))
    jilin.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": csv_file([penalty_row(), penalty_row(), penalty_row()])})
    html = staff_client.get("/dept/").content.decode()
    assert "信用中心 · 报送工作台" in html and "各部门报送概况" in html
    assert "长春市市场监督管理局" in html and "吉林市市场监督管理局" in html
    assert "50.0%" in html  # 长春: 1 of 2 rows rejected
    changchun = Batch.objects.get(department__code="220100-GSJ")
    filtered = staff_client.get(f"/dept/?department={changchun.department_id}").content.decode()
    assert f"/dept/batches/{changchun.public_id}/" in filtered
    assert str(Batch.objects.get(department__code="220200-GSJ").public_id) not in filtered
    by_item = staff_client.get("/dept/?item=licensing.gsj").content.decode()
    assert "/dept/batches/" not in by_item.split("各部门报送概况")[0]


def test_cell_content_in_a_row_error_is_shown_escaped(upload, penalty_row, op_client):
    upload([penalty_row(行政相对人类别="<script>alert(1)</script>")])
    batch = Batch.objects.get()
    html = op_client.get(f"/dept/batches/{batch.public_id}/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)" in html  # (the reason quotes the first 20 characters)


def test_the_error_file_is_found_after_the_batches_folder_moved(upload, penalty_row, op_client, settings, tmp_path):
    """A batch keeps its error file's name, not a full path: a database restored beside the
    batch files in another folder (BATCH_DIR changed) still serves the download."""
    import shutil

    settings.XINYONG = {**settings.XINYONG, "BATCH_DIR": str(tmp_path / "batches")}  # this test's own folder
    upload([penalty_row(), _bad_row(penalty_row)])
    batch = Batch.objects.get()
    assert batch.error_file == batch.error_path.name and "/" not in batch.error_file
    assert batch.error_path.is_file() and tmp_path in batch.error_path.parents
    moved = tmp_path / "restored-batches"
    shutil.move(tmp_path / "batches", moved)
    settings.XINYONG = {**settings.XINYONG, "BATCH_DIR": str(moved)}
    assert "下载拒收行文件" in op_client.get(f"/dept/batches/{batch.public_id}/").content.decode()
    response = op_client.get(f"/dept/batches/{batch.public_id}/errors.csv")
    assert response.status_code == 200 and "统一社会信用代码" in b"".join(response.streaming_content).decode("utf-8-sig")
