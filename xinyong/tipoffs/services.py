"""Writes on tip-offs (失信举报): file, route for joint verification (联合核查), enter findings,
record the confirmed fact, reveal the reporter (credit centre only), flag a malicious report.

    case, code = tipoff_submit(subject_key="91220101...", category="market_fraud", facts=..., reporter=Reporter(...))
    tipoff_route(case=case, lead=gsj, joint=[hbt], party=centre, actor=actor)
    tipoff_finding(case=case, finding="confirmed", note=..., reply=..., party=lead_party, actor=actor)
    record = tipoff_record(case=case, item_code="penalty.gsj", values={...}, party=lead_party, actor=actor)

The case itself (state, deadlines, routes, events, escalation) is the case machinery's
(xinyong.cases); this module adds what a tip-off needs and keeps the reporter protected: the
reporter's name, contact, account and address are stored only in `Tipoff.reporter_encrypted`; the
case carries "举报人" as its applicant and no contact, so no page built from the case can show them.

Rule of the joint verification: every department routed to the tip-off enters its finding; the
lead department's finding concludes it (confirmed → 查证属实, unfounded → 查无实据), with the public
reply the reporter reads. Joint departments' findings inform the lead and the credit centre.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction

from xinyong.cases import services as cases
from xinyong.cases.models import Case
from xinyong.cases.services import Party, clean_text, today
from xinyong.cases.workflows import IllegalTransition
from xinyong.catalog.models import Department
from xinyong.common.crypto import decrypt, encrypt, lookup_hash
from xinyong.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.security.services import Actor, audit_log

from .categories import category as get_category
from .models import FINDING_CHOICES, Tipoff, TipoffFinding

NOT_FOUND = "未找到该主体的公开信用档案。请核对统一社会信用代码，或先在“信用查询”中按名称查找，再从其信用档案页点击“举报失信行为”。"
REPORTER_ACTOR = Actor("public", "举报人")
NAME_MAX = 50
CONTACT_MAX = 100


@dataclass(frozen=True)
class Reporter:
    """Who reports: anyone (optional name and contact), maybe signed in with a portal account."""

    name: str = ""
    contact: str = ""
    user: object | None = None
    ip: str | None = None


def _config() -> dict:
    return settings.XINYONG["TIPOFFS"]


def contact_key(contact: str) -> str:
    """Keyed hash of a normalized contact (spaces, dashes and case ignored): flags are counted per
    contact without keeping it in clear."""
    norm = "".join(ch for ch in (contact or "").lower() if ch.isalnum() or ch in "@._+")
    return lookup_hash("tipoff-contact:" + norm) if norm else ""


def subject_for_report(key: str):
    """The subject of a report, by USCC or by the public id of a published individual's file
    (p-<uuid>): the portal's own lookup, whose unknown and private answers are the same."""
    from xinyong.portal.selectors import public_subject

    subject = public_subject((key or "").strip()[:80])
    if subject is None:
        raise NotFound(NOT_FOUND, code="subject_not_found", fields={"subject": "未找到"})
    return subject


def _check_dates(occurred_from: date | None, occurred_until: date | None, day: date) -> None:
    if occurred_from and occurred_from > day:
        raise InvalidInput("失信行为发生日期不能晚于今天", code="date_in_future", fields={"occurred_from": "不能晚于今天"})
    if occurred_until and occurred_until > day:
        raise InvalidInput("持续至日期不能晚于今天", code="date_in_future", fields={"occurred_until": "不能晚于今天"})
    if occurred_from and occurred_until and occurred_until < occurred_from:
        raise InvalidInput("持续至日期不能早于发生日期", code="date_order", fields={"occurred_until": "早于发生日期"})


