"""Writes on cases: open, move along the state machine, assign, message, remind, escalate.

    case, receipt = case_open(kind="objection", ..., actor=actor)      # in the caller's transaction
    case_transition(case=case, action="decide", party=party, actor=actor, note=reply)

Every step checks the transition against the kind's workflow (workflows.py) and who may take it
(`Party`), writes an event (CaseEvent) and an audit entry, and sets the deadline and the holder
of the state it enters. The kind's own effects (a record corrected, repaired...) are the
caller's (xinyong/redress), in the same transaction. Notifications go out after commit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xinyong.catalog.models import Department
from xinyong.catalog.registry import get_catalog
from xinyong.common.crypto import encrypt, lookup_hash
from xinyong.common.errors import Forbidden, InvalidInput
from xinyong.security.services import Actor, audit_log

from . import files as case_files
from .models import Case, CaseAttachment, CaseEvent, CaseMessage, CaseRoute
from .workflows import workflow

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


@dataclass(frozen=True)
class Party:
    """Who acts on a case: the applicant, staff of a department (credit-centre staff when
    `staff`), or the platform's jobs."""

    side: str  # applicant / staff / system
    department: Department | None = None
    staff: bool = False

    @property
    def is_credit_centre(self) -> bool:
        return self.staff or (self.department is not None and self.department.code == get_catalog().credit_centre)


APPLICANT = Party("applicant")
SYSTEM = Party("system")


def today() -> date:
    return timezone.localdate()


def credit_centre() -> Department:
    return Department.objects.get(code=get_catalog().credit_centre)


def text_limit() -> int:
    return settings.XINYONG["CASES"]["TEXT_MAX_CHARS"]


def clean_text(value: str, *, field: str, label: str, required: bool = True) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise InvalidInput(f"请填写{label}", code="required", fields={field: "必填"})
    if len(value) > text_limit():
        raise InvalidInput(f"{label}不能超过 {text_limit()} 字（现有 {len(value)} 字）", code="text_too_long", fields={field: f"最多 {text_limit()} 字"})
    return value


# ---------------------------------------------------------------------- receipt codes
def receipt_new() -> str:
    """An unguessable receipt code (80 random bits), shown once: XXXX-XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def receipt_normalize(code: str) -> str:
    raw = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def receipt_hash(code: str) -> str:
    return lookup_hash("case-receipt:" + receipt_normalize(code))


# ---------------------------------------------------------------------- internals
def _event(case: Case, *, action: str, label: str, party: Party, actor: Actor, on: date, note: str = "", from_state: str = "", to_state: str = "", public: bool = True) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, at=timezone.now(), on=on, action=action, label=label, from_state=from_state, to_state=to_state,
        side=party.side, actor_label=actor.label[:150] if party.side != "applicant" else "申请人", note=note, public=public,
    )


def _route(case: Case, department: Department | None) -> None:
    """Hand the case to `department` (the new holder); earlier holders stay as inactive routes
    (they keep read access)."""
    if department is None or department.pk == case.holder_id:
        return
    CaseRoute.objects.filter(case=case, active=True, role="lead").update(active=False)
    route, created = CaseRoute.objects.get_or_create(case=case, department=department, defaults={"role": "lead"})
    if not created:
        route.active, route.role = True, "lead"
        route.save(update_fields=["active", "role"])
    case.holder = department


def _enter(case: Case, state_code: str, *, day: date, record_department: Department | None) -> None:
    wf = workflow(case.kind)
    state = wf.state(state_code)
    case.state, case.state_since = state_code, day
    if state.route == "record_department":
        _route(case, record_department or case.department)
    elif state.route == "credit_centre":
        _route(case, credit_centre())
    if state.final:
        case.is_open, case.closed_on, case.due_on, case.deadline_basis = False, day, None, ""
        CaseRoute.objects.filter(case=case, active=True).update(active=False)
    else:
        case.is_open = True
        case.due_on = state.deadline.due(day) if state.deadline else None
        case.deadline_basis = _deadline_basis(state)
        case.reminded_for = None


def _deadline_basis(state) -> str:
    return (f"{state.deadline.label}（{state.basis}）" if state.deadline else "")[:200]


def _notify(*, subject=None, user=None, title: str, body: str, url: str = "") -> None:
    """A notification to the applicant or a staff member (portal, and e-mail after commit:
    xinyong.accounts), written in the caller's transaction."""
    from xinyong.accounts.services import notify

    if subject is not None:
        notify(subject=subject, title=title, body=body, url=url)
    elif user is not None:
        notify(user=user, title=title, body=body, url=url)


