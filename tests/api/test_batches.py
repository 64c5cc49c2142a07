"""The ingestion door of the API, as a department system uses it: submit a file or JSON records,
follow the batch, download the rejected rows."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from tests.api.conftest import assert_error_shape
from xinyong.ingestion.models import Batch
from xinyong.records.models import Record
from xinyong.security.models import AuditEntry

BATCHES = "/api/v1/batches"
RECORDS = "/api/v1/batches/records"


def csv_upload(rows, name="feed.csv", encoding="utf-8"):
    headers = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(h, "") for h in headers])
    return SimpleUploadedFile(name, buf.getvalue().encode(encoding), content_type="text/csv")


def xlsx_upload(rows, name="feed.xlsx"):
    wb = Workbook()
    ws = wb.active
    headers = list(dict.fromkeys(k for r in rows for k in r))
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h, "") for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# ------------------------------------------------------------------ file upload
def test_upload_a_csv_stores_good_rows_and_reports_bad_ones(api_client, penalty_row, make_key):
    good, bad = penalty_row(), penalty_row(统一社会信用代码="91220101MA1234567X")
    response = api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload([good, bad])})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["total"], body["accepted"], body["rejected"]) == ("succeeded", 2, 1, 1)
    assert body["department"] == "220100-GSJ" and body["door"] == "api" and body["format"] == "csv"
    assert response["Location"] == f"/api/v1/batches/{body['batch']}" == body["url"]
    record = Record.objects.get()
    assert record.subject.uscc == good["统一社会信用代码"]
    batch = Batch.objects.get(public_id=body["batch"])
    assert record.batch_id == batch.id and batch.api_key.name == "案件系统"
    assert "案件系统" in batch.actor_label

    detail = api_client.get(body["url"]).json()
    assert detail["row_errors"] == [{"row": 3, "field": "统一社会信用代码", "message": detail["row_errors"][0]["message"]}]
    assert "校验位" in detail["row_errors"][0]["message"]
    assert detail["progress"]["final"] is True and detail["row_errors_truncated"] is False

    errors = api_client.get(body["errors_url"])
    assert errors.status_code == 200
    assert errors["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(errors.streaming_content).decode("utf-8-sig"))))
    assert rows[0]["【行号】"] == "3" and rows[0]["统一社会信用代码"] == "91220101MA1234567X"
    read = AuditEntry.objects.get(action="batch.errors.read")
    assert read.actor_type == "key" and read.object_id == str(batch.id) and read.department.code == "220100-GSJ"


def test_upload_an_xlsx(api_client, penalty_row):
    response = api_client.post(BATCHES, {"item": "penalty.gsj", "file": xlsx_upload([penalty_row(), penalty_row()])})
    assert response.status_code == 201, response.content
    assert (response.json()["format"], response.json()["accepted"]) == ("xlsx", 2)
    assert response.json()["errors_url"] is None
    assert Record.objects.count() == 2


def test_a_file_that_claims_to_be_xlsx_and_is_not_is_refused_and_nothing_is_stored(api_client, penalty_row):
    fake = SimpleUploadedFile("feed.xlsx", "行政相对人名称,统一社会信用代码\n某公司,91220101MA1234567X\n".encode(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = api_client.post(BATCHES, {"item": "penalty.gsj", "file": fake})
    body = assert_error_shape(response, 422, "not_xlsx")
    assert "XLSX" in body["message"]
    assert Record.objects.count() == 0
    assert Batch.objects.get().status == "failed"


def test_a_csv_without_required_columns_is_refused_with_the_columns_named(api_client):
    upload = SimpleUploadedFile("feed.csv", "行政相对人名称,备注\n某公司,无\n".encode(), content_type="text/csv")
    body = assert_error_shape(api_client.post(BATCHES, {"item": "penalty.gsj", "file": upload}), 422, "missing_columns")
    assert "统一社会信用代码" in body["message"] or "统一社会信用代码" in str(body["fields"])


def test_gbk_csv_is_accepted(api_client, penalty_row):
    response = api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload([penalty_row()], encoding="gbk")})
    assert response.status_code == 201 and response.json()["accepted"] == 1
    assert response.json()["encoding"] in ("gbk", "gb18030")


def test_replaying_the_same_upload_stores_nothing_twice(api_client, penalty_row):
    rows = [penalty_row(), penalty_row()]
    first = api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload(rows)}).json()
    second = api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload(rows)})
    assert second.status_code == 201
    body = second.json()
    assert (body["accepted"], body["unchanged"], body["rejected"]) == (0, 2, 0)
    assert body["duplicate_of"] == first["batch"]
    assert Record.objects.count() == 2


def test_another_systems_item_is_forbidden(api_client, penalty_row):
    # 一数一源: tax penalties are the tax bureaus' item, not market regulation's
    response = api_client.post(BATCHES, {"item": "penalty.sw", "file": csv_upload([penalty_row()])})
    body = assert_error_shape(response, 403, "not_item_owner")
    assert "一数一源" in body["message"]
    assert Batch.objects.count() == 0


def test_unknown_item_is_reported_on_the_item_field(api_client, penalty_row):
    body = assert_error_shape(api_client.post(BATCHES, {"item": "penalty.nope", "file": csv_upload([penalty_row()])}), 422, "unknown_item")
    assert "item" in body["fields"]


def test_missing_file_and_bad_mode_are_listed_field_by_field(api_client):
    body = assert_error_shape(api_client.post(BATCHES, {"item": "penalty.gsj", "mode": "delete"}), 422, "invalid_request")
    assert set(body["fields"]) == {"file", "mode"}
    assert "必填" in body["fields"]["file"] and "submit" in body["fields"]["mode"]


def test_correct_and_withdraw_through_the_api(api_client, penalty_row):
    row = penalty_row()
    api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload([row])})
    changed = dict(row, 处罚内容="罚款人民币3万元", **{"罚款金额（万元）": "3"})
    corrected = api_client.post(BATCHES, {"item": "penalty.gsj", "mode": "correct", "file": csv_upload([changed])})
    assert corrected.status_code == 201 and corrected.json()["accepted"] == 1
    assert Record.objects.get().version == 2
    withdrawn = api_client.post(BATCHES, {"item": "penalty.gsj", "mode": "withdraw", "file": csv_upload([dict(row, 撤销原因="复议撤销")])})
    assert withdrawn.json()["accepted"] == 1
    assert Record.objects.get().status == "withdrawn"


def test_large_files_go_to_the_background_and_can_be_polled(api_client, penalty_row, settings):
    from xinyong.ingestion.pipeline import batch_process

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.XINYONG = {**settings.XINYONG, "SYNC_MAX_BYTES": 0}
    response = api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload([penalty_row()])})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and response["Location"] == body["url"]
    assert api_client.get(body["url"]).json()["status"] == "queued"
    assert_error_shape(api_client.get(f"{body['url']}/errors"), 409, "batch_pending")
    batch_process(Batch.objects.get(public_id=body["batch"]))  # what `xinyong worker` does
    done = api_client.get(body["url"]).json()
    assert (done["status"], done["accepted"]) == ("succeeded", 1)


# ------------------------------------------------------------------ JSON records
def test_records_with_field_names_or_chinese_labels(api_client, penalty_row, uscc):
    labelled = penalty_row()
    by_name = {
        "subject_name": "吉林省某某建材有限公司", "subject_category": "法人及非法人组织", "uscc": uscc("220102"),
        "legal_rep": "王五", "decision_no": "长市监罚〔2026〕88号", "violation_type": "无照经营", "facts": "未取得营业执照从事经营",
        "basis": "《无证无照经营查处办法》第十三条", "penalty_category": "罚款", "content": "罚款人民币1万元", "fine": 1,
        "decision_date": "2026-11-03", "severity": "一般", "authority": "长春市市场监督管理局",
        "authority_uscc": "11220100MB1957950T", "source_unit": "长春市市场监督管理局", "source_unit_uscc": "11220100MB1957950T",
    }
    response = api_client.post_json(RECORDS, {"item": "penalty.gsj", "records": [labelled, by_name]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["accepted"], body["rejected"], body["format"], body["filename"]) == (2, 0, "ndjson", "records.ndjson")
    assert Record.objects.filter(batch__public_id=body["batch"]).count() == 2


def test_wrong_check_digits_in_records_are_row_errors_in_the_summary(api_client, penalty_row):
    response = api_client.post_json(RECORDS, {"item": "penalty.gsj", "records": [penalty_row(), penalty_row(统一社会信用代码="91220101MA1234567X")]})
    assert response.status_code == 201
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    detail = api_client.get(body["url"]).json()
    [error] = detail["row_errors"]
    assert (error["row"], error["field"]) == (2, "统一社会信用代码") and "校验位" in error["message"]


def test_replaying_the_same_records_stores_nothing_twice(api_client, penalty_row):
    payload = {"item": "penalty.gsj", "records": [penalty_row(), penalty_row()]}
    first = api_client.post_json(RECORDS, payload).json()
    again = api_client.post_json(RECORDS, payload).json()
    assert first["accepted"] == 2
    assert (again["accepted"], again["unchanged"], again["duplicate_of"]) == (0, 2, first["batch"])
    assert Record.objects.count() == 2


def test_malformed_json_body(api_client):
    body = assert_error_shape(api_client.post_json(RECORDS, '{"item": "penalty.gsj", "records": [}'), 400, "malformed_json")
    assert "JSON" in body["message"] and "第1行" in body["message"]


def test_non_utf8_body(api_client, penalty_row):
    raw = json.dumps({"item": "penalty.gsj", "records": [penalty_row()]}, ensure_ascii=False).encode("gbk")
    assert_error_shape(api_client.post_json(RECORDS, raw), 400, "body_not_utf8")
    assert Batch.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"item": "penalty.gsj", "records": {"行政相对人名称": "某公司"}}, "records"),
        ({"item": "penalty.gsj", "records": ["某公司"]}, "records.0"),
        ({"item": "penalty.gsj", "records": []}, "records"),
        ({"records": [{"a": 1}]}, "item"),
        ({"item": "penalty.gsj", "mode": "erase", "records": [{"a": 1}]}, "mode"),
    ],
    ids=["records-not-a-list", "record-not-an-object", "no-records", "no-item", "bad-mode"],
)
def test_records_body_that_does_not_match_the_schema(api_client, payload, field):
    body = assert_error_shape(api_client.post_json(RECORDS, payload), 422, "invalid_request")
    assert field in body["fields"], body
    assert Batch.objects.count() == 0


def test_too_many_records_is_refused_before_anything_is_stored(api_client, penalty_row, settings):
    settings.XINYONG = {**settings.XINYONG, "API_MAX_RECORDS": 3}
    body = assert_error_shape(api_client.post_json(RECORDS, {"item": "penalty.gsj", "records": [penalty_row() for _ in range(4)]}), 413, "too_many_records")
    assert "3" in body["message"] and "records" in body["fields"]
    assert Batch.objects.count() == 0


def test_records_for_another_systems_item_are_forbidden(api_client, penalty_row):
    assert_error_shape(api_client.post_json(RECORDS, {"item": "tax_rating", "records": [penalty_row()]}), 403, "not_item_owner")


# ------------------------------------------------------------------ reading batches
def test_another_departments_batch_is_not_found(api_client, client_for, make_key, penalty_row):
    body = api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload([penalty_row(), penalty_row(统一社会信用代码="91220101MA1234567X")])}).json()
    other = client_for(make_key("220200-GSJ", name="吉林市系统")[1])
    assert_error_shape(other.get(body["url"]), 404, "batch_not_found")
    assert_error_shape(other.get(body["errors_url"]), 404, "batch_not_found")
    assert other.get(BATCHES).json()["count"] == 0
    assert_error_shape(api_client.get(f"{BATCHES}/not-a-batch"), 404, "batch_not_found")


def test_batch_list_is_paginated_and_filtered(api_client, penalty_row, ingest):
    api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload([penalty_row()])})
    api_client.post_json(RECORDS, {"item": "penalty.gsj", "records": [penalty_row()]})
    ingest([penalty_row()], dept_code="220200-GSJ")  # another department's batch: never listed
    page = api_client.get(BATCHES, {"page_size": 1}).json()
    assert (page["count"], len(page["items"]), page["page"]) == (2, 1, 1)
    assert page["items"][0]["filename"] == "records.ndjson"  # newest first
    assert api_client.get(BATCHES, {"page": 2, "page_size": 1}).json()["items"][0]["filename"] == "feed.csv"
    assert api_client.get(BATCHES, {"item": "licensing.gsj"}).json()["count"] == 0
    assert api_client.get(BATCHES, {"status": "succeeded"}).json()["count"] == 2
    body = assert_error_shape(api_client.get(BATCHES, {"page_size": 1000}), 422, "invalid_request")
    assert "page_size" in body["fields"]


def test_error_file_of_a_clean_batch_is_not_found(api_client, penalty_row):
    body = api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload([penalty_row()])}).json()
    assert_error_shape(api_client.get(f"{body['url']}/errors"), 404, "no_row_errors")


def test_cli_batches_of_the_department_are_listed_too(api_client, ingest, penalty_row):
    ingest([penalty_row()])
    assert api_client.get(BATCHES).json()["items"][0]["door"] == "cli"



def test_a_body_over_the_size_limit_is_413(api_client, penalty_row, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024  # XINYONG_API_MAX_BODY_MB, made small
    records = [penalty_row() for _ in range(5)]
    assert_error_shape(api_client.post_json(RECORDS, {"item": "penalty.gsj", "records": records}), 413, "body_too_large")
    assert Batch.objects.count() == 0


def test_empty_body_and_broken_multipart(api_client):
    body = assert_error_shape(api_client.post_json(RECORDS, b""), 422, "invalid_request")
    assert "body" in body["fields"]
    broken = api_client.post(BATCHES, b"--no boundary here", content_type="multipart/form-data")
    assert_error_shape(broken, 400, "bad_request")