def tipoff_submit(
    *,
    subject_key: str,
    category: str,
    facts: str,
    reporter: Reporter,
    occurred_from: date | None = None,
    occurred_until: date | None = None,
    uploads=(),
    day: date | None = None,
) -> tuple[Case, str]:
    """File a tip-off about a public subject; returns the case and its receipt code (shown once).
    Every field is checked before the subject is looked up, and an unknown subject and a private
    individual get the same answer (NotFound, NOT_FOUND)."""
    day = day or today()
    cat = get_category(category)
    if cat is None:
        raise InvalidInput("请选择举报类别", code="category_required", fields={"category": "请选择"})
    facts = clean_text(facts, field="facts", label="举报事实")
    name = (reporter.name or "").strip()
    contact = (reporter.contact or "").strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(f"姓名不能超过 {NAME_MAX} 字", code="text_too_long", fields={"name": f"最多 {NAME_MAX} 字"})
    if len(contact) > CONTACT_MAX:
        raise InvalidInput(f"联系方式不能超过 {CONTACT_MAX} 字", code="text_too_long", fields={"contact": f"最多 {CONTACT_MAX} 字"})
    _check_dates(occurred_from, occurred_until, day)
    subject = subject_for_report(subject_key)
    user = reporter.user if reporter.user is not None and getattr(reporter.user, "is_authenticated", False) else None
    identity = {k: v for k, v in {"name": name, "contact": contact, "username": user.get_username() if user else "", "user_id": user.pk if user else None, "ip": reporter.ip or ""}.items() if v}
    kind = "account" if user else ("named" if name or contact else "anonymous")
    with transaction.atomic():
        case, code = cases.case_open(
            kind="tipoff", title=f"举报{subject.display_name}：{cat.label}", body=facts, actor=REPORTER_ACTOR,
            department=cases.credit_centre(), subject=subject, applicant_name="举报人",
            data={"category": cat.code, "category_label": cat.label}, uploads=uploads, day=day,
        )
        Tipoff.objects.create(
            case=case, category=cat.code, occurred_from=occurred_from, occurred_until=occurred_until, reporter_kind=kind,
            reporter_encrypted=encrypt(json.dumps(identity, ensure_ascii=False)) if identity else "", contact_hash=contact_key(contact),
        )
    return case, code


# ---------------------------------------------------------------------- helpers
def tipoff_of(case: Case) -> Tipoff:
    if case.kind != "tipoff":
        raise NotFound("该办件不是失信举报", code="not_a_tipoff")
    return Tipoff.objects.get(case=case)


def _fresh(case: Case) -> Case:
    """The case as stored now (a step is judged on the current state, not on a caller's copy)."""
    return Case.objects.select_related("subject", "holder", "department").get(pk=case.pk)


def _require_centre(party: Party, what: str) -> None:
    if not (party.side == "staff" and party.is_credit_centre):
        raise Forbidden(f"只有信用中心可以{what}")


def _require_state(case: Case, *states: str, what: str) -> None:
    if case.state not in states:
        from xinyong.cases.selectors import state_label

        raise IllegalTransition(f"失信举报当前状态为“{state_label(case)}”，不能{what}")


# ---------------------------------------------------------------------- routing
def tipoff_route(*, case: Case, lead: Department, joint=(), party: Party, actor: Actor, note: str = "", day: date | None = None) -> Case:
    """The credit centre routes the tip-off: the lead department holds it (verifying, with its
    deadline) and is responsible for it; other departments join the joint verification."""
    _require_centre(party, "分办举报")
    case = _fresh(case)
    tipoff_of(case)
    _require_state(case, "routing", what="分办")
    if lead is None or not lead.active:
        raise InvalidInput("请选择牵头核查部门", code="lead_required", fields={"lead": "请选择"})
    if lead.code == cases.credit_centre().code:
        raise InvalidInput("牵头核查部门应为负有监管职责的部门", code="lead_invalid", fields={"lead": "不能为信用中心"})
    others = [d for d in dict.fromkeys(joint) if d.pk != lead.pk and d.active]
    note = clean_text(note, field="note", label="分办说明", required=False)
    day = day or today()
    with transaction.atomic():
        case = cases.case_transition(case=case, action="route", party=party, actor=actor, day=day, record_department=lead)
        Case.objects.filter(pk=case.pk).update(department=lead)
        case.department = lead
        for dept in others:
            cases.case_join(case=case, department=dept, party=party, actor=actor, note=note, day=day)
        audit_log(actor=actor, action="tipoff.route", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"lead": lead.code, "joint": [d.code for d in others], "note": note[:500]})
    return case


