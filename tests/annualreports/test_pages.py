"""The pages: an enterprise files and corrects its report in the portal (/my/annual-reports/),
the publicity shows the public part (telephone masked, the optional part only if chosen, "已更正"),
the credit file links to it; a market supervision department files a paper report and decides
removal applications (/dept/annual-reports/)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from xinyong.annualreports import services
from xinyong.annualreports.models import AnnualReport, RemovalApplication
from xinyong.sanctions.models import ListEntry

from .helpers import enterprise, report_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_may_2026(time_machine):
    time_machine.move_to(datetime(2026, 5, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


@pytest.fixture
def company_client(client, register, id_number):
    def make(**kw):
        subject = enterprise(**kw)
        account = register("organization", uscc=subject.uscc, name=subject.legal_rep, id_number=id_number())
        client.force_login(account.user)
        return subject

    return make


@pytest.fixture
def register(db):
    from xinyong.accounts.services import account_register

    def run(kind: str, **kw):
        kw.setdefault("mobile", "13900001234")
        kw.setdefault("username", f"firm{kw['uscc'][-6:]}")
        kw.setdefault("password", "Xinyong-portal-2026")
        return account_register(kind=kind, **kw)

    return run


def test_an_enterprise_files_and_corrects_its_report_and_the_public_sees_the_public_part(client, company_client):
    subject = company_client()
    page = client.get("/my/annual-reports/").content.decode()
    assert "尚未报送：2025年度" in page and 'href="/my/annual-reports/file/"' in page
    form = client.get("/my/annual-reports/file/").content.decode()
    assert 'for="id_phone"' in form and "企业选择是否公示" in form

    bad = client.post("/my/annual-reports/file/", {"year": "2025", **report_data(phone="12345", address="")})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "联系电话应为11位手机号码" in html and "须填写通信地址" in html
    assert not AnnualReport.objects.exists()

    done = client.post("/my/annual-reports/file/", {"year": "2025", **report_data(publish_finances="")})
    assert done.status_code == 302
    report = AnnualReport.objects.get(subject=subject)
    assert (report.year, report.door, report.late, report.filed_on, report.publish_finances) == (2025, "portal", False, date(2026, 5, 6), False)

    public = client.get(f"/subjects/{subject.uscc}/annual-reports/").content.decode()
    assert "2025年度报告" in public and "139****5678" in public and "13912345678" not in public
    assert "企业选择不公示" in public and "1200.5" not in public and "已更正" not in public
    assert f'href="/subjects/{subject.uscc}/annual-reports/"' in client.get(f"/subjects/{subject.uscc}/").content.decode()

    fix = client.post("/my/annual-reports/2025/correct/", {**report_data(address="吉林省长春市朝阳区新地址8号", publish_finances="on"), "reason": "地址变更"})
    assert fix.status_code == 302
    report.refresh_from_db()
    assert report.corrections == 1 and report.address == "吉林省长春市朝阳区新地址8号"
    assert report.correction_history.get().changes["address"][1] == "吉林省长春市朝阳区新地址8号"
    public = client.get(f"/subjects/{subject.uscc}/annual-reports/").content.decode()
    assert "已更正" in public and "新地址8号" in public and "1200.5" in public  # now published by choice
    # nothing left to file
    assert "目前没有需要报送的年度报告" in client.get("/my/annual-reports/").content.decode()


def test_the_portal_form_needs_a_verified_enterprise_account(client, django_user_model):
    assert client.get("/my/annual-reports/file/").status_code == 302  # to the login page
    staff = django_user_model.objects.create_user(username="someone", password="Xinyong-test-2026")
    client.force_login(staff)
    assert client.get("/my/annual-reports/file/").status_code == 403


def test_the_publicity_of_an_unknown_code_is_the_credit_file_404(client):
    assert client.get("/subjects/91220101MA0000000X/annual-reports/").status_code == 404
    assert client.get("/subjects/<script>/annual-reports/").status_code == 404


def test_a_department_files_a_paper_report_and_decides_the_removal(client, operator):
    subject = enterprise(established=date(2023, 1, 5))
    services.abnormal_list_missing(day=date(2025, 7, 14))  # not filed for 2024
    entry = ListEntry.objects.get(list_code="abnormal_operations", subject=subject)
    client.force_login(operator("220102-GSJ"))
    page = client.post("/dept/annual-reports/file/", {"uscc": subject.uscc, "year": "2024", "day": "2026-05-06", **report_data()})
    assert page.status_code == 302
    report = AnnualReport.objects.get(subject=subject)
    assert report.door == "department" and report.late and report.department.code == "220102-GSJ"
    application = RemovalApplication.objects.get(entry=entry)
    index = client.get("/dept/annual-reports/").content.decode()
    assert subject.name in index and "2026-05-12" in index  # 5 working days from 6 May 2026: 7, 8, Saturday 9 (worked), 11, 12
    # a duplicate paper report is refused on the year
    again = client.post("/dept/annual-reports/file/", {"uscc": subject.uscc, "year": "2024", **report_data()})
    assert again.status_code == 409 and "不能重复报送" in again.content.decode()
    client.post(f"/dept/annual-reports/applications/{application.id}/decide/", {"decision": "approve"})
    entry.refresh_from_db()
    assert entry.status == "removed"


def test_another_system_cannot_file_on_behalf_nor_decide(client, operator):
    subject = enterprise(established=date(2023, 1, 5))
    services.abnormal_list_missing(day=date(2025, 7, 14))
    services.annual_report_file(subject=subject, year=2024, data=report_data(), door="portal", actor=__import__("tests.annualreports.helpers", fromlist=["owner"]).owner(subject), day=date(2026, 5, 6))
    application = RemovalApplication.objects.get()
    client.force_login(operator("220100-HBT"))
    assert client.get("/dept/annual-reports/file/").status_code == 403
    assert client.post(f"/dept/annual-reports/applications/{application.id}/decide/", {"decision": "approve"}).status_code == 403
    application.refresh_from_db()
    assert application.status == "pending"


def test_the_department_menu_shows_annual_reports_to_market_supervision_only(client, operator):
    client.force_login(operator("220102-GSJ"))
    assert 'href="/dept/annual-reports/"' in client.get("/dept/annual-reports/").content.decode()
    client.force_login(operator("220100-HBT"))
    page = client.get("/dept/lists/").content.decode()
    assert 'href="/dept/annual-reports/"' not in page