def notify_applicant(case: Case, *, title: str, body: str) -> None:
    _notify(subject=case.applicant_subject, user=case.applicant_user if case.applicant_subject_id is None else None, title=title, body=body, url=f"/cases/{case.public_id}/")


# ---------------------------------------------------------------------- services
def case_open(
    *,
    kind: str,
    title: str,
    body: str,
    actor: Actor,
    department: Department,
    subject=None,
    records=(),
    applicant_user=None,
    applicant_subject=None,
    applicant_name: str = "",
    applicant_contact: str = "",
    data: dict | None = None,
    uploads=(),
    day: date | None = None,
) -> tuple[Case, str]:
    """Open a case in its kind's initial state, routed and with its deadline; returns the case
    and its receipt code (shown once). Runs in the caller's transaction (or its own)."""
    from xinyong.common.masking import mask_phone

    day = day or today()
    wf = workflow(kind)
    code = receipt_new()
    contact = (applicant_contact or "").strip()[:100]
    stored: list[str] = []
    try:
        checked = [case_files.store_upload(u) for u in uploads]
        stored = [c.stored_name for c in checked]
        _check_count(len(checked), 0)
        with transaction.atomic():
            case = Case.objects.create(
                kind=kind, state=wf.initial, title=title[:200], body=body, data=data or {}, subject=subject,
                department=department, applicant_user=applicant_user, applicant_subject=applicant_subject,
                applicant_name=(applicant_name or "").strip()[:100] or "申请人",
                applicant_contact_encrypted=encrypt(contact) if contact else "",
                applicant_contact_masked=(mask_phone(contact) if contact.isdigit() else contact[:2] + "***") if contact else "",
                receipt_hash=receipt_hash(code), filed_on=day, filed_at=timezone.now(), state_since=day,
            )
            if records:
                case.records.set(records)
            _enter(case, wf.initial, day=day, record_department=department)
            case.save()
            for c in checked:
                CaseAttachment.objects.create(case=case, side="applicant", name=c.name, content_type=c.content_type, size=c.size, sha256=c.sha256, stored_name=c.stored_name)
            _event(case, action="file", label=f"提交{wf.title}", party=APPLICANT, actor=actor, on=day, to_state=wf.initial, note=f"材料 {len(checked)} 份" if checked else "")
            audit_log(actor=actor, action=f"case.{kind}.file", object_type="case", object_id=case.pk, subject_id=subject.pk if subject else None, detail={"state": case.state, "department": department.code, "due_on": case.due_on.isoformat() if case.due_on else None, "files": len(checked)})
    except BaseException:
        case_files.discard(stored)
        raise
    return case, code


def _check_count(adding: int, existing: int) -> None:
    limit = settings.XINYONG["CASES"]["ATTACHMENTS_PER_CASE"]
    if adding + existing > limit:
        raise InvalidInput(f"每件最多上传 {limit} 个附件", code="too_many_files", fields={case_files.FIELD: f"最多 {limit} 个"})


def may_act(case: Case, by: str, party: Party) -> bool:
    if by == "system":
        return party.side == "system"
    if by == "applicant":
        return party.side == "applicant"
    if party.side != "staff":
        return False
    if by == "credit_centre":
        return party.is_credit_centre
    # "department": staff of the holder or of a department joined to the case, or the credit centre
    if party.is_credit_centre:
        return True
    return party.department is not None and CaseRoute.objects.filter(case=case, department=party.department, active=True).exists()


def case_transition(*, case: Case, action: str, party: Party, actor: Actor, note: str = "", outcome: str = "", reply: str = "", day: date | None = None, record_department: Department | None = None) -> Case:
    """Take one transition of the case's workflow; IllegalTransition (409) when the current state
    does not allow it, Forbidden when the party may not take it. In the caller's transaction."""
    day = day or today()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        wf = workflow(case.kind)
        t = wf.transition(action, from_state=case.state)
        if not may_act(case, t.by, party):
            raise Forbidden(f"您无权对该办件执行“{t.label}”")
        before = case.state
        _enter(case, t.target, day=day, record_department=record_department)
        if outcome:
            case.outcome = outcome
        if reply:
            case.reply = reply
        case.save()
        _event(case, action=action, label=t.label, party=party, actor=actor, on=day, note=note or reply, from_state=before, to_state=t.target)
        audit_log(actor=actor, action=f"case.{case.kind}.{action}", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"from": before, "to": t.target, "outcome": outcome, "note": (note or reply)[:500], "due_on": case.due_on.isoformat() if case.due_on else None})
    return case


