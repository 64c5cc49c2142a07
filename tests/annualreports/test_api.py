"""POST /api/v1/annual-reports: a market supervision department's system files a report; the
responses match the OpenAPI document (tests/api's checked client); one error shape."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import CheckedClient
from xinyong.annualreports import services
from xinyong.annualreports.models import AnnualReport, RemovalApplication
from xinyong.api import api
from xinyong.catalog.models import Department
from xinyong.security.keys import apikey_create
from xinyong.security.services import Actor

from .helpers import enterprise

pytestmark = pytest.mark.django_db

CONTENT = {"address": "吉林省长春市南关区人民大街1号", "phone": "0431-88888888", "business_status": "开业", "employees": 12, "total_assets": "300.25", "publish_finances": True}


@pytest.fixture(autouse=True)
def _in_august(time_machine):
    time_machine.move_to(datetime(2026, 8, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


def client(code: str = "220102-GSJ", scopes=("ingest",)) -> CheckedClient:
    _, token = apikey_create(department=Department.objects.get(code=code), name="登记系统", scopes=scopes, actor=Actor.system("test"))
    return CheckedClient(api.get_openapi_schema(), token)


def test_a_registration_system_files_a_late_report_that_applies_for_removal():
    subject = enterprise(established=date(2024, 4, 1))
    services.abnormal_list_missing(day=date(2026, 7, 14))  # 2025 not filed (2024 neither: listed for 2025, the latest)
    c = client()
    r = c.post_json("/api/v1/annual-reports", {"uscc": subject.uscc, "year": 2024, "report": CONTENT})
    assert r.status_code == 201 and r.json()["late"] is True and r.json()["removal_application"] is False  # 2025 still missing
    r = c.post_json("/api/v1/annual-reports", {"uscc": subject.uscc, "year": 2025, "filed_on": "2026-07-31", "report": CONTENT})
    body = r.json()
    assert r.status_code == 201 and body["door"] == "api" and body["department"] == "220102-GSJ" and body["filed_on"] == "2026-07-31"
    assert body["removal_application"] is True and RemovalApplication.objects.get().applied_on == date(2026, 7, 31)
    report = AnnualReport.objects.get(subject=subject, year=2025)
    assert report.employees == 12 and str(report.total_assets) == "300.2500" and report.publish_finances


def test_errors_in_the_one_shape():
    subject = enterprise()
    c = client()
    r = c.post_json("/api/v1/annual-reports", {"uscc": subject.uscc, "year": 2025, "report": {**CONTENT, "phone": "abc", "business_status": ""}})
    assert r.status_code == 422 and r.json()["code"] == "invalid_report" and set(r.json()["fields"]) == {"phone", "business_status"}
    assert c.post_json("/api/v1/annual-reports", {"uscc": subject.uscc, "year": 2025, "report": CONTENT}).status_code == 201
    dup = c.post_json("/api/v1/annual-reports", {"uscc": subject.uscc, "year": 2025, "report": CONTENT})
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_report"
    unknown = c.post_json("/api/v1/annual-reports", {"uscc": "91220101MA0000000X", "year": 2025, "report": CONTENT})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_subject"
    future = c.post_json("/api/v1/annual-reports", {"uscc": subject.uscc, "year": 2024, "filed_on": "2027-01-01", "report": CONTENT})
    assert future.status_code == 422 and future.json()["fields"] == {"filed_on": "晚于今天"}
    other = client("220100-HBT").post_json("/api/v1/annual-reports", {"uscc": subject.uscc, "year": 2025, "report": CONTENT})
    assert other.status_code == 403 and other.json()["code"] == "not_registration_authority"
    no_scope = client(scopes=("catalog",)).post_json("/api/v1/annual-reports", {"uscc": subject.uscc, "year": 2025, "report": CONTENT})
    assert no_scope.status_code == 403 and no_scope.json()["code"] == "scope_missing"
    assert CheckedClient(api.get_openapi_schema()).post_json("/api/v1/annual-reports", {}).status_code == 401
