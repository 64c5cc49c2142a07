"""Credit repair (信用修复), scenario by scenario with concrete dates: eligibility with every
unmet reason, one open repair per record, review and decision deadlines across National Day,
approval (publication stops, feed, lists and evaluation at once) and refusals with reasons."""

from __future__ import annotations

from datetime import date

import pytest

from tests.cases.conftest import actor_of, party_of
from tests.sanctions.conftest import ip_row, org
from xinyong.cases.models import Case
from xinyong.cases.workflows import IllegalTransition
from xinyong.common.errors import Forbidden, InvalidInput, NotFound
from xinyong.records import selectors as record_selectors
from xinyong.records.models import ChangeEvent, Record
from xinyong.redress import services
from xinyong.redress.rules import repair_eligibility
from xinyong.security.services import Actor

APPLICANT_ACTOR = Actor("user", "firm-user")


def apply(record, subject, upload, *, day=date(2026, 9, 28), commitment=True, statement="已于2026-06-01缴清罚款并完成整改", files=None):
    return services.repair_apply(
        record_id=record.pk, applicant=services.Applicant(subject=subject), statement=statement, commitment=commitment,
        uploads=[upload()] if files is None else files, actor=APPLICANT_ACTOR, day=day,
    )


def test_eligibility_lists_every_unmet_reason(firm, clock):
    clock("2026-09-28")
    # a general penalty decided 2026-07-01: minimum 3 months, repair from 2026-10-02
    subject, early = firm(decided="2026-07-01")
    e = repair_eligibility(record=early, day=date(2026, 9, 28))
    assert not e.eligible
    assert e.reasons == ["最短公示期尚未届满：2026-10-02 起方可申请信用修复（penalty@2026-04-01）"]
    assert repair_eligibility(record=early, day=date(2026, 10, 2)).eligible
    # a serious environmental penalty: excluded by law (2019 notice), whatever the date
    subject2, env = firm(decided="2025-01-10", severity="严重", item="penalty.hbt", dept="220100-HBT")
    e = repair_eligibility(record=env, day=date(2026, 9, 28))
    assert not e.eligible and len(e.reasons) == 1
    assert "生态环境" in e.reasons[0] and "发改办财金〔2019〕527号" in e.reasons[0]
    # a general environmental penalty is not excluded
    _, env_general = firm(decided="2026-05-10", severity="一般", item="penalty.hbt", dept="220100-HBT")
    assert repair_eligibility(record=env_general, day=date(2026, 9, 28)).eligible


def test_ineligible_applicant_is_refused_with_the_reasons_listed(firm, clock, upload):
    clock("2026-09-28")
    subject, record = firm(decided="2026-07-01")
    with pytest.raises(InvalidInput) as exc:
        apply(record, subject, upload)
    assert exc.value.code == "not_eligible"
    assert "2026-10-02 起方可申请" in exc.value.message
    assert not Case.objects.exists()


def test_declarations_are_required_commitment_statement_materials(firm, clock, upload):
    clock("2026-09-28")
    subject, record = firm(decided="2026-05-10")
    with pytest.raises(InvalidInput) as exc:
        apply(record, subject, upload, commitment=False, statement="", files=[])
    assert set(exc.value.fields) == {"commitment", "statement", "files"}
    assert not Case.objects.exists()


def test_only_the_subject_applies_for_its_own_record(firm, clock, upload):
    clock("2026-09-28")
    subject, record = firm(decided="2026-05-10")
    other, _ = firm(decided="2026-05-10")
    with pytest.raises(NotFound):
        apply(record, other, upload)
    with pytest.raises(NotFound):
        services.repair_apply(record_id=record.pk, applicant=services.Applicant(), statement="x", commitment=True, uploads=[upload()], actor=APPLICANT_ACTOR)


def test_one_open_repair_per_record(firm, clock, upload):
    clock("2026-09-28")
    subject, record = firm(decided="2026-05-10")
    apply(record, subject, upload)
    with pytest.raises(InvalidInput) as exc:
        apply(record, subject, upload)
    assert exc.value.code == "repair_open"
    assert "已有一件信用修复申请正在办理" in exc.value.message
    assert Case.objects.filter(kind="repair").count() == 1


def test_approved_repair_across_national_day(firm, clock, upload, staff, django_capture_on_commit_callbacks):
    """Filed Monday 2026-09-28: the department has 10 working days — 09-29, 09-30, (10-01..07
    off), 10-08, 10-09, 10-10 (a Saturday worked), 10-12..10-16 — until 2026-10-16. Reviewed on
    2026-10-09: the credit centre has 3 working days, 10-10, 10-12, 10-13."""
    clock("2026-09-28")
    subject, record = firm(decided="2026-05-10")
    case, code = apply(record, subject, upload)
    assert (case.state, case.holder.code, case.due_on) == ("reviewing", "220100-GSJ", date(2026, 10, 16))
    assert case.data["commitment"].startswith("本主体郑重承诺") and case.data["commitment_signed_on"] == "2026-09-28"
    assert case.attachments.count() == 1

    op = staff("220100-GSJ")
    case = services.repair_review(case=case, agree=True, opinion="已核实罚款缴纳凭证。", party=party_of(op), actor=actor_of(op), day=date(2026, 10, 9))
    assert (case.state, case.holder.code, case.due_on) == ("deciding", "220000-FGW", date(2026, 10, 13))
    with pytest.raises(Forbidden):  # the decision is the credit centre's
        services.repair_decide(case=case, approve=True, reasons="同意", party=party_of(op), actor=actor_of(op), day=date(2026, 10, 12))

    seq = ChangeEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    centre = staff()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.repair_decide(case=case, approve=True, reasons="符合信用修复条件，予以修复。", party=party_of(centre), actor=actor_of(centre), day=date(2026, 10, 12))
    record.refresh_from_db()
    assert (case.state, case.outcome, case.closed_on) == ("repaired", "repaired", date(2026, 10, 12))
    assert record.status == "repaired" and record.unpublished_at is not None
    assert not record_selectors.record_is_public(record, date(2026, 10, 12))
    assert ChangeEvent.objects.filter(seq__gt=seq, entity="record", entity_id=record.pk, op="DEL").exists()
    assert record.history.get().action == "repair"
    # the evaluation followed the feed at once (its cursor is past the repair event)
    from xinyong.records.feed import feed_position

    assert feed_position("evaluation") >= ChangeEvent.objects.get(seq__gt=seq, entity_id=record.pk, op="DEL").seq
    # nothing more may happen to a repaired case
    with pytest.raises(IllegalTransition):
        services.repair_decide(case=case, approve=False, reasons="不同意", party=party_of(centre), actor=actor_of(centre))
    # a new application for the repaired record: not found (the record is no longer active)
    with pytest.raises(NotFound):
        apply(record, subject, upload, day=date(2026, 10, 20))


