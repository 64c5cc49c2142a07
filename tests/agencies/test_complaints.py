"""Complaints about credit service agencies, on the case machinery, with concrete dates:
filed → replied within the deadline; overdue across the National Day holiday → escalated to the
credit centre; substantiated → a negative record about the agency through the ingestion
pipeline, its lineage pointing at the complaint. The complainant is never shown publicly."""

from __future__ import annotations

from datetime import date

import pytest

from tests.agencies.conftest import GOV_USCC, JRB, RMYH, actor_of, party_of
from xinyong.agencies import services
from xinyong.cases import selectors as case_selectors
from xinyong.cases.models import Case
from xinyong.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.common.schedule import run_job
from xinyong.records.models import Record
from xinyong.security.models import AuditEntry
from xinyong.security.services import Actor

PUBLIC = Actor("public", "公众申请人")
COMPLAINANT = services.Complainant(name="孙晓梅", contact="13812345678")
FACTS = "该机构以“信用修复”为名收取费用 3000 元，承诺删除不良记录，至今未办理。"


def file(agency, *, day=date(2026, 9, 14), complainant=COMPLAINANT, **kw):
    args = {"service": agency.business_types[0], "facts": FACTS, "demand": "退还费用"}
    args.update(kw)
    return services.complaint_file(agency_id=agency.pk, complainant=complainant, actor=PUBLIC, day=day, **args)


RECORD = {
    "decision_no": "吉金罚〔2026〕7号", "violation_type": "虚假承诺信用修复服务", "facts": "以信用修复为名收取费用并作虚假承诺",
    "basis": "《吉林省社会信用条例》", "penalty_category": "警告", "content": "警告", "decision_date": "2026-10-09",
    "severity": "一般", "authority_uscc": GOV_USCC, "legal_rep": "赵立新",
}


@pytest.fixture
def consulting(org_subject, register, clock):
    clock("2026-09-01")
    return register(org_subject("吉林省长信信用管理咨询有限公司"), types=["credit_consulting"], dept=JRB)


def test_complaint_replied_within_the_deadline(consulting, staff, clock, django_capture_on_commit_callbacks):
    from xinyong.accounts.models import Notification

    clock("2026-09-14")
    case, code = file(consulting)
    # 15 working days on the calendar: the National Day week off, Saturday 10-10 a make-up working day
    assert (case.kind, case.state, case.due_on) == ("complaint", "handling", date(2026, 10, 10))
    assert case.holder.code == JRB and case.department.code == JRB and case.subject_id == consulting.subject_id
    assert code not in case.receipt_hash and case.receipt_hash == services.cases.receipt_hash(code)
    assert case_selectors.case_by_receipt(code) == case

    op = staff(JRB)
    party = party_of(op)
    assert list(case_selectors.work_queue(party, kind="complaint")) == [case]
    assert list(case_selectors.work_queue(party_of(staff("220100-GSJ")), kind="complaint")) == []  # not theirs

    clock("2026-09-28")
    services.cases.case_message(case=case, party=party, actor=actor_of(op), body="已约谈该机构，请补充付款凭证。")
    clock("2026-10-09")
    case = services.complaint_close(case=case, outcome="substantiated", reply="经查投诉属实，已责令退费并立案查处。", party=party, actor=actor_of(op))
    assert (case.state, case.is_open, case.closed_on, case.outcome) == ("closed", False, date(2026, 10, 9), "substantiated")
    assert case.escalated_at is None
    assert run_job("cases.deadlines")["escalated"] == 0
    assert AuditEntry.objects.filter(action="case.complaint.close", object_id=str(case.pk)).exists()
    # a closed case cannot be closed again
    with pytest.raises(Conflict):
        services.complaint_close(case=case, outcome="unfounded", reply="再次答复", party=party, actor=actor_of(op))
    assert Notification.objects.filter(title="投诉处理结论：投诉属实").count() == 0  # anonymous: no account to notify


def test_overdue_complaint_across_the_holiday_is_escalated(consulting, staff, clock):
    clock("2026-09-14")
    case, _ = file(consulting)
    clock("2026-10-09")  # within the holiday-extended deadline: a reminder only
    assert run_job("cases.deadlines") == {"redated": 0, "reminded": 1, "escalated": 0}
    clock("2026-10-10")  # the last day (a make-up working Saturday): not overdue yet
    assert run_job("cases.deadlines")["escalated"] == 0
    clock("2026-10-11")
    assert run_job("cases.deadlines")["escalated"] == 1
    case.refresh_from_db()
    assert case.escalated_at is not None and case.is_open
    centre = party_of(staff())
    assert list(case_selectors.work_queue(centre, escalated=True, kind="complaint")) == [case]
    assert case.events.filter(action="escalate", public=True).exists()
    row = next(r for r in case_selectors.sla_by_department(day=date(2026, 10, 11), kind="complaint") if r.department.code == JRB)
    assert (row.open, row.overdue) == (1, 1)


