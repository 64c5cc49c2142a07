"""Objections (异议) and credit repair (信用修复), on the case machinery (xinyong/cases).

Objection:  objection_submit → verifying (source department, 20 days) → objection_decide:
            corrected (fields edited, history, feed) / withdrawn (record withdrawn) / upheld
            (record unchanged); each with a written reply; "异议处理中" cleared; applicant told.
Repair:     repair_apply → reviewing (recognizing department, 10 working days) → repair_review:
            agree → deciding (credit centre, 3 working days) → repair_decide: approve (record
            repaired: publication stops, feed DEL; lists and evaluation follow at once, in a background
            task queued at commit) or
            refuse (reasons); the department may refuse at review too.

Not found is one answer: a record that does not exist, is not public (for someone else), or
is not the applicant's gets the same NotFound, so no one learns what exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from xinyong.cases import services as cases
from xinyong.cases.models import Case
from xinyong.cases.services import Party
from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import Forbidden, InvalidInput, NotFound
from xinyong.records import selectors as record_selectors
from xinyong.records import services as record_services
from xinyong.records.models import Record
from xinyong.security.services import Actor, audit_log

from .rules import repair_eligibility, repair_rules

log = logging.getLogger("xinyong.redress")
OUTCOMES = {"corrected": "予以更正", "withdrawn": "撤销该记录", "upheld": "维持原记录"}
NOT_FOUND = "未找到该信用记录，或您无权对其提出申请"


@dataclass(frozen=True)
class Applicant:
    """Who files: a portal account (user and the subject it acts for) or anyone (name, contact)."""

    user: object | None = None
    subject: object | None = None
    name: str = ""
    contact: str = ""


def _record_for(record_id, *, applicant: Applicant, day: date, own_only: bool) -> Record:
    try:
        record = Record.objects.select_related("department", "subject").get(pk=int(record_id))
    except (Record.DoesNotExist, TypeError, ValueError):
        raise NotFound(NOT_FOUND, code="record_not_found") from None
    own = applicant.subject is not None and applicant.subject.pk == record.subject_id
    if own_only and not own:
        raise NotFound(NOT_FOUND, code="record_not_found")
    if not own and not record_selectors.record_is_public(record, day):
        raise NotFound(NOT_FOUND, code="record_not_found")
    if record.status != "active":
        raise NotFound(NOT_FOUND, code="record_not_found")
    return record


def record_for_applicant(record_id, *, applicant: Applicant, day: date, own_only: bool = False) -> Record:
    """The record an applicant may object to (or, own_only, apply to repair); NotFound otherwise."""
    return _record_for(record_id, applicant=applicant, day=day, own_only=own_only)


def _item_name(record: Record) -> str:
    item = get_catalog().item(record.item_code)
    return item.name if item else record.item_code


# ====================================================================== objections
def objection_submit(*, record_id, applicant: Applicant, reasons: str, fields: list[str] | None = None, uploads=(), actor: Actor, day: date | None = None) -> tuple[Case, str]:
    """File an objection: the record is marked 异议处理中 at once (feed MOD), the case goes to the
    record's department with its deadline. Returns the case and its receipt code."""
    day = day or cases.today()
    reasons = cases.clean_text(reasons, field="reasons", label="异议理由")
    record = record_for_applicant(record_id, applicant=applicant, day=day)
    if applicant.subject is None and not (applicant.name or "").strip():
        raise InvalidInput("请填写申请人姓名或名称", fields={"name": "必填"})
    if applicant.subject is None and not (applicant.contact or "").strip():
        raise InvalidInput("请填写联系方式，以便接收答复", fields={"contact": "必填"})
    item = get_catalog().item(record.item_code)
    labels = {f.name: f.label for f in item.fields} if item else {}
    fields = [f for f in (fields or []) if f in labels]
    with transaction.atomic():
        case, code = cases.case_open(
            kind="objection", title=f"对{_item_name(record)}（{record.document_no or record.source_id}）的异议", body=reasons,
            actor=actor, department=record.department, subject=record.subject, records=[record],
            applicant_user=applicant.user, applicant_subject=applicant.subject,
            applicant_name=applicant.name or (applicant.subject.name if applicant.subject else ""), applicant_contact=applicant.contact,
            data={"fields": fields, "field_labels": [labels[f] for f in fields], "own": applicant.subject is not None and applicant.subject.pk == record.subject_id},
            uploads=uploads, day=day,
        )
        record_services.record_mark_objection(record=record, flag=True)
        audit_log(actor=actor, action="record.objection_flag", object_type="record", object_id=record.pk, subject_id=record.subject_id, detail={"case": case.pk, "flag": True})
    cases.notify_applicant(case, title="异议申请已受理", body=f"您对{_item_name(record)}提出的异议已受理，将于 {case.due_on.isoformat()} 前核查并答复。")
    return case, code


