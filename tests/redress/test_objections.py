"""Objections (异议), scenario by scenario with concrete dates: filed, marked 异议处理中 at once,
routed to the source department with a 20-day deadline, and decided three ways."""

from __future__ import annotations

from datetime import date

import pytest

from tests.cases.conftest import actor_of, party_of
from xinyong.cases.models import Case
from xinyong.cases.workflows import IllegalTransition
from xinyong.common.errors import Forbidden, InvalidInput, NotFound
from xinyong.records import selectors as record_selectors
from xinyong.records.models import ChangeEvent, Record
from xinyong.redress import services
from xinyong.security.models import AuditEntry
from xinyong.security.services import Actor

PUBLIC = Actor("public", "公众申请人")


def file_objection(record, *, day=date(2026, 9, 15), subject=None, user=None, **kw):
    applicant = services.Applicant(user=user, subject=subject, name=kw.pop("name", "王五"), contact=kw.pop("contact", "13800001111"))
    return services.objection_submit(record_id=record.pk, applicant=applicant, reasons=kw.pop("reasons", "罚款金额有误，实际为1万元"), fields=kw.pop("fields", ["content"]), actor=PUBLIC, day=day, **kw)


@pytest.fixture
def filed(firm, clock):
    clock("2026-09-15")
    subject, record = firm(decided="2026-05-10")
    seq = ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    case, code = file_objection(record)
    return subject, Record.objects.get(pk=record.pk), case, code, seq


def test_filing_marks_the_record_at_once_and_routes_it_with_a_deadline_across_national_day(filed):
    subject, record, case, code, seq = filed
    # 2026-09-15 + 20 days = 2026-10-05, inside the National Day holiday (10-01..10-07):
    # the deadline moves to the next working day, 2026-10-08 (Civil Code Art. 203)
    assert case.due_on == date(2026, 10, 8)
    assert case.state == "verifying" and case.is_open
    assert case.holder.code == "220100-GSJ" == case.department.code
    assert record.under_objection is True
    assert record_selectors.record_is_public(record, date(2026, 9, 15))  # still published, flagged
    ev = ChangeEvent.objects.filter(seq__gt=seq, entity="record", entity_id=record.pk).get()
    assert ev.op == "MOD"
    assert len(code) == 19 and code.count("-") == 3
    assert Case.objects.filter(receipt_hash=services.cases.receipt_hash(code)).get() == case
    assert code not in str(Case.objects.filter(pk=case.pk).values().get())  # only its hash is kept
    assert AuditEntry.objects.filter(action="case.objection.file", object_id=str(case.pk)).exists()


def test_corrected_edits_the_fields_with_history_and_feed_then_clears_the_flag(filed, staff, django_capture_on_commit_callbacks):
    subject, record, case, code, seq = filed
    op = staff("220100-GSJ")
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_decide(case=case, outcome="corrected", reply="经核查，处罚内容录入有误，已更正。", changes={"content": "罚款人民币1万元"}, party=party_of(op), actor=actor_of(op), day=date(2026, 9, 30))
    record.refresh_from_db()
    case.refresh_from_db()
    assert record.data["content"] == "罚款人民币1万元" and record.version == 2
    assert record.under_objection is False
    assert record.history.get().action == "correct"
    assert record.history.get().state["data"]["content"] == "罚款人民币2万元"
    assert list(ChangeEvent.objects.filter(seq__gt=seq, entity_id=record.pk).values_list("op", flat=True)) == ["MOD", "MOD", "MOD"]
    assert (case.state, case.outcome, case.closed_on, case.is_open) == ("closed", "corrected", date(2026, 9, 30), False)
    assert "已更正" in case.reply
    assert not case.routes.filter(active=True).exists()


def test_withdrawn_withdraws_the_record_through_records_services(filed, staff):
    subject, record, case, code, seq = filed
    op = staff("220100-GSJ")
    services.objection_decide(case=case, outcome="withdrawn", reply="处罚决定已被复议撤销，撤销该记录。", party=party_of(op), actor=actor_of(op), day=date(2026, 9, 30))
    record.refresh_from_db()
    assert record.status == "withdrawn" and record.under_objection is False
    assert not record_selectors.record_is_public(record, date(2026, 9, 30))
    assert ChangeEvent.objects.filter(seq__gt=seq, entity_id=record.pk, op="DEL").exists()


def test_upheld_leaves_the_record_unchanged_with_a_written_reply(filed, staff):
    subject, record, case, code, seq = filed
    op = staff("220100-GSJ")
    services.objection_decide(case=case, outcome="upheld", reply="经核查，原记录准确，予以维持。", party=party_of(op), actor=actor_of(op), day=date(2026, 10, 8))
    after = Record.objects.get(pk=record.pk)
    assert (after.version, after.data, after.status, after.under_objection) == (record.version, record.data, "active", False)
    case.refresh_from_db()
    assert case.outcome == "upheld" and case.reply.startswith("经核查")
    assert case.events.filter(action="decide", public=True).exists()
    with pytest.raises(IllegalTransition):  # a closed case takes no more messages from the applicant
        services.cases.case_message(case=case, party=services.cases.APPLICANT, actor=PUBLIC, body="我不服")