def tipoff_reject(*, case: Case, reply: str, party: Party, actor: Actor, day: date | None = None) -> Case:
    """The credit centre closes a tip-off before routing it (查无实据: out of scope, no facts)."""
    _require_centre(party, "直接办结举报")
    case = _fresh(case)
    tipoff = tipoff_of(case)
    _require_state(case, "routing", what="直接办结")
    reply = clean_text(reply, field="reply", label="公开答复")
    with transaction.atomic():
        case = cases.case_transition(case=case, action="dismiss", party=party, actor=actor, outcome="unfounded", reply=reply, day=day)
        tipoff.public_reply = reply
        tipoff.save(update_fields=["public_reply"])
    return case


# ---------------------------------------------------------------------- joint verification
def tipoff_finding(*, case: Case, finding: str, note: str, party: Party, actor: Actor, reply: str = "", day: date | None = None) -> TipoffFinding:
    """A department taking part enters (or revises) its finding while the tip-off is being
    verified. The lead department's finding concludes it: confirmed → 查证属实, unfounded → 查无实据,
    with the public reply the reporter reads."""
    case = _fresh(case)
    tipoff = tipoff_of(case)
    _require_state(case, "verifying", what="录入核查意见")
    dept = party.department if party.side == "staff" else None
    if dept is None or not case.routes.filter(department=dept, active=True).exists() or dept.code == cases.credit_centre().code:
        raise Forbidden("核查意见由参与核查的部门录入")
    lead = dept.pk == case.holder_id
    if finding not in dict(FINDING_CHOICES) or (lead and finding == "partly"):
        allowed = "查证属实或查无实据" if lead else "查证属实、部分属实或查无实据"
        raise InvalidInput(f"请选择核查结论（{allowed}）", code="finding_invalid", fields={"finding": "请选择"})
    note = clean_text(note, field="note", label="核查情况")
    if lead:
        reply = clean_text(reply, field="reply", label="公开答复")
    day = day or today()
    with transaction.atomic():
        row, _ = TipoffFinding.objects.update_or_create(
            tipoff=tipoff, department=dept, defaults={"lead": lead, "finding": finding, "note": note, "actor_label": actor.label[:150], "on": day},
        )
        label = dict(FINDING_CHOICES)[finding]
        audit_log(actor=actor, action="tipoff.finding", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"department": dept.code, "lead": lead, "finding": finding})
        if lead:
            action, outcome = ("confirm", "confirmed") if finding == "confirmed" else ("dismiss", "unfounded")
            cases.case_transition(case=case, action=action, party=party, actor=actor, outcome=outcome, reply=reply, day=day)
            tipoff.public_reply = reply
            tipoff.save(update_fields=["public_reply"])
        else:
            cases.case_note(case=case, action="finding", label=f"协办部门核查意见：{label}", party=party, actor=actor, note=f"{dept.short_name}：{note}", day=day)
    return row


# ---------------------------------------------------------------------- the resulting record
def record_items(case: Case, department: Department) -> list:
    """The catalog items of the tip-off's category that the department may submit (一数一源)."""
    from xinyong.catalog.registry import get_catalog

    cat = get_category(tipoff_of(case).category)
    catalog = get_catalog()
    items = [catalog.item(code) for code in (cat.items if cat else ())]
    return [i for i in items if i is not None and i.owner == department.system and department.level in i.levels]