def case_assign(*, case: Case, user, party: Party, actor: Actor, day: date | None = None) -> Case:
    """Give the case to a staff member of the holding department (or take it)."""
    if not case.is_open:
        from .workflows import IllegalTransition

        raise IllegalTransition("办件已办结，不能再分派")
    if not may_act(case, "department", party):
        raise Forbidden("您无权分派该办件")
    with transaction.atomic():
        case.assignee = user
        case.save(update_fields=["assignee", "updated_at"])
        _event(case, action="assign", label="分派承办人", party=party, actor=actor, on=day or today(), note=user.get_username() if user else "", public=False)
        audit_log(actor=actor, action=f"case.{case.kind}.assign", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"assignee": user.get_username() if user else None})
    return case


def case_join(*, case: Case, department: Department, party: Party, actor: Actor, note: str = "", day: date | None = None) -> Case:
    """The credit centre joins another department to an open case (联合核查): it sees the case in
    its queue and may act on it with the holder."""
    if not case.is_open:
        from .workflows import IllegalTransition

        raise IllegalTransition("办件已办结，不能再增加核查部门")
    if not (party.side == "staff" and party.is_credit_centre):
        raise Forbidden("只有信用中心可以组织联合核查")
    with transaction.atomic():
        route, created = CaseRoute.objects.get_or_create(case=case, department=department, defaults={"role": "joint", "active": True})
        if not created and not route.active:
            route.active = True
            route.save(update_fields=["active"])
        _event(case, action="join", label="增加联合核查部门", party=party, actor=actor, on=day or today(), note=f"{department.name}{('：' + note) if note else ''}", public=False)
        audit_log(actor=actor, action=f"case.{case.kind}.join", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"department": department.code})
    return case


def case_note(*, case: Case, action: str, label: str, party: Party, actor: Actor, note: str = "", public: bool = False, day: date | None = None) -> CaseEvent:
    """An event in the case's log written by a kind's own step (a tip-off's joint finding, the
    credit centre reading a reporter's identity): internal unless `public`. In the caller's
    transaction; the caller writes the audit entry."""
    return _event(case, action=action, label=label, party=party, actor=actor, on=day or today(), note=note, public=public)


def applicant_visible(case: Case, party: Party) -> bool:
    """Whether the staff party may see who filed the case: a tip-off's reporter is known to the
    credit centre only, never to the departments verifying it (nor to the subject)."""
    return case.kind != "tipoff" or party.is_credit_centre


def case_message(*, case: Case, party: Party, actor: Actor, body: str, uploads=(), day: date | None = None) -> CaseMessage:
    """A message between the applicant and the staff, with attachments (checked, stored)."""
    body = clean_text(body, field="body", label="留言内容")
    if party.side == "applicant" and not case.is_open:
        from .workflows import IllegalTransition

        raise IllegalTransition("办件已办结，不能再留言；如有新的情况，请重新提出申请")
    if party.side == "staff" and not may_act(case, "department", party) and not CaseRoute.objects.filter(case=case, department=party.department).exists():
        raise Forbidden("您无权在该办件中留言")
    stored: list[str] = []
    try:
        checked = [case_files.store_upload(u) for u in uploads]
        stored = [c.stored_name for c in checked]
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=case.pk)
            _check_count(len(checked), case.attachments.count())
            author = "申请人" if party.side == "applicant" else (party.department.short_name if party.department else "信用中心")
            msg = CaseMessage.objects.create(case=case, side=party.side, author_label=author, body=body)
            for c in checked:
                CaseAttachment.objects.create(case=case, message=msg, side=party.side, name=c.name, content_type=c.content_type, size=c.size, sha256=c.sha256, stored_name=c.stored_name)
            _event(case, action="message", label="留言" if not checked else f"留言（附件 {len(checked)} 份）", party=party, actor=actor, on=day or today())
            audit_log(actor=actor, action=f"case.{case.kind}.message", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"side": party.side, "files": len(checked), "chars": len(body)})
    except BaseException:
        case_files.discard(stored)
        raise
    if party.side == "staff":
        notify_applicant(case, title=f"您的{workflow(case.kind).title}办件有新的答复", body=body[:200])
    return msg