def test_repair_removes_the_list_entry_based_on_the_record_at_once(send, uscc, clock, upload, staff, django_capture_on_commit_callbacks):
    from xinyong.sanctions.models import ListEntry
    from xinyong.sanctions.services import lists_update
    from xinyong.subjects.models import Subject

    clock("2026-09-28")
    code = uscc()
    # a serious IP infringement decided 2025-09-01: on the 知识产权严重违法失信名单; minimum 1 year
    send("ip_infringement", [ip_row(org("长春市某某商贸有限公司", code), "长知执〔2025〕7号", decided="2025-09-01")], "220100-ZSCQ")
    lists_update()
    subject = Subject.objects.get(uscc=code)
    record = Record.objects.get(subject=subject, item_code="ip_infringement")
    entry = ListEntry.objects.get(basis_record=record)
    assert entry.status == "listed" and entry.list_code == "ip_serious"
    case, _ = apply(record, subject, upload)
    op = staff("220100-ZSCQ")
    case = services.repair_review(case=case, agree=True, opinion="已履行。", party=party_of(op), actor=actor_of(op), day=date(2026, 9, 29))
    centre = staff()
    with django_capture_on_commit_callbacks(execute=True):
        services.repair_decide(case=case, approve=True, reasons="予以修复。", party=party_of(centre), actor=actor_of(centre), day=date(2026, 9, 30))
    entry.refresh_from_db()
    assert entry.status == "removed"
    assert "信用修复" in entry.removal_reason


def test_refusal_at_review_carries_reasons_and_ends_the_case(firm, clock, upload, staff):
    clock("2026-09-28")
    subject, record = firm(decided="2026-05-10")
    case, _ = apply(record, subject, upload)
    op = staff("220100-GSJ")
    with pytest.raises(InvalidInput):
        services.repair_review(case=case, agree=False, opinion="", party=party_of(op), actor=actor_of(op))
    case = services.repair_review(case=case, agree=False, opinion="罚款尚未缴清，不符合修复条件。", party=party_of(op), actor=actor_of(op), day=date(2026, 10, 8))
    assert (case.state, case.outcome, case.is_open) == ("refused", "refused", False)
    assert case.reply == "罚款尚未缴清，不符合修复条件。"
    assert Record.objects.get(pk=record.pk).status == "active"
    # refused: a new application is possible
    assert repair_eligibility(record=record, day=date(2026, 10, 9)).eligible


def test_refusal_by_the_credit_centre(firm, clock, upload, staff):
    clock("2026-09-28")
    subject, record = firm(decided="2026-05-10")
    case, _ = apply(record, subject, upload)
    op, centre = staff("220100-GSJ"), staff()
    case = services.repair_review(case=case, agree=True, opinion="同意。", party=party_of(op), actor=actor_of(op), day=date(2026, 9, 30))
    case = services.repair_decide(case=case, approve=False, reasons="信用承诺与材料不一致。", party=party_of(centre), actor=actor_of(centre), day=date(2026, 10, 8))
    assert case.state == "refused" and "不一致" in case.reply
    assert case.events.filter(action="refuse").get().note == "信用承诺与材料不一致。"


def test_repeated_repair_limit(firm, clock, upload, staff):
    """repair.yaml: at most 3 repairs within 12 months; the fourth application is refused."""
    clock("2026-09-28")
    op, centre = staff("220100-GSJ"), staff()
    subject, first = firm(decided="2026-05-10")
    records = [first] + [firm(decided=f"2026-05-1{n}", code=subject.uscc)[1] for n in (1, 2, 3)]
    for record in records[:3]:
        case, _ = apply(record, subject, upload)
        case = services.repair_review(case=case, agree=True, opinion="同意。", party=party_of(op), actor=actor_of(op), day=date(2026, 9, 29))
        services.repair_decide(case=case, approve=True, reasons="修复。", party=party_of(centre), actor=actor_of(centre), day=date(2026, 9, 30))
    e = repair_eligibility(record=records[3], day=date(2026, 10, 8))
    assert not e.eligible
    assert e.reasons == ["近12个月内已信用修复 3 次，达到 3 次的上限（平台信用修复规程（重复修复次数限制，待确认））"]
    # once its publication period has ended there is nothing to repair
    assert "无需申请信用修复" in repair_eligibility(record=records[3], day=date(2027, 5, 20)).reasons[0]
