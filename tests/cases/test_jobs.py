"""The scheduled job cases.deadlines: a reminder before the deadline, escalation to the credit
centre once the deadline has passed, each once."""

from __future__ import annotations

from datetime import date

import pytest

from tests.cases.conftest import party_of
from xinyong.cases import selectors
from xinyong.cases.models import Case
from xinyong.common.schedule import run_job
from xinyong.redress import services
from xinyong.security.models import AuditEntry
from xinyong.security.services import Actor


def objection(record):
    case, _ = services.objection_submit(
        record_id=record.pk, applicant=services.Applicant(name="王五", contact="13800001111"), reasons="金额有误",
        actor=Actor("public", "公众申请人"), day=date(2026, 9, 15),
    )
    return case


def test_overdue_objection_is_escalated_to_the_credit_centre_by_the_job(firm, clock, staff):
    clock("2026-09-15")
    _, record = firm(decided="2026-05-10")
    case = objection(record)
    assert case.due_on == date(2026, 10, 8)
    centre = party_of(staff())

    clock("2026-10-08")  # the last day: not overdue yet
    assert run_job("cases.deadlines")["escalated"] == 0
    assert Case.objects.get(pk=case.pk).escalated_at is None

    clock("2026-10-09")
    assert run_job("cases.deadlines")["escalated"] == 1
    case.refresh_from_db()
    assert case.escalated_at is not None and case.is_open
    assert case.routes.filter(department__code="220000-FGW", role="joint").exists()
    assert case.events.filter(action="escalate", public=True).exists()
    assert AuditEntry.objects.filter(action="case.objection.escalate", object_id=str(case.pk)).exists()
    assert list(selectors.work_queue(centre, escalated=True)) == [case]
    # idempotent: the next run changes nothing
    assert run_job("cases.deadlines") == {"redated": 0, "reminded": 0, "escalated": 0}
    assert case.events.filter(action="escalate").count() == 1
    # the SLA figures count it as open and overdue for the source department
    row = next(r for r in selectors.sla_by_department(day=date(2026, 10, 9)) if r.department.code == "220100-GSJ")
    assert (row.open, row.overdue) == (1, 1)


def test_reminder_two_working_days_before_the_deadline_to_the_assignee(firm, clock, staff, django_capture_on_commit_callbacks):
    from xinyong.accounts.models import Notification
    from xinyong.cases.services import case_assign

    clock("2026-09-15")
    _, record = firm(decided="2026-05-10")
    case = objection(record)
    op = staff("220100-GSJ")
    case_assign(case=case, user=op, party=party_of(op), actor=Actor.for_user(op))

    # on 2026-09-28 the working days left up to 10-08 are 09-29, 09-30, 10-08 (National Day off):
    # 3, no reminder; on 2026-09-29 they are 2: reminded (reminder_working_days: 2)
    clock("2026-09-28")
    assert run_job("cases.deadlines")["reminded"] == 0
    clock("2026-09-29")
    assert run_job("cases.deadlines")["reminded"] == 1
    assert run_job("cases.deadlines")["reminded"] == 0  # once per deadline
    case.refresh_from_db()
    assert case.reminded_for == date(2026, 10, 8)
    assert case.events.get(action="remind").public is False
    assert Notification.objects.filter(user=op, title__startswith="办件即将到期").count() == 1


def test_sla_median_handling_time_in_working_days(firm, clock, staff):
    clock("2026-09-15")
    op = staff("220100-GSJ")
    party = party_of(op)
    actor = Actor.for_user(op)
    closed_days = [date(2026, 9, 16), date(2026, 9, 18), date(2026, 9, 22)]  # 1, 3 and 6 working days (09-20 worked)
    for day in closed_days:
        _, record = firm(decided="2026-05-10")
        services.objection_decide(case=objection(record), outcome="upheld", reply="维持。", party=party, actor=actor, day=day)
    _, record = firm(decided="2026-05-10")
    objection(record)
    row = next(r for r in selectors.sla_by_department(day=date(2026, 9, 20)) if r.department.code == "220100-GSJ")
    assert (row.open, row.overdue, row.closed, row.median_working_days) == (1, 0, 3, 3)


def test_the_credit_centre_joins_a_department_for_a_joint_verification(firm, clock, staff):
    from xinyong.cases.services import case_join
    from xinyong.catalog.models import Department
    from xinyong.common.errors import Forbidden

    clock("2026-09-15")
    _, record = firm(decided="2026-05-10")
    case = objection(record)
    sw, centre = staff("220100-SW"), staff()
    tax = Department.objects.get(code="220100-SW")
    with pytest.raises(Forbidden):
        case_join(case=case, department=tax, party=party_of(sw), actor=Actor.for_user(sw))
    assert list(selectors.work_queue(party_of(sw))) == []
    case_join(case=case, department=tax, party=party_of(centre), actor=Actor.for_user(centre), note="核实纳税情况")
    assert list(selectors.work_queue(party_of(sw))) == [case]
    assert selectors.case_for_staff(party_of(sw), case.pk) == case
    assert AuditEntry.objects.filter(action="case.objection.join").exists()


def test_a_deadline_counted_monday_to_friday_moves_when_its_years_holidays_are_added(firm, clock, tmp_path, monkeypatch):
    import os

    from xinyong.common import calendar as module

    path = tmp_path / "calendar.yaml"
    monkeypatch.setattr(module, "calendar_file", lambda: path)

    def holidays(text: str, stamp: int) -> None:  # the calendar in use (a test year's holidays)
        path.write_text(f"years:\n  2029:\n    off: [2029-01-01]\n{text}", encoding="utf-8")
        os.utime(path, ns=(stamp, stamp))

    holidays("", 1)
    clock("2029-12-20")
    _, record = firm(decided="2029-12-01")
    case, _ = services.objection_submit(
        record_id=record.pk, applicant=services.Applicant(name="王五", contact="13800001111"), reasons="金额有误",
        actor=Actor("public", "公众申请人"), day=date(2029, 12, 20),
    )
    assert case.due_on == date(2030, 1, 9)  # 20 days: a Wednesday, 2030's holidays not known
    assert run_job("cases.deadlines")["redated"] == 0

    holidays("  2030:\n    off: [2030-01-07..2030-01-11]\n", 2)  # the notice for 2030 is added
    clock("2029-12-27")
    assert run_job("cases.deadlines")["redated"] == 1
    case.refresh_from_db()
    assert case.due_on == date(2030, 1, 14)  # the next working day after the holidays
    event = case.events.get(action="redate")
    assert event.public and "2030-01-09" in event.note and "2030-01-14" in event.note
    assert AuditEntry.objects.filter(action="case.objection.redate", object_id=str(case.pk)).exists()
    assert run_job("cases.deadlines")["redated"] == 0  # once

    # a case whose state's rule has changed since it entered the state keeps its deadline
    Case.objects.filter(pk=case.pk).update(deadline_basis="15日（已修改的规则）")
    holidays("  2030:\n    off: [2030-01-07..2030-01-08]\n", 3)
    assert run_job("cases.deadlines")["redated"] == 0
    assert Case.objects.get(pk=case.pk).due_on == date(2030, 1, 14)


def test_a_case_in_a_state_since_removed_from_the_workflow_keeps_its_deadline(firm, clock):
    clock("2026-09-15")
    _, record = firm(decided="2026-05-10")
    case = objection(record)
    Case.objects.filter(pk=case.pk).update(state="retired_state")
    assert run_job("cases.deadlines")["redated"] == 0
    assert Case.objects.get(pk=case.pk).due_on == date(2026, 10, 8)