def test_deciding_twice_is_an_illegal_transition(filed, staff):
    subject, record, case, code, seq = filed
    op = staff("220100-GSJ")
    services.objection_decide(case=case, outcome="upheld", reply="维持。", party=party_of(op), actor=actor_of(op), day=date(2026, 9, 30))
    with pytest.raises(IllegalTransition) as exc:
        services.objection_decide(case=Case.objects.get(pk=case.pk), outcome="withdrawn", reply="撤销。", party=party_of(op), actor=actor_of(op), day=date(2026, 10, 1))
    assert "已办结" in exc.value.message and exc.value.status == 409
    assert Record.objects.get(pk=record.pk).status == "active"


def test_another_department_may_not_decide_and_the_credit_centre_may_not_edit_the_record(filed, staff):
    subject, record, case, code, seq = filed
    other = staff("220100-SW")
    with pytest.raises(Forbidden):
        services.objection_decide(case=case, outcome="upheld", reply="维持。", party=party_of(other), actor=actor_of(other))
    centre = staff()
    with pytest.raises(Forbidden):  # 一数一源: only the source department changes its record
        services.objection_decide(case=case, outcome="withdrawn", reply="撤销。", party=party_of(centre), actor=actor_of(centre))
    assert Case.objects.get(pk=case.pk).state == "verifying"
    assert Record.objects.get(pk=record.pk).under_objection is True


def test_cancel_by_the_applicant_clears_the_flag_unless_another_objection_is_open(filed):
    subject, record, case, code, seq = filed
    second, _ = file_objection(record, name="赵六")
    services.objection_cancel(case=case, actor=PUBLIC)
    assert Record.objects.get(pk=record.pk).under_objection is True  # the other one is open
    services.objection_cancel(case=second, actor=PUBLIC)
    assert Record.objects.get(pk=record.pk).under_objection is False


def test_not_found_is_one_answer_for_missing_private_and_foreign_records(firm, clock, send, id_number):
    from tests.portal.conftest import traffic_row

    clock("2026-09-15")
    subject, record = firm(decided="2026-05-10")
    minor_subject, minor = firm(decided="2026-05-10", severity="轻微")  # never published
    send("traffic_violation", [traffic_row("张三", id_number(), 违法日期="2026-08-01", 处理日期="2026-08-08")], "220100-GAT")
    private = Record.objects.get(item_code="traffic_violation")  # authorized disclosure
    messages = set()
    for rid in (10**9, minor.pk, private.pk, "abc"):
        with pytest.raises(NotFound) as exc:
            file_objection(type("R", (), {"pk": rid})())
        messages.add((exc.value.code, exc.value.message))
    # the owner of a private record may object (through its account), another subject may not
    other_subject, _ = firm(decided="2026-05-10")
    with pytest.raises(NotFound) as exc:
        services.objection_submit(record_id=minor.pk, applicant=services.Applicant(subject=other_subject), reasons="不实", actor=PUBLIC, day=date(2026, 9, 15))
    messages.add((exc.value.code, exc.value.message))
    assert len(messages) == 1
    case, _ = services.objection_submit(record_id=minor.pk, applicant=services.Applicant(subject=minor_subject), reasons="不实", actor=PUBLIC, day=date(2026, 9, 15))
    assert case.applicant_subject == minor_subject
    assert not Case.objects.filter(records=private).exists()


def test_anonymous_objector_must_leave_a_name_and_contact_and_reasons(firm, clock):
    clock("2026-09-15")
    subject, record = firm(decided="2026-05-10")
    with pytest.raises(InvalidInput) as exc:
        file_objection(record, contact="")
    assert "contact" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        file_objection(record, reasons="  ")
    assert "reasons" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        file_objection(record, reasons="长" * 6000)
    assert exc.value.code == "text_too_long"
    assert not Record.objects.get(pk=record.pk).under_objection


def test_the_demo_files_objections_and_a_repair_the_real_way(firm, clock):
    from xinyong.redress.demo import demo_cases_ensure

    clock("2026-09-28")
    firm(decided="2026-05-10")
    firm(decided="2026-05-11")
    firm(decided="2026-09-01")  # too recent for repair
    firm(decided="2026-05-12")  # the repair's record: the two oldest are under objection
    assert demo_cases_ensure() == {"objections": 2, "repairs": 1}
    flagged = Record.objects.filter(under_objection=True)
    assert flagged.count() == 2
    assert all(Case.objects.filter(kind="objection", records=r, is_open=True).exists() for r in flagged)
    repair = Case.objects.get(kind="repair")
    assert repair.state == "reviewing" and repair.attachments.count() == 1
    assert demo_cases_ensure() == {"objections": 0, "repairs": 0}  # once is enough
