"""Own credit reports: free self-reports per calendar year for individuals (Art. 17 of the
credit reporting regulation: twice a year), across a year boundary with concrete dates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from xinyong.accounts.services import QuotaExhausted, self_report_issue
from xinyong.reports.models import CreditReport
from xinyong.security.models import AuditEntry
from xinyong.security.services import Actor

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _issue(account, subject, when):
    return self_report_issue(account=account, subject=subject, actor=Actor.for_user(account.user), requester="203.0.113.5", site_url="https://www.jilincredit.example", at=when)


def test_two_free_reports_per_calendar_year_across_new_year(person_with_file, register):
    subject, number = person_with_file()
    account = register("individual", id_number=number)
    first = _issue(account, subject, datetime(2026, 3, 2, 9, 0, tzinfo=SH))
    assert first.left == 1
    assert _issue(account, subject, datetime(2026, 12, 31, 23, 30, tzinfo=SH)).left == 0
    with pytest.raises(QuotaExhausted) as refused:
        _issue(account, subject, datetime(2026, 12, 31, 23, 59, 59, tzinfo=SH))
    assert "2026年" in refused.value.message and "2027年1月1日起" in refused.value.message
    # 2026-12-31 16:10 UTC is already 2027-01-01 in Jilin: a new year, two new free reports
    assert _issue(account, subject, datetime(2026, 12, 31, 16, 10, tzinfo=ZoneInfo("UTC"))).left == 1
    assert CreditReport.objects.filter(subject=subject).count() == 3
    assert AuditEntry.objects.filter(action="report.issue", subject_id=subject.id).count() == 3


def test_the_page_says_clearly_when_the_free_reports_are_used(client, person_with_file, register, settings):
    settings.XINYONG = {**settings.XINYONG, "FREE_SELF_REPORTS_PER_YEAR": 1}
    subject, number = person_with_file()
    account = register("individual", id_number=number)
    client.force_login(account.user)
    page = client.get("/my/report/").content.decode()
    assert "剩余免费次数：<strong>1</strong>" in page
    pdf = client.post("/my/report/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    again = client.post("/my/report/")
    html = again.content.decode()
    assert again.status_code == 403 and "免费本人信用报告已用完" in html and "不提供付费报告" in html
    assert "生成并下载" not in html  # nothing more to download, nothing paid offered
    after = client.get("/my/report/").content.decode()
    assert "已用完" in after and "生成并下载" not in after


def test_organizations_have_no_quota(client, firm, register, id_number, settings):
    settings.XINYONG = {**settings.XINYONG, "FREE_SELF_REPORTS_PER_YEAR": 0}
    company = firm()
    account = register("organization", uscc=company.uscc, name="赵立新", id_number=id_number())
    client.force_login(account.user)
    response = client.post("/my/report/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert CreditReport.objects.get(subject=company).door == "web"


def test_no_file_no_report(client, register, id_number):
    account = register("individual", id_number=id_number())
    client.force_login(account.user)
    assert "暂不能出具信用报告" in client.post("/my/report/").content.decode()
    assert not CreditReport.objects.exists()


def test_the_public_report_page_still_refuses_individuals(client, person_with_file):
    subject, _ = person_with_file()
    response = client.get(f"/reports/new?subject=p-{subject.public_id}")
    assert response.status_code == 422
