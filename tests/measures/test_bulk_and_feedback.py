"""Bulk checks (bidders' lists, subsidy screenings) and feedback (反馈): duplicates reported,
too many rows refused, files read; feedback idempotent by case and measure, a conflicting replay
refused, only measures that were answered."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import assert_error_shape
from xinyong.measures.models import BulkCheck, CheckHit, Feedback
from xinyong.security.models import AuditEntry

pytestmark = pytest.mark.django_db


def bulk(client, *, matter="tendering", case_no="ZB-2026-7", **body):
    return client.post_json("/api/v1/checks/bulk", {"matter": matter, "case_no": case_no, **body})


def test_a_bidders_list_is_checked_at_once_with_duplicates_reported(client_of, company, person, listed, uscc, on_day):
    black = company("失信投标人")
    listed(black, "serious_violation")
    clean = company("守法投标人")
    debtor, number = person()
    listed(debtor, "dishonest_debtors", dept_code="220100-FY")
    unknown = uscc("220104")
    with on_day():
        response = bulk(client_of("220000-CZT"), uscc=[clean.uscc, black.uscc, unknown, black.uscc], id_numbers=[number])
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["unique"], body["duplicates_count"], body["not_found"], body["with_measures"], body["clean"]) == (5, 4, 1, 1, 2, 2)
    assert body["duplicates"] == [{"code": black.uscc, "rows": ["uscc[1]", "uscc[3]"]}]
    assert [r["row"] for r in body["results"]] == ["uscc[1]", "id_numbers[0]"]
    assert {m["code"] for m in body["results"][0]["measures"]} == {"procurement_limit", "tendering_limit"}
    assert number not in response.content.decode()
    assert "其余2个未发现适用的奖惩措施" in body["conclusion"]
    row = BulkCheck.objects.get(public_id=body["bulk"])
    assert (row.total, row.unique, row.duplicates, row.with_measures, row.case_no, row.digest) == (5, 4, 1, 2, "ZB-2026-7", body["digest"])
    assert CheckHit.objects.filter(bulk=row).count() == 4


def test_a_bulk_check_with_one_bad_code_is_refused_with_its_position(client_of, company):
    good = company().uscc
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    body = assert_error_shape(bulk(client_of(), uscc=[good, bad, "X"]), 422, "invalid_codes")
    assert body["fields"]["uscc[1]"] == "统一社会信用代码校验位错误" and "uscc[2]" in body["fields"]
    assert "有2个代码无效" in body["message"]
    assert BulkCheck.objects.count() == 0


def test_more_rows_than_the_limit_are_refused_with_a_clear_message(client_of, company, settings):
    settings.XINYONG = {**settings.XINYONG, "CHECK_BULK_MAX": 3}
    code = company().uscc
    body = assert_error_shape(bulk(client_of(), uscc=[code] * 4), 413, "bulk_too_large")
    assert "最多3个主体" in body["message"]
    assert bulk(client_of(), uscc=[code] * 3).status_code == 200
    # a file too
    csv = "统一社会信用代码\n" + "\n".join([code] * 4) + "\n"
    response = client_of().post("/api/v1/checks/bulk/file", {"matter": "tendering", "case_no": "F", "file": SimpleUploadedFile("bidders.csv", csv.encode())})
    assert_error_shape(response, 413, "bulk_too_large")


def test_the_default_limit_is_one_hundred_thousand(settings):
    from xinyong.measures.services import bulk_limit

    assert bulk_limit() == 100_000


def test_a_bidders_file_in_xlsx_and_gbk_csv(client_of, company, listed, on_day):
    black = company()
    listed(black, "abnormal_operations")
    clean = company()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["投标人名称", "统一社会信用代码"])
    sheet.append(["甲公司", clean.uscc])
    sheet.append(["乙公司", black.uscc])
    buf = io.BytesIO()
    book.save(buf)
    client = client_of("220000-CZT")
    with on_day():
        response = client.post("/api/v1/checks/bulk/file", {"matter": "tendering", "case_no": "XLSX-1", "file": SimpleUploadedFile("bidders.xlsx", buf.getvalue())})
        assert response.status_code == 200, response.content
        assert [r["row"] for r in response.json()["results"]] == ["row:3"]
        gbk = f"名称,统一社会信用代码\n甲公司,{clean.uscc}\n乙公司,{black.uscc}\n".encode("gbk")
        response = client.post("/api/v1/checks/bulk/file", {"matter": "tendering", "case_no": "CSV-1", "file": SimpleUploadedFile("bidders.csv", gbk)})
        assert response.status_code == 200 and response.json()["with_measures"] == 1
        no_column = client.post("/api/v1/checks/bulk/file", {"matter": "tendering", "case_no": "CSV-2", "file": SimpleUploadedFile("x.csv", "名称\n甲公司\n".encode())})
        assert_error_shape(no_column, 422, "missing_columns")
    assert BulkCheck.objects.get(case_no="XLSX-1").filename == "bidders.xlsx"


# ---------------------------------------------------------------------- feedback
@pytest.fixture
def checked(client_of, company, listed, on_day):
    """A black-listed bidder checked by the finance department in case ZB-1."""
    bidder = company()
    listed(bidder, "serious_violation", listed_on=date(2026, 6, 1))
    client = client_of("220000-CZT")
    with on_day():
        response = client.post_json("/api/v1/checks", {"matter": "tendering", "case_no": "ZB-1", "uscc": bidder.uscc})
    return client, bidder, response.json()["check"]


def test_feedback_is_recorded_and_a_replay_returns_the_same_answer(checked):
    client, bidder, check_id = checked
    items = [{"measure": "tendering_limit", "applied": True, "outcome": "已取消其投标资格", "decided_on": "2026-11-21"}]
    first = client.post_json(f"/api/v1/checks/{check_id}/feedback", {"items": items})
    assert first.status_code == 200, first.content
    assert first.json()["items"][0]["applied"] is True and first.json()["case_no"] == "ZB-1"
    again = client.post_json(f"/api/v1/checks/{check_id}/feedback", {"items": items})
    assert again.status_code == 200 and again.json() == first.json()
    by_case = client.post_json("/api/v1/checks/feedback", {"case_no": "ZB-1", "uscc": bidder.uscc, "items": items})
    assert by_case.json() == first.json()
    assert Feedback.objects.count() == 1
    assert AuditEntry.objects.filter(action="measures.feedback").count() == 1


def test_a_conflicting_replay_is_refused_and_changes_nothing(checked):
    client, bidder, check_id = checked
    client.post_json(f"/api/v1/checks/{check_id}/feedback", {"items": [{"measure": "tendering_limit", "applied": True, "outcome": "已取消其投标资格"}]})
    response = client.post_json("/api/v1/checks/feedback", {"case_no": "ZB-1", "uscc": bidder.uscc, "items": [
        {"measure": "procurement_limit", "applied": True, "outcome": "已拒绝其参加采购"},
        {"measure": "tendering_limit", "applied": False, "outcome": "未实施"},
    ]})
    body = assert_error_shape(response, 409, "feedback_conflict")
    assert "items.1" in body["fields"]
    assert list(Feedback.objects.values_list("measure", "applied")) == [("tendering_limit", True)]


def test_feedback_only_for_answered_measures_own_checks_and_known_cases(checked, client_of, company):
    client, bidder, check_id = checked
    body = assert_error_shape(client.post_json(f"/api/v1/checks/{check_id}/feedback", {"items": [{"measure": "honour_ban", "applied": True, "outcome": "x"}]}), 422, "measure_not_triggered")
    assert "tendering_limit" in body["message"]
    other = client_of("220000-ZJT")
    assert_error_shape(other.post_json(f"/api/v1/checks/{check_id}/feedback", {"items": [{"measure": "tendering_limit", "applied": True, "outcome": "x"}]}), 404, "unknown_check")
    assert_error_shape(client.post_json("/api/v1/checks/feedback", {"case_no": "ZB-404", "uscc": bidder.uscc, "items": [{"measure": "tendering_limit", "applied": True, "outcome": "x"}]}), 404, "unknown_case")
    assert_error_shape(client.post_json(f"/api/v1/checks/{check_id}/feedback", {"items": [{"measure": "tendering_limit", "applied": True, "outcome": " "}]}), 422, "invalid_input")
    assert Feedback.objects.count() == 0


def test_feedback_for_a_bulk_check_by_case_number(client_of, company, listed, on_day):
    black = company()
    listed(black, "serious_violation")
    client = client_of("220000-CZT")
    with on_day():
        bulk(client, case_no="ZB-BULK", uscc=[black.uscc, company().uscc])
    response = client.post_json("/api/v1/checks/feedback", {"case_no": "ZB-BULK", "uscc": black.uscc, "items": [{"measure": "procurement_limit", "applied": True, "outcome": "资格审查不通过"}]})
    assert response.status_code == 200, response.content
    fb = Feedback.objects.get()
    assert fb.bulk is not None and fb.check_row is None and fb.matter == "tendering"