def test_substantiated_complaint_becomes_a_record_with_lineage(consulting, staff, clock):
    from xinyong.records.selectors import record_is_public

    clock("2026-09-14")
    case, _ = file(consulting)
    op = staff(JRB)
    party = party_of(op)
    with pytest.raises(Conflict, match="办结后"):
        services.complaint_record(case=case, values=RECORD, party=party, actor=actor_of(op))
    clock("2026-10-09")
    case = services.complaint_close(case=case, outcome="substantiated", reply="投诉属实。", party=party, actor=actor_of(op))
    with pytest.raises(InvalidInput, match="行政处罚决定书文号"):
        services.complaint_record(case=case, values={**RECORD, "decision_no": ""}, party=party, actor=actor_of(op))
    # the credit centre does not record for the supervising department (一数一源)
    with pytest.raises(Forbidden, match="监管部门报送"):
        services.complaint_record(case=case, values=RECORD, party=party_of(staff()), actor=actor_of(op))

    record = services.complaint_record(case=case, values=RECORD, party=party, actor=actor_of(op), user=op)
    assert (record.item_code, record.department.code, record.subject_id) == ("penalty.jrb", JRB, consulting.subject_id)
    assert record.source_id == f"complaint-{case.public_id}" and record.batch.door == "web" and record.batch.filename == f"complaint-{case.pk}.json"
    assert f"投诉办件（编号 {case.pk}）" in record.data["remarks"] and record.severity == "一般"
    assert record_is_public(record, date(2026, 10, 9))
    case.refresh_from_db()
    assert case.data["record_id"] == record.pk
    assert case.events.filter(action="record").exists()
    assert AuditEntry.objects.filter(action="case.complaint.record", object_id=str(case.pk)).exists()
    with pytest.raises(Conflict, match="已生成"):
        services.complaint_record(case=case, values=RECORD, party=party, actor=actor_of(op))
    assert Record.objects.filter(subject_id=consulting.subject_id).exclude(item_code__startswith="registration").count() == 1


def test_unfounded_complaint_makes_no_record(consulting, staff, clock):
    clock("2026-09-14")
    case, _ = file(consulting)
    op = staff(JRB)
    case = services.complaint_close(case=case, outcome="unfounded", reply="经查投诉不实。", party=party_of(op), actor=actor_of(op))
    with pytest.raises(Conflict, match="属实"):
        services.complaint_record(case=case, values=RECORD, party=party_of(op), actor=actor_of(op))


def test_the_central_bank_records_a_substantiated_complaint_as_its_own_penalty(org_subject, register, staff, clock):
    """Rating agencies register with 人民银行, which supervises them: a complaint it finds
    substantiated becomes a record of its own penalty item (一数一源)."""
    clock("2026-09-01")
    rating = register(org_subject("吉林省远见信用评级有限公司"), types=["credit_rating"], dept=RMYH)
    clock("2026-09-14")
    case, _ = file(rating)
    assert case.holder.code == RMYH
    op = staff(RMYH)
    clock("2026-10-09")
    case = services.complaint_close(case=case, outcome="partly", reply="部分属实。", party=party_of(op), actor=actor_of(op))
    record = services.complaint_record(case=case, values={**RECORD, "decision_no": "长银罚〔2026〕3号"}, party=party_of(op), actor=actor_of(op), user=op)
    assert (record.item_code, record.department.code, record.subject_id) == ("penalty.rmyh", RMYH, rating.subject_id)


def test_a_department_without_a_penalty_item_cannot_record(org_subject, register, staff, clock, monkeypatch):
    clock("2026-09-01")
    rating = register(org_subject("吉林省远见信用评级有限公司"), types=["credit_rating"], dept=RMYH)
    clock("2026-09-14")
    case, _ = file(rating)
    op = staff(RMYH)
    case = services.complaint_close(case=case, outcome="partly", reply="部分属实。", party=party_of(op), actor=actor_of(op))
    monkeypatch.setattr(services, "record_item_for", lambda department: None)  # a catalog where its system has none
    with pytest.raises(Forbidden, match="没有可报送"):
        services.complaint_record(case=case, values=RECORD, party=party_of(op), actor=actor_of(op))
    assert not Record.objects.filter(subject_id=rating.subject_id, item_code__startswith="penalty").exists()


def test_complaint_bad_input(consulting, clock):
    clock("2026-09-14")
    with pytest.raises(NotFound):
        services.complaint_file(agency_id=999999, complainant=COMPLAINANT, service="credit_consulting", facts=FACTS, actor=PUBLIC)
    with pytest.raises(InvalidInput, match="涉及的服务"):
        file(consulting, service="credit_rating")  # not a service this agency is registered for
    with pytest.raises(InvalidInput, match="联系方式"):
        file(consulting, complainant=services.Complainant(name="某人"))
    with pytest.raises(InvalidInput, match="投诉事实"):
        file(consulting, facts="   ")
    with pytest.raises(InvalidInput, match="不能超过"):
        file(consulting, facts="长" * 20001)
    with pytest.raises(InvalidInput, match="控制字符"):
        file(consulting, complainant=services.Complainant(name="a\x00b", contact="13800000000"))
    assert not Case.objects.filter(kind="complaint").exists()
    # the complainant withdraws; a withdrawn complaint is not counted as closed
    case, _ = file(consulting)
    services.complaint_cancel(case=case, actor=PUBLIC)
    case.refresh_from_db()
    assert case.state == "cancelled"
    from xinyong.agencies.selectors import closed_complaints

    assert closed_complaints([consulting.subject_id]) == {}


def test_an_account_files_and_is_notified_of_the_reply(consulting, org_subject, account, staff, clock):
    from xinyong.accounts.models import Notification

    clock("2026-09-14")
    client_firm = org_subject("长春市某某商贸有限公司")
    user = account(client_firm, username="client-firm")
    case, _ = file(consulting, complainant=services.Complainant(user=user, subject=client_firm))
    assert case.applicant_subject_id == client_firm.pk
    assert list(case_selectors.cases_for_subject(client_firm)) == [case]
    assert list(case_selectors.cases_for_subject(consulting.subject)) == []  # the agency's own list: not a complaint about it
    op = staff(JRB)
    services.complaint_close(case=case, outcome="unfounded", reply="经查，机构已按约定提供服务。", party=party_of(op), actor=actor_of(op))
    note = Notification.objects.get(title="投诉处理结论：投诉不实")
    assert "已按约定提供服务" in note.body