def objection_decide(*, case: Case, outcome: str, reply: str, changes: dict | None = None, party: Party, actor: Actor, day: date | None = None) -> Case:
    """The source department's conclusion: corrected / withdrawn / upheld, with a written reply.
    Correction and withdrawal are the record's department's own acts (一数一源)."""
    day = day or cases.today()
    if case.kind != "objection":
        raise NotFound("未找到该异议办件")
    if outcome not in OUTCOMES:
        raise InvalidInput("请选择核查结论", fields={"outcome": "应为予以更正、撤销记录或维持原记录"})
    reply = cases.clean_text(reply, field="reply", label="书面答复")
    record = case.records.select_related("department").first()
    with transaction.atomic():
        # the state is checked first: a decided objection cannot be decided again
        case = cases.case_transition(case=case, action="decide", party=party, actor=actor, outcome=outcome, reply=reply, day=day)
        if outcome in ("corrected", "withdrawn") and (party.department is None or party.department.pk != record.department_id):
            raise Forbidden("记录的更正或撤销只能由报送该记录的部门作出")
        if outcome == "corrected":
            changes = {k: v for k, v in (changes or {}).items() if v is not None}
            if not changes:
                raise InvalidInput("予以更正时须填写更正后的内容", code="no_change", fields={"changes": "请填写更正内容"})
            record_services.record_correct(record=record, changes=changes, reason=f"异议核查更正：{reply}"[:500], actor=actor)
        elif outcome == "withdrawn":
            record_services.record_withdraw(record=record, reason=f"异议核查撤销：{reply}"[:500], actor=actor)
        if not Case.objects.filter(kind="objection", is_open=True, records=record).exists():
            record_services.record_mark_objection(record=record, flag=False)
        audit_log(actor=actor, action="record.objection_flag", object_type="record", object_id=record.pk, subject_id=record.subject_id, detail={"case": case.pk, "flag": False, "outcome": outcome})
    cases.notify_applicant(case, title=f"异议核查结论：{OUTCOMES[outcome]}", body=reply[:500])
    return case


def objection_cancel(*, case: Case, actor: Actor, day: date | None = None) -> Case:
    """The applicant withdraws the objection; the flag is cleared if no other objection is open."""
    if case.kind != "objection":
        raise NotFound("未找到该异议办件")
    with transaction.atomic():
        case = cases.case_transition(case=case, action="cancel", party=cases.APPLICANT, actor=actor, day=day)
        record = case.records.first()
        if record and not Case.objects.filter(kind="objection", is_open=True, records=record).exists():
            record_services.record_mark_objection(record=record, flag=False)
    return case


# ====================================================================== repair
def repair_apply(*, record_id, applicant: Applicant, statement: str, commitment: bool, uploads=(), actor: Actor, day: date | None = None) -> tuple[Case, str]:
    """The subject (through its account) applies to repair one of its records: every condition
    checked (the unmet ones listed in the error), one open repair per record."""
    day = day or cases.today()
    if applicant.subject is None:
        raise NotFound(NOT_FOUND, code="record_not_found")
    record = record_for_applicant(record_id, applicant=applicant, day=day, own_only=True)
    with transaction.atomic():
        Record.objects.select_for_update().filter(pk=record.pk).first()  # one application at a time per record
        e = repair_eligibility(record=record, day=day)
        if not e.eligible:
            code = "repair_open" if any("正在办理" in r for r in e.reasons) else "not_eligible"
            raise InvalidInput("不符合信用修复条件：" + "；".join(e.reasons), code=code, fields={"record": "；".join(e.reasons)})
        errors = {}
        if not commitment:
            errors["commitment"] = "须阅读并签署信用承诺书"
        statement_clean = (statement or "").strip()
        if not statement_clean:
            errors["statement"] = "请说明纠正失信行为、履行法定义务的情况"
        if not uploads:
            errors["files"] = "请上传履行义务的证明材料（如罚款缴纳凭证）"
        if errors:
            raise InvalidInput("申请材料不完整：" + "；".join(errors.values()), code="incomplete", fields=errors)
        statement_clean = cases.clean_text(statement_clean, field="statement", label="履行义务情况说明")
        rules = repair_rules()
        case, code = cases.case_open(
            kind="repair", title=f"{_item_name(record)}（{record.document_no or record.source_id}）信用修复", body=statement_clean,
            actor=actor, department=record.department, subject=record.subject, records=[record],
            applicant_user=applicant.user, applicant_subject=applicant.subject, applicant_name=applicant.subject.name,
            data={"commitment": rules.commitment, "commitment_basis": rules.commitment_basis, "commitment_signed_on": day.isoformat(), "rules_version": rules.version},
            uploads=uploads, day=day,
        )
        _repair_commitment(case=case, subject=applicant.subject, actor=actor, day=day)
    cases.notify_applicant(case, title="信用修复申请已受理", body=f"认定部门将于 {case.due_on.isoformat()} 前审核并反馈。")
    return case, code


REPAIR_COMMITMENT_TEMPLATE = "credit_repair.repair"  # xinyong/commitments/definitions/templates.yaml