# ---------------------------------------------------------------------- reminders and escalation
def cases_redate(*, day: date | None = None) -> int:
    """Open cases whose deadline the working-day calendar now in use puts on another day,
    counted again from the day the case entered its state under the same rule: how a year's
    holidays added to `calendar.yaml` reach the deadlines counted Monday to Friday before (the
    pages said they might move). A case whose state's rule has changed since keeps its deadline
    (its `deadline_basis` is not what the rule says now: the rule at entry applies). Each move:
    the reminder due again, a public event, an audit entry."""
    day = day or today()
    done = 0
    actor = Actor.system("工作日历更新")
    for case in Case.objects.filter(is_open=True, due_on__isnull=False).order_by("id"):
        state = workflow(case.kind).states.get(case.state)  # a state since removed from cases.yaml: kept
        if state is None or state.deadline is None or case.deadline_basis != _deadline_basis(state):
            continue
        due = state.deadline.due(case.state_since)
        if due == case.due_on:
            continue
        with transaction.atomic():
            before, case.due_on, case.reminded_for = case.due_on, due, None
            case.save(update_fields=["due_on", "reminded_for", "updated_at"])
            note = f"办理期限由 {before.isoformat()} 更正为 {due.isoformat()}（按更新后的工作日历计算{state.deadline.label}）"
            _event(case, action="redate", label="办理期限按工作日历更正", party=SYSTEM, actor=actor, on=day, note=note, public=True)
            audit_log(actor=actor, action=f"case.{case.kind}.redate", object_type="case", object_id=case.pk, subject_id=case.subject_id,
                      detail={"due_on": due.isoformat(), "before": before.isoformat()})
        done += 1
    return done


def cases_remind(*, day: date | None = None) -> int:
    """Open cases whose deadline is within `reminder_working_days` working days: an internal
    event and a notification to the assignee, once per deadline."""
    from .workflows import rules

    day = day or today()
    n = rules().reminder_working_days
    from xinyong.common.calendar import calendar

    cal = calendar()
    done = 0
    actor = Actor.system("办件期限提醒")
    horizon = cal.add_working_days(day, n)
    due_soon = Case.objects.filter(is_open=True, due_on__gte=day, due_on__lte=horizon).exclude(reminded_for=F("due_on"))
    for case in due_soon.select_related("assignee").order_by("id"):
        if cal.working_days_between(day, case.due_on) > n:
            continue
        with transaction.atomic():
            case.reminded_for = case.due_on
            case.save(update_fields=["reminded_for", "updated_at"])
            _event(case, action="remind", label="期限提醒", party=SYSTEM, actor=actor, on=day, note=f"办理期限 {case.due_on.isoformat()}", public=False)
            audit_log(actor=actor, action=f"case.{case.kind}.remind", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"due_on": case.due_on.isoformat()})
            if case.assignee_id:
                _notify(user=case.assignee, title=f"办件即将到期：{case.title}", body=f"办理期限为 {case.due_on.isoformat()}，请及时办理。", url=f"/dept/cases/{case.pk}/")
        done += 1
    return done


def cases_escalate(*, day: date | None = None) -> int:
    """Open cases past their deadline and not escalated yet: escalated to the credit centre
    (督办), which sees them in its queue; an event and an audit entry."""
    day = day or today()
    done = 0
    actor = Actor.system("办件逾期督办")
    centre = credit_centre()
    for case in Case.objects.filter(is_open=True, due_on__lt=day, escalated_at__isnull=True).order_by("id"):
        with transaction.atomic():
            case.escalated_at = timezone.now()
            case.save(update_fields=["escalated_at", "updated_at"])
            CaseRoute.objects.get_or_create(case=case, department=centre, defaults={"role": "joint", "active": True})
            _event(case, action="escalate", label="逾期，提交信用中心督办", party=SYSTEM, actor=actor, on=day, note=f"办理期限 {case.due_on.isoformat()} 已过", public=True)
            audit_log(actor=actor, action=f"case.{case.kind}.escalate", object_type="case", object_id=case.pk, subject_id=case.subject_id, detail={"due_on": case.due_on.isoformat(), "holder": case.holder_id})
        done += 1
    return done