def tipoff_record(*, case: Case, item_code: str, values: dict, party: Party, actor: Actor, user=None) -> object:
    """The lead department records the confirmed fact through the ingestion pipeline (the one way
    a department records a fact): a one-row batch named after the case, so that the record's
    lineage (batch, file name, department, time) points at the tip-off; the record is linked to
    the case. Row errors come back as InvalidInput with the pipeline's reasons."""
    from xinyong.ingestion.services import batch_submit
    from xinyong.records.models import Record

    case = _fresh(case)
    tipoff = tipoff_of(case)
    _require_state(case, "confirmed", what="录入认定记录")
    dept = party.department if party.side == "staff" else None
    if dept is None or dept.pk != case.holder_id:
        raise Forbidden("认定记录由牵头核查部门录入")
    if tipoff.record_id:
        raise Conflict("该举报的认定记录已经录入", code="record_exists")
    item = next((i for i in record_items(case, dept) if i.code == item_code), None)
    if item is None:
        raise InvalidInput("请选择本部门可报送的信息项", code="item_invalid", fields={"item": "请选择"})
    row = {f.name: str(values.get(f.name, "") or "").strip() for f in item.fields}
    row = {k: v for k, v in row.items() if v}
    fd, name = tempfile.mkstemp(prefix="tipoff-", suffix=".ndjson", dir=settings.FILE_UPLOAD_TEMP_DIR)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        batch = batch_submit(department=dept, item_code=item.code, path=path, filename=f"tipoff-case-{case.pk}.ndjson", door="web", actor=actor, user=user, background=False)
    finally:
        path.unlink(missing_ok=True)
    record = Record.objects.filter(batch=batch).first() if batch.status == "succeeded" and batch.accepted == 1 else None
    if record is None:
        labels = {f.name: f.label for f in item.fields}
        by_label = {f.label: f.name for f in item.fields}
        errors = list(batch.row_errors.values_list("field", "message"))
        fields = {by_label.get(f, f) if f in by_label else f: m for f, m in errors}
        if batch.unchanged:
            message = "该记录已经存在（相同的决定文书号），无需重复录入"
        elif batch.to_review:
            message = "记录未能确定对应的主体，已转入待人工关联"
        else:
            message = "；".join(f"{labels.get(f, f) or '记录'}：{m}" for f, m in errors) or (batch.message or "记录未被接收")
        raise InvalidInput(message, code="record_rejected", fields=fields)
    with transaction.atomic():
        tipoff.record = record
        tipoff.save(update_fields=["record"])
        case.records.add(record)
        cases.case_note(case=case, action="record", label="录入认定记录", party=party, actor=actor, note=f"{item.name}，记录 {record.pk}，报送批次 {batch.pk}")
        audit_log(actor=actor, action="tipoff.record", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"record": record.pk, "batch": batch.pk, "item": item.code})
    return record


# ---------------------------------------------------------------------- reporter
def tipoff_reveal(*, case: Case, reason: str, party: Party, actor: Actor, day: date | None = None) -> dict:
    """The credit centre reads who reported, for a stated reason: an audit entry and an internal
    event in the case's history (the reason, never the identity). Returns the identity."""
    _require_centre(party, "查看举报人身份")
    case = _fresh(case)
    tipoff = tipoff_of(case)
    reason = clean_text(reason, field="reason", label="查看理由")
    if len(reason) < _config()["REVEAL_REASON_MIN_CHARS"]:
        n = _config()["REVEAL_REASON_MIN_CHARS"]
        raise InvalidInput(f"请具体说明查看理由（至少 {n} 个字）", code="reason_too_short", fields={"reason": f"至少 {n} 个字"})
    with transaction.atomic():
        audit_log(actor=actor, action="tipoff.reveal", object_type="case", object_id=case.pk, detail={"reason": reason[:500]})
        cases.case_note(case=case, action="reveal", label="信用中心查看举报人身份", party=party, actor=actor, note=f"理由：{reason}", day=day)
    identity = json.loads(decrypt(tipoff.reporter_encrypted)) if tipoff.reporter_encrypted else {}
    return {"kind": tipoff.get_reporter_kind_display(), **identity}


def tipoff_flag(*, case: Case, reason: str, party: Party, actor: Actor, day: date | None = None) -> Tipoff:
    """The credit centre flags a closed tip-off as malicious or false (恶意或虚假举报): counted per
    reporter contact; no sanction follows automatically."""
    _require_centre(party, "标记恶意或虚假举报")
    case = _fresh(case)
    tipoff = tipoff_of(case)
    if case.is_open:
        raise IllegalTransition("举报办结后才能标记为恶意或虚假举报")
    if tipoff.flagged:
        raise Conflict("该举报已经标记", code="already_flagged")
    reason = clean_text(reason, field="flag_reason", label="标记理由")
    day = day or today()
    with transaction.atomic():
        tipoff.flagged, tipoff.flag_reason, tipoff.flagged_on = True, reason, day
        tipoff.save(update_fields=["flagged", "flag_reason", "flagged_on"])
        audit_log(actor=actor, action="tipoff.flag", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"reason": reason[:500]})
        cases.case_note(case=case, action="flag", label="标记为恶意或虚假举报", party=party, actor=actor, note=reason, day=day)
    return tipoff