def _commitment_department():
    from xinyong.catalog.models import Department

    return Department.objects.filter(code=get_catalog().credit_centre).select_related("region").first()


def repair_commitment_text(*, subject, case_no: str = "（受理后生成）") -> str:
    """The text of the repair's public credit commitment: the commitments app's template when it
    is installed, else repair.yaml's `commitment`."""
    from django.apps import apps

    if subject is not None and apps.is_installed("xinyong.commitments"):
        from xinyong.commitments import services as commitment_services
        from xinyong.commitments.templates import get_templates

        template = get_templates().get(REPAIR_COMMITMENT_TEMPLATE)
        if template is not None:
            return commitment_services.render(template, subject=subject, case_no=case_no, department=_commitment_department())
    return repair_rules().commitment


def _repair_commitment(*, case: Case, subject, actor: Actor, day: date) -> None:
    """The public credit commitment (Order 36 Art. 10) signed with the application becomes a
    published commitment (xinyong/commitments), accepted by the credit centre, its case number
    the case's id; the case keeps the text as signed and the commitment code."""
    from django.apps import apps

    if not apps.is_installed("xinyong.commitments"):
        return
    from xinyong.commitments import services as commitment_services
    from xinyong.commitments.templates import get_templates

    template = get_templates().get(REPAIR_COMMITMENT_TEMPLATE)
    department = _commitment_department()
    if template is None or not template.accepts(department):
        return
    commitment = commitment_services.commitment_sign(
        subject=subject, template=template.code, case_no=str(case.public_id), department=department, statement=True, door="portal", actor=actor, day=day,
    )
    case.data = {**case.data, "commitment": commitment.text, "commitment_code": commitment.code}
    case.save(update_fields=["data"])


def repair_review(*, case: Case, agree: bool, opinion: str, party: Party, actor: Actor, day: date | None = None) -> Case:
    """The recognizing department's review: agree (to the credit centre for the decision) or
    refuse with reasons."""
    if case.kind != "repair":
        raise NotFound("未找到该信用修复办件")
    opinion = cases.clean_text(opinion, field="opinion", label="审核意见" if agree else "不予修复的理由")
    if agree:
        return cases.case_transition(case=case, action="review", party=party, actor=actor, note=opinion, day=day)
    return _repair_refuse(case=case, reasons=opinion, party=party, actor=actor, day=day)


def _repair_refuse(*, case: Case, reasons: str, party: Party, actor: Actor, day: date | None) -> Case:
    case = cases.case_transition(case=case, action="refuse", party=party, actor=actor, outcome="refused", reply=reasons, day=day)
    cases.notify_applicant(case, title="信用修复申请未获同意", body=f"不予修复的理由：{reasons[:500]}")
    return case


def repair_decide(*, case: Case, approve: bool, reasons: str, party: Party, actor: Actor, day: date | None = None) -> Case:
    """The credit centre's decision. Approval: the record is repaired (publication stops at once,
    a DEL event for the feed and the outbound exchange), then — after commit — the lists and the
    evaluation follow the feed at once (lists_update, evaluation_update)."""
    if case.kind != "repair":
        raise NotFound("未找到该信用修复办件")
    reasons = cases.clean_text(reasons, field="reasons", label="决定说明" if approve else "不予修复的理由")
    if not approve:
        return _repair_refuse(case=case, reasons=reasons, party=party, actor=actor, day=day)
    record = case.records.first()
    with transaction.atomic():
        case = cases.case_transition(case=case, action="approve", party=party, actor=actor, outcome="repaired", reply=reasons, day=day)
        record_services.record_repair(record=record, reason=f"信用修复（办件 {case.pk}）：{reasons}"[:500], actor=actor)
        transaction.on_commit(lambda: _followup(day), robust=True)
    cases.notify_applicant(case, title="信用修复已完成", body=f"{_item_name(record)}已停止公示，信用评价和信用名单已同步更新。")
    return case


def _followup(day: date | None) -> None:
    """Queue the lists and evaluation update (a background task: the credit centre's page does
    not wait for an evaluation run; the worker runs it within seconds, tests at once)."""
    from .tasks import repair_followup

    repair_followup.enqueue(day=day.isoformat() if day else None)


def repair_effects(*, day: date | None = None) -> dict:
    """After a repair: lists and evaluation follow the change feed now rather than at their next
    scheduled run. A busy evaluation (another run going) is left to its job."""
    from xinyong.common.errors import Conflict
    from xinyong.evaluation.services import evaluation_update
    from xinyong.sanctions.services import lists_update

    out: dict = {"lists": lists_update(day=day)}
    try:
        out["evaluation"] = evaluation_update(day=day)
    except Conflict as exc:
        log.warning("evaluation after repair deferred to its job: %s", exc.message)
        out["evaluation"] = None
    return out


def repair_cancel(*, case: Case, actor: Actor, day: date | None = None) -> Case:
    if case.kind != "repair":
        raise NotFound("未找到该信用修复办件")
    return cases.case_transition(case=case, action="cancel", party=cases.APPLICANT, actor=actor, day=day)
