"""The due process of designated lists (issue 5, Deliver 1), step by step with concrete dates:
proposed (legal basis required) → notified (statement period in working days, across holidays)
→ listed (after the period, with reasons, basis, measures, removal terms, remedies, a term from
lists.yaml) → removed (expiry by the job, repair, revocation, loss of the basis record). Warning
before punishment; only the designating department acts; each step audited and in the feed."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from xinyong.common.errors import Conflict, Forbidden, InvalidInput
from xinyong.common.schedule import run_job
from xinyong.records import feed
from xinyong.records.models import ChangeEvent, Record
from xinyong.sanctions import selectors, services
from xinyong.sanctions.models import ListEntry
from xinyong.security.models import AuditEntry

from .designation import DECISION, actor_of, gsj, list_it, propose, subject_with_record


def steps(entry) -> list[tuple[str, date]]:
    return [(s.step, s.on) for s in entry.steps.order_by("id")]


def feed_ops(entry) -> list[str]:
    return list(ChangeEvent.objects.filter(entity="list_entry", entity_id=entry.id).order_by("seq").values_list("op", flat=True))


def test_the_whole_life_cycle_of_a_serious_violation_listing(ingest, penalty_row):
    subject, record = subject_with_record(ingest, penalty_row)
    dept = gsj()
    # warning first: on the abnormal operations list (the focus list of market supervision) since March
    focus = list_it("abnormal_operations", subject, proposed=date(2026, 3, 2), notified=date(2026, 3, 2), decided=date(2026, 3, 10))
    assert focus.status == "listed" and focus.expires_on is None  # no term: until removed

    entry = propose("serious_violation", subject, day=date(2026, 11, 2), records=[record])
    assert entry.status == "proposed" and entry.source == "designation"
    assert entry.designating_department == dept and entry.authority_level == "city"
    assert entry.basis_records == [record.id]
    assert entry.warning_entry == focus  # the focus listing that satisfies warning before punishment
    assert entry.persons == [{"role": "法定代表人", "name": "李四"}]
    assert [e.id for e in selectors.active_entries([subject.id], date(2026, 11, 2))[subject.id]] == [focus.id]  # a proposal is not in force

    # 告知 on Monday 2 November: 5 working days for the statement → Monday 9 November
    services.entry_notify(actor=actor_of(dept), entry_id=entry.id, department=dept, day=date(2026, 11, 2))
    entry.refresh_from_db()
    assert entry.status == "notified" and entry.statement_due == date(2026, 11, 9)
    assert "陈述和申辩" in entry.notice and "2026-11-09" in entry.notice and entry.legal_basis in entry.notice and "长市监罚〔2026〕501号" in entry.notice

    # no decision while the period runs and the subject has not spoken
    with pytest.raises(Conflict, match="陈述申辩期至2026-11-09"):
        services.entry_decide(actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no="长市监严〔2026〕1号", day=date(2026, 11, 9), **DECISION)

    services.entry_statement(actor=actor_of(dept), entry_id=entry.id, department=dept, statement="广告内容系第三方制作，我公司已下架", day=date(2026, 11, 5))
    # a statement recorded: the decision must answer it
    with pytest.raises(InvalidInput, match="核实及采纳情况") as exc:
        services.entry_decide(actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no="长市监严〔2026〕1号", day=date(2026, 11, 6), **DECISION)
    assert "statement_reply" in exc.value.fields
    services.entry_decide(
        actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no="长市监严〔2026〕1号", day=date(2026, 11, 6),
        statement_reply="经核实，广告由当事人发布，不予采纳。", market_exit=True, **DECISION,
    )
    entry.refresh_from_db()
    assert entry.status == "listed" and entry.listed_on == date(2026, 11, 6)
    assert entry.expires_on == date(2029, 11, 5)  # duration_months: 36 in lists.yaml
    assert entry.market_exit is True and entry.measures == DECISION["measures"] and entry.remedies == DECISION["remedies"]
    assert [e.id for e in selectors.active_entries([subject.id], date(2026, 11, 6))[subject.id]] == [focus.id, entry.id]
    assert [e.id for e in selectors.public_memberships(subject)] == [focus.id, entry.id]

    # early removal by repair: not before a year on the list (repair_after_months: 12)
    with pytest.raises(Conflict, match="2027-11-06"):
        services.entry_remove(actor=actor_of(dept), entry_id=entry.id, department=dept, kind="repair", reason="已整改并作出信用承诺", day=date(2027, 11, 5))
    services.entry_remove(actor=actor_of(dept), entry_id=entry.id, department=dept, kind="repair", reason="已整改并作出信用承诺", day=date(2027, 11, 8))
    entry.refresh_from_db()
    assert entry.status == "removed" and entry.removal_kind == "repair" and entry.removed_on == date(2027, 11, 8)
    assert entry.removal_reason == "信用修复移出：已整改并作出信用承诺"
    assert [e.id for e in selectors.active_entries([subject.id], date(2027, 11, 8))[subject.id]] == [focus.id]  # measures lifted

    # the timeline, the audit entries and the change feed: one of each per step
    assert steps(entry) == [("propose", date(2026, 11, 2)), ("notify", date(2026, 11, 2)), ("statement", date(2026, 11, 5)), ("decide", date(2026, 11, 6)), ("remove", date(2027, 11, 8))]
    actions = list(AuditEntry.objects.filter(object_type="list_entry", object_id=str(entry.id)).order_by("id").values_list("action", flat=True))
    assert actions == ["list_entry.propose", "list_entry.notify", "list_entry.statement", "list_entry.decide", "list_entry.remove"]
    assert feed_ops(entry) == ["ADD", "MOD", "MOD", "MOD", "DEL"]


def test_the_statement_period_runs_in_working_days_across_the_national_day_holiday(ingest, penalty_row):
    subject, _ = subject_with_record(ingest, penalty_row)
    other, _ = subject_with_record(ingest, penalty_row, name="长春市迟到商贸有限公司", doc="长市监罚〔2026〕502号")
    dept = gsj()
    a = propose("abnormal_operations", subject, day=date(2026, 9, 29))
    b = propose("abnormal_operations", other, day=date(2026, 9, 29))
    # told on Tuesday 29 September: 30 Sep (1), 1–7 Oct holiday, 8 (2), 9 (3), Saturday 10 worked (4), 12 (5)
    for e in (a, b):
        services.entry_notify(actor=actor_of(dept), entry_id=e.id, department=dept, day=date(2026, 9, 29))
        e.refresh_from_db()
        assert e.statement_due == date(2026, 10, 12)
    # the last day of the period still takes a statement; the day after does not
    services.entry_statement(actor=actor_of(dept), entry_id=a.id, department=dept, statement="已按要求补报年度报告", day=date(2026, 10, 12))
    with pytest.raises(InvalidInput, match="陈述申辩期已于2026-10-12届满"):
        services.entry_statement(actor=actor_of(dept), entry_id=b.id, department=dept, statement="逾期提出", day=date(2026, 10, 13))
    # b, silent: no decision on the last day of the period, a decision the day after
    with pytest.raises(Conflict, match="2026-10-12"):
        services.entry_decide(actor=actor_of(dept), entry_id=b.id, department=dept, decision_no="长市监异〔2026〕9号", day=date(2026, 10, 12), **DECISION)
    listed = services.entry_decide(actor=actor_of(dept), entry_id=b.id, department=dept, decision_no="长市监异〔2026〕9号", day=date(2026, 10, 13), **DECISION)
    assert listed.listed_on == date(2026, 10, 13)


def test_warning_before_punishment_refuses_a_subject_never_on_the_focus_list(ingest, penalty_row):
    subject, record = subject_with_record(ingest, penalty_row)
    with pytest.raises(InvalidInput) as exc:
        propose("serious_violation", subject, day=date(2026, 11, 2), records=[record])
    assert exc.value.code == "warning_first"
    assert exc.value.message.startswith("先警示后惩戒：该主体未曾列入经营异常名录，不能直接列入严重违法失信名单")
    assert "warning_exemption" in exc.value.fields
    # a proposal on the focus list is not enough: the subject must have been listed there
    propose("abnormal_operations", subject, day=date(2026, 10, 1))
    with pytest.raises(InvalidInput, match="先警示后惩戒"):
        propose("serious_violation", subject, day=date(2026, 11, 2), records=[record])
    assert not ListEntry.objects.filter(list_code="serious_violation").exists()
    # the law may exempt a case: the proposal states why, and the entry keeps it
    entry = propose("serious_violation", subject, day=date(2026, 11, 2), records=[record], warning_exemption="《市场监督管理严重违法失信名单管理办法》第九条：食品安全严重违法行为直接列入")
    assert entry.warning_entry is None and entry.warning_exemption.startswith("《市场监督管理严重违法失信名单管理办法》第九条")


def test_a_removed_focus_listing_still_counts_as_the_warning(ingest, penalty_row):
    subject, record = subject_with_record(ingest, penalty_row)
    focus = list_it("edu_focus", subject, proposed=date(2026, 1, 5), notified=date(2026, 1, 5), decided=date(2026, 1, 13), dept=_jyt(), legal_basis="国办发〔2020〕49号")
    services.entry_remove(actor=actor_of(_jyt()), entry_id=focus.id, department=_jyt(), kind="revocation", reason="复议撤销", day=date(2026, 6, 1))
    entry = propose("edu_research_serious", subject, dept=_jyt(), day=date(2026, 11, 2), records=[record])
    assert entry.warning_entry_id == focus.id


def _jyt():
    from xinyong.catalog.models import Department

    return Department.objects.get(code="220000-JYT")


def test_the_term_ends_and_the_scheduled_job_removes_the_entry(ingest, penalty_row, time_machine):
    subject, _ = subject_with_record(ingest, penalty_row)
    entry = list_it("edu_focus", subject, proposed=date(2026, 3, 2), notified=date(2026, 3, 2), decided=date(2026, 3, 10), dept=_jyt(), legal_basis="国办发〔2020〕49号")
    assert entry.expires_on == date(2028, 3, 9)  # duration_months: 24
    services.lists_update()  # the first run (a rebuild) today leaves it alone
    time_machine.move_to(datetime(2028, 3, 9, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    run_job("lists.update")
    entry.refresh_from_db()
    assert entry.status == "listed"  # the last day of the term
    time_machine.move_to(datetime(2028, 3, 10, 0, 5, tzinfo=ZoneInfo("Asia/Shanghai")))
    summary = run_job("lists.update")
    entry.refresh_from_db()
    assert summary["designations_ended"] == 1
    assert entry.status == "removed" and entry.removal_kind == "expiry" and entry.removed_on == date(2028, 3, 10)
    assert entry.removal_reason == "期满移出（有效期至2028-03-09）"
    assert steps(entry)[-1] == ("remove", date(2028, 3, 10))
    assert AuditEntry.objects.filter(action="list_entry.remove", object_id=str(entry.id), actor_type="system").exists()
    assert feed_ops(entry)[-1] == "DEL"
    assert run_job("lists.update")["designations_ended"] == 0  # once


def test_a_term_shorter_than_the_longest_and_none_longer(ingest, penalty_row):
    subject, _ = subject_with_record(ingest, penalty_row)
    dept = _jyt()
    entry = propose("edu_focus", subject, dept=dept, day=date(2026, 3, 2))
    services.entry_notify(actor=actor_of(dept), entry_id=entry.id, department=dept, day=date(2026, 3, 2))
    with pytest.raises(InvalidInput, match="1至24个月"):
        services.entry_decide(actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no="吉教〔2026〕1号", term_months=25, day=date(2026, 3, 10), **DECISION)
    entry = services.entry_decide(actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no="吉教〔2026〕1号", term_months=6, day=date(2026, 3, 31), **DECISION)
    assert entry.expires_on == date(2026, 9, 29)  # 31 March + 6 months → 30 September, minus a day
    e2 = propose("edu_focus", subject_with_record(ingest, penalty_row, name="长春市乙公司", doc="长市监罚〔2026〕9号")[0], dept=dept, day=date(2026, 3, 2))
    services.entry_notify(actor=actor_of(dept), entry_id=e2.id, department=dept, day=date(2026, 3, 2))
    with pytest.raises(InvalidInput, match="没有市场退出措施"):
        services.entry_decide(actor=actor_of(dept), entry_id=e2.id, department=dept, decision_no="吉教〔2026〕2号", market_exit=True, day=date(2026, 3, 10), **DECISION)


def test_repair_of_the_basis_record_removes_the_listing(ingest, penalty_row):
    subject, record = subject_with_record(ingest, penalty_row)
    services.lists_update()  # the first run is a rebuild; later ones follow the feed
    entry = list_it("abnormal_operations", subject, proposed=date(2026, 11, 2), notified=date(2026, 11, 2), decided=date(2026, 11, 10), records=[record])
    assert entry.status == "listed"
    Record.objects.filter(pk=record.id).update(status="repaired")  # the redress issue's repair
    feed.append([ChangeEvent(at=entry.created_at, entity="record", entity_id=record.id, subject_id=subject.id, item_code=record.item_code, op="MOD")])
    summary = services.lists_update()
    entry.refresh_from_db()
    assert summary["designations_ended"] == 1
    assert entry.status == "removed" and entry.removal_kind == "basis" and entry.removed_on == date(2026, 11, 30)
    assert entry.removal_reason == "依据的信用记录已信用修复，移出名单"
    assert list(selectors.public_memberships(subject)) == []
    assert subject.id not in selectors.active_entries([subject.id], date(2026, 11, 30))


def test_a_withdrawn_basis_record_ends_a_pending_procedure(ingest, penalty_row):
    subject, record = subject_with_record(ingest, penalty_row)
    services.lists_update()
    entry = propose("abnormal_operations", subject, day=date(2026, 11, 20), records=[record])
    from xinyong.records.services import record_withdraw
    from xinyong.security.services import Actor

    record_withdraw(record=record, reason="复议撤销处罚决定", actor=Actor.system("test"))
    feed.append([ChangeEvent(at=entry.created_at, entity="record", entity_id=record.id, subject_id=subject.id, item_code=record.item_code, op="DEL")])
    services.lists_update()
    entry.refresh_from_db()
    assert entry.status == "dropped" and entry.removal_reason == "依据的信用记录已撤销，终止列入程序"
    # and a withdrawn record cannot be the basis of a new proposal
    with pytest.raises(InvalidInput, match="已撤销，不能作为列入依据"):
        propose("abnormal_operations", subject, day=date(2026, 11, 25), records=[record])


# ---------------------------------------------------------------------- bad input
def test_a_proposal_without_legal_basis_is_refused(ingest, penalty_row):
    subject, _ = subject_with_record(ingest, penalty_row)
    for basis in ("", "   "):
        with pytest.raises(InvalidInput) as exc:
            propose("abnormal_operations", subject, day=date(2026, 11, 2), legal_basis=basis)
        assert exc.value.code == "legal_basis_required" and exc.value.status == 422
        assert exc.value.fields == {"legal_basis": "须写明列入的法律依据（法律、法规、规章或规范性文件的名称及条款）"}
    assert not ListEntry.objects.filter(source="designation").exists()
    assert not AuditEntry.objects.filter(action="list_entry.propose").exists()


def test_only_the_designating_department_moves_an_entry(ingest, penalty_row):
    subject, _ = subject_with_record(ingest, penalty_row)
    entry = list_it("abnormal_operations", subject, proposed=date(2026, 11, 2), notified=date(2026, 11, 2), decided=date(2026, 11, 10))
    for code in ("220102-GSJ", "220100-HBT"):  # the district bureau of the same system, another system
        other = gsj(code)
        with pytest.raises(Forbidden) as exc:
            services.entry_remove(actor=actor_of(other), entry_id=entry.id, department=other, kind="revocation", reason="越权移出", day=date(2026, 11, 20))
        assert exc.value.status == 403
        assert exc.value.message == "该名单条目由长春市市场监督管理局认定，只有认定机关（或信用中心代为办理）可以移出。"
    entry.refresh_from_db()
    assert entry.status == "listed"
    # a department outside the list's system cannot propose on it
    hbt = gsj("220100-HBT")
    with pytest.raises(Forbidden, match="经营异常名录由工商行政管理部门认定"):
        propose("abnormal_operations", subject, dept=hbt, day=date(2026, 11, 2))
    # an association's own list: only associations designate it
    with pytest.raises(Forbidden, match="行业协会自律惩戒名单由行业协会商会认定"):
        propose("association_discipline", subject, day=date(2026, 11, 2))
    assoc = gsj("220000-XYCJH")
    assert propose("association_discipline", subject, dept=assoc, day=date(2026, 11, 2), legal_basis="《吉林省社会信用体系建设促进会自律公约》第十条").status == "proposed"


def test_replayed_and_impossible_steps_are_refused(ingest, penalty_row):
    subject, _ = subject_with_record(ingest, penalty_row)
    dept = gsj()
    entry = propose("abnormal_operations", subject, day=date(2026, 11, 2))
    with pytest.raises(Conflict, match="当前状态为“拟列入”，不能作出列入决定"):  # no decision without notice
        services.entry_decide(actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no="X", day=date(2026, 11, 20), **DECISION)
    with pytest.raises(Conflict, match="不能移出"):
        services.entry_remove(actor=actor_of(dept), entry_id=entry.id, department=dept, kind="revocation", reason="x", day=date(2026, 11, 20))
    services.entry_notify(actor=actor_of(dept), entry_id=entry.id, department=dept, day=date(2026, 11, 2))
    with pytest.raises(Conflict, match="该条目已于2026-11-02告知，不能重复告知"):
        services.entry_notify(actor=actor_of(dept), entry_id=entry.id, department=dept, day=date(2026, 11, 3))
    services.entry_statement(actor=actor_of(dept), entry_id=entry.id, department=dept, statement="无异议", day=date(2026, 11, 3))
    with pytest.raises(Conflict, match="已于2026-11-03记录，不能重复记录"):
        services.entry_statement(actor=actor_of(dept), entry_id=entry.id, department=dept, statement="补充", day=date(2026, 11, 4))
    services.entry_decide(actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no="长市监异〔2026〕1号", statement_reply="当事人无异议", day=date(2026, 11, 10), **DECISION)
    with pytest.raises(Conflict, match="已于2026-11-10作出列入决定，不能重复决定"):
        services.entry_decide(actor=actor_of(dept), entry_id=entry.id, department=dept, decision_no="长市监异〔2026〕1号", statement_reply="当事人无异议", day=date(2026, 11, 10), **DECISION)
    with pytest.raises(InvalidInput, match="早于列入日期"):
        services.entry_remove(actor=actor_of(dept), entry_id=entry.id, department=dept, kind="revocation", reason="复议撤销", day=date(2026, 11, 9))
    services.entry_remove(actor=actor_of(dept), entry_id=entry.id, department=dept, kind="revocation", reason="复议撤销", day=date(2026, 11, 20))
    with pytest.raises(Conflict, match="已于2026-11-20移出，不能重复移出"):
        services.entry_remove(actor=actor_of(dept), entry_id=entry.id, department=dept, kind="revocation", reason="复议撤销", day=date(2026, 11, 21))
    with pytest.raises(Conflict, match="不能终止列入程序"):
        services.entry_drop(actor=actor_of(dept), entry_id=entry.id, department=dept, reason="x", day=date(2026, 11, 21))
    assert [s for s, _ in steps(entry)] == ["propose", "notify", "statement", "decide", "remove"]
    # a second open entry on the same list for the same subject is refused while one is open
    again = propose("abnormal_operations", subject, day=date(2026, 11, 23))
    with pytest.raises(Conflict, match="正在办理列入程序"):
        propose("abnormal_operations", subject, day=date(2026, 11, 24))
    assert again.status == "proposed"


def test_derived_lists_and_missing_persons_are_refused(ingest, penalty_row):
    subject, record = subject_with_record(ingest, penalty_row)
    with pytest.raises(InvalidInput, match="依据信用记录自动列入和移出，不能由部门认定"):
        propose("dishonest_debtors", subject, day=date(2026, 11, 2))
    with pytest.raises(InvalidInput, match="须同时记录该单位的法定代表人"):
        propose("serious_violation", subject, day=date(2026, 11, 2), persons=[], warning_exemption="依法直接列入")
    other, other_record = subject_with_record(ingest, penalty_row, name="长春市别家公司", doc="长市监罚〔2026〕777号")
    with pytest.raises(InvalidInput, match=f"依据记录 {other_record.id} 不存在或不属于该主体"):
        propose("abnormal_operations", subject, day=date(2026, 11, 2), records=[other_record])


def test_a_dropped_procedure_is_never_public_nor_in_force(ingest, penalty_row):
    subject, _ = subject_with_record(ingest, penalty_row)
    dept = gsj()
    entry = propose("abnormal_operations", subject, day=date(2026, 11, 2))
    services.entry_notify(actor=actor_of(dept), entry_id=entry.id, department=dept, day=date(2026, 11, 2))
    services.entry_statement(actor=actor_of(dept), entry_id=entry.id, department=dept, statement="住所可以联系，附租赁合同", day=date(2026, 11, 4))
    services.entry_drop(actor=actor_of(dept), entry_id=entry.id, department=dept, reason="经核实，住所可以联系，采纳陈述申辩，不予列入", day=date(2026, 11, 6))
    entry.refresh_from_db()
    assert entry.status == "dropped" and entry.listed_on is None
    assert feed_ops(entry) == ["ADD", "MOD", "MOD", "DEL"]
    assert selectors.active_entries([subject.id], date(2026, 11, 30)) == {}
    assert list(selectors.public_memberships(subject)) == []
