"""Annual reports and the abnormal operations list with concrete dates (《企业信息公示暂行条例》
第八、十七条; 《企业经营异常名录管理暂行办法》第四、十一条; rules.yaml): the report of 2025 is due
from 1 January to 30 June 2026; who has not filed is listed when the 10-working-day window after
30 June closes — Tuesday 14 July 2026 (the Dragon Boat Festival, 19 June 2026, falls before the
deadline, so the window has no holiday); filing later is the application for removal, decided by
the department within 5 working days; after 3 years on the list: the serious violation list."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings

from xinyong.annualreports import services
from xinyong.annualreports.models import RemovalApplication
from xinyong.annualreports.rules import rules
from xinyong.catalog.models import Department
from xinyong.records.models import ChangeEvent
from xinyong.sanctions import selectors as sanction_selectors
from xinyong.sanctions.models import ListEntry
from xinyong.security.models import AuditEntry

from .helpers import enterprise, owner, report_data, system

pytestmark = pytest.mark.django_db


def file(subject, day, year=2025, **over):
    return services.annual_report_file(subject=subject, year=year, data=report_data(**over), door="portal", actor=owner(subject), day=day)


def abnormal(subject):
    return ListEntry.objects.filter(list_code="abnormal_operations", subject=subject)


def test_the_dates_of_the_2025_report():
    r = rules()
    assert (r.opens(2025), r.deadline(2025)) == (date(2026, 1, 1), date(2026, 6, 30))
    # 30 June 2026 is a Tuesday: 1-3, 6-10, 13, 14 July are the 10 working days
    assert r.listing_day(2025) == date(2026, 7, 14)
    assert r.due_year(date(2026, 7, 13)) == 2024 and r.due_year(date(2026, 7, 14)) == 2025


def test_filed_on_30_june_is_on_time_and_1_july_is_late():
    on_time, late = enterprise("准时公司"), enterprise("逾期公司")
    a = file(on_time, date(2026, 6, 30))
    b = file(late, date(2026, 7, 1))
    assert (a.late, b.late) == (False, True)
    assert (a.door, a.filed_on, a.year) == ("portal", date(2026, 6, 30), 2025)
    assert AuditEntry.objects.filter(action="annual_report.file", object_id=str(a.id), subject_id=on_time.id).exists()
    # a late filing before the window closes avoids the listing: neither is listed
    result = services.abnormal_list_missing(day=date(2026, 7, 14))
    assert result["year"] == 2025 and result["listed"] == 0
    assert not ListEntry.objects.filter(list_code="abnormal_operations").exists()


def test_not_filed_is_listed_when_the_window_closes_once_and_removed_after_filing():
    missing = enterprise("未报公司")
    filed = enterprise("已报公司")
    young = enterprise("新设公司", established=date(2026, 2, 1))  # established in 2026: first report is 2026's
    gone = enterprise("注销公司", status="注销")
    ngo = enterprise("某某协会", kind="social_organization")
    elsewhere = enterprise("吉林市未报公司", region="220202")
    file(filed, date(2026, 5, 6))

    assert services.abnormal_list_missing(day=date(2026, 7, 13))["listed"] == 0  # still inside the window (all established in 2025)
    assert not abnormal(missing).exists()
    result = services.abnormal_list_missing(day=date(2026, 7, 14))
    assert result["listed"] == 2 and result["departments"] == {"220102-GSJ": 1, "220202-GSJ": 1}
    assert not abnormal(filed).exists() and not abnormal(young).exists() and not abnormal(gone).exists() and not abnormal(ngo).exists()

    entry = abnormal(missing).get()
    region_dept = services.market_supervision_department("220102")
    assert entry.status == "listed" and entry.source == "designation" and entry.listed_on == date(2026, 7, 14) and entry.expires_on is None
    assert entry.designating_department == region_dept and "市场监督管理局" in region_dept.name
    assert "2025年度报告" in entry.reason and "第十七条" in entry.legal_basis and entry.decision_no and entry.remedies
    assert [(s.step, s.on) for s in entry.steps.all()] == [("decide", date(2026, 7, 14))]
    assert abnormal(elsewhere).get().designating_department.code.startswith("2202")
    # seen by the lists (public pages, credit file, check API read active_entries)
    assert [e.id for e in sanction_selectors.active_entries([missing.id], date(2026, 7, 14))[missing.id]] == [entry.id]
    assert ChangeEvent.objects.filter(entity="list_entry", entity_id=entry.id, op="ADD").count() == 1
    assert AuditEntry.objects.filter(action="list_entry.decide_scheduled").count() == 2

    # rerun (same day, next day): nobody listed twice
    assert services.abnormal_list_missing(day=date(2026, 7, 14))["listed"] == 0
    assert services.abnormal_list_missing(day=date(2026, 7, 15))["listed"] == 0
    assert abnormal(missing).count() == 1 and ChangeEvent.objects.filter(entity="list_entry").count() == 2

    # filed on Monday 3 August: late, and the application for removal; the department has until 10 August
    report = file(missing, date(2026, 8, 3))
    assert report.late
    application = RemovalApplication.objects.get(entry=entry)
    assert (application.status, application.applied_on, application.due_on, application.report) == ("pending", date(2026, 8, 3), date(2026, 8, 10), report)
    entry.refresh_from_db()
    assert entry.status == "listed"  # until the department decides
    services.removal_decide(application_id=application.id, approve=True, actor=system(), department=region_dept, day=date(2026, 8, 5))
    entry.refresh_from_db()
    assert entry.status == "removed" and entry.removed_on == date(2026, 8, 5) and entry.removal_kind == "repair"
    assert "已补报2025年度报告" in entry.removal_reason
    assert [s.step for s in entry.steps.all()] == ["decide", "remove"]
    assert sanction_selectors.active_entries([missing.id], date(2026, 8, 5)).get(missing.id, []) == []
    # and the job does not list it again for 2025
    assert services.abnormal_list_missing(day=date(2026, 8, 6))["listed"] == 0


@override_settings(XINYONG={**__import__("django.conf").conf.settings.XINYONG, "ANNUAL_REPORTS": {"AUTO_REMOVAL": True, "SERIOUS_AUTO_DECIDE": True}})
def test_automatic_removal_when_the_setting_says_so():
    subject = enterprise()
    services.abnormal_list_missing(day=date(2026, 7, 14))
    file(subject, date(2026, 9, 1))
    entry = abnormal(subject).get()
    assert entry.status == "removed" and entry.removed_on == date(2026, 9, 1)
    assert RemovalApplication.objects.get(entry=entry).status == "approved"


def test_removal_needs_every_missing_year_and_only_the_listing_department_decides():
    subject = enterprise(established=date(2023, 5, 1))
    services.abnormal_list_missing(day=date(2025, 7, 14))  # the 2024 report: listed in July 2025
    entry = abnormal(subject).get()
    assert entry.listed_on == date(2025, 7, 14) and "2024年度报告" in entry.reason
    # in 2026 the 2025 report is missing too: filing 2024's alone is not enough
    file(subject, date(2026, 8, 3), year=2024)
    assert not RemovalApplication.objects.exists()
    file(subject, date(2026, 8, 4), year=2025)
    application = RemovalApplication.objects.get()
    other = Department.objects.get(code="220202-GSJ")
    from xinyong.common.errors import Forbidden, InvalidInput

    with pytest.raises(Forbidden, match="只有该部门"):
        services.removal_decide(application_id=application.id, approve=True, actor=system(), department=other, day=date(2026, 8, 5))
    with pytest.raises(InvalidInput, match="不予移出须写明理由"):
        services.removal_decide(application_id=application.id, approve=False, actor=system(), department=entry.designating_department, day=date(2026, 8, 5))
    services.removal_decide(application_id=application.id, approve=True, actor=system(), department=None, staff=True, day=date(2026, 8, 5))
    entry.refresh_from_db()
    assert entry.status == "removed" and entry.steps.last().on_behalf is True


def test_three_years_on_the_list_moves_the_subject_to_the_serious_violation_list():
    subject = enterprise(legal_rep="王五")
    services.abnormal_list_missing(day=date(2026, 7, 14))
    focus = abnormal(subject).get()
    assert services.serious_escalate(day=date(2029, 7, 13))["proposed"] == 0  # 3 years end on 14 July 2029
    assert services.serious_escalate(day=date(2029, 7, 14))["proposed"] == 1
    serious = ListEntry.objects.get(list_code="serious_violation", subject=subject)
    assert serious.status == "notified" and serious.warning_entry == focus  # warning before punishment: the abnormal listing
    assert serious.persons == [{"role": "法定代表人", "name": "王五"}] and serious.designating_department == focus.designating_department
    assert "届满3年" in serious.reason and "2025年度报告" in serious.reason
    assert serious.statement_due == date(2029, 7, 20)  # 5 working days from Saturday 14 July 2029
    # idempotent; no decision inside the statement period
    assert services.serious_escalate(day=date(2029, 7, 20)) == {"proposed": 0, "decided": 0}
    assert services.serious_escalate(day=date(2029, 7, 21)) == {"proposed": 0, "decided": 1}
    serious.refresh_from_db()
    assert serious.status == "listed" and serious.listed_on == date(2029, 7, 21) and serious.expires_on == date(2032, 7, 20)
    assert [s.step for s in serious.steps.all()] == ["propose", "notify", "decide"]
    assert ListEntry.objects.filter(list_code="serious_violation").count() == 1


def test_a_statement_leaves_the_serious_decision_to_the_department():
    from xinyong.sanctions import services as sanction_services

    subject = enterprise()
    services.abnormal_list_missing(day=date(2026, 7, 14))
    services.serious_escalate(day=date(2029, 7, 16))
    serious = ListEntry.objects.get(list_code="serious_violation", subject=subject)
    sanction_services.entry_statement(actor=system(), entry_id=serious.id, department=serious.designating_department, statement="我公司已于近日补报", day=date(2029, 7, 17))
    assert services.serious_escalate(day=date(2029, 8, 1))["decided"] == 0
    serious.refresh_from_db()
    assert serious.status == "notified"


def test_the_daily_job_runs_by_name(time_machine):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from xinyong.common.schedule import load_jobs, run_job

    subject = enterprise()
    assert "annual_reports.daily" in load_jobs()
    time_machine.move_to(datetime(2026, 7, 14, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    run_job("annual_reports.daily")
    assert abnormal(subject).get().listed_on == date(2026, 7, 14)


def test_filing_during_the_statement_period_stops_the_automatic_serious_decision():
    subject = enterprise()
    services.abnormal_list_missing(day=date(2026, 7, 14))
    services.serious_escalate(day=date(2029, 7, 16))
    file(subject, date(2029, 7, 17))  # the 2025 report at last (and 2026–2028's below): an application for removal
    for year in (2026, 2027, 2028):
        file(subject, date(2029, 7, 17), year=year)
    assert RemovalApplication.objects.filter(status="pending").count() == 1
    assert services.serious_escalate(day=date(2029, 8, 1))["decided"] == 0
    assert ListEntry.objects.get(list_code="serious_violation", subject=subject).status == "notified"
