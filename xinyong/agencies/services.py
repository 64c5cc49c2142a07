"""Writes of the credit service agency registry and of complaints about agencies.

Registry (by staff of a supervising department, `department`; credit-centre staff may act on
behalf of one):
    agency_register  an organization subject registered as an agency (在业)
    agency_update    business types, licence number, key staff, service note
    agency_suspend   在业 → 暂停 (reason);   agency_resume  暂停 → 在业
    agency_exit      在业/暂停 → 退出 (市场退出: reason and date; final)
Each change writes an AgencyEvent (the public status history), an audit entry and a change-feed
event (entity "subject", MOD: the subject's public file changed), in one transaction.

Complaints (投诉), on the case machinery (kind `complaint`):
    complaint_file    anyone files about an agency → the agency's supervising department
    complaint_close   the department's conclusion and written reply (outcome of agencies.yaml)
    complaint_cancel  the complainant withdraws
    complaint_record  a substantiated complaint → a negative record about the agency, submitted
                      by the department through the one ingestion pipeline (lineage: the
                      record's source id names the complaint; the case keeps the record's id)
The complainant's identity stays in the case (staff of the supervising department and the
credit centre see it); the agency and the public never do.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from xinyong.cases import services as cases
from xinyong.cases.models import Case
from xinyong.cases.services import Party
from xinyong.catalog.models import Department
from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.records import feed
from xinyong.records.models import ChangeEvent, Record
from xinyong.security.services import Actor, audit_log
from xinyong.subjects.identifiers import InvalidCode, clean_uscc, suggest_uscc
from xinyong.subjects.models import Subject

from .models import Agency, AgencyEvent
from .rules import rules

NOT_FOUND = "未找到该信用服务机构"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def today() -> date:
    return timezone.localdate()


# ---------------------------------------------------------------------- input checks
def clean_line(value, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    """One line of text: trimmed; control characters and line breaks refused (not silently
    dropped), as is text over `max_length`."""
    text = str(value if value is not None else "").strip()
    if required and not text:
        raise InvalidInput(f"请填写{label}", code="required", fields={field: "必填"})
    if _CONTROL.search(text) or "\n" in text or "\r" in text:
        raise InvalidInput(f"{label}含有不允许的控制字符或换行", code="bad_text", fields={field: "含有不允许的字符"})
    if len(text) > max_length:
        raise InvalidInput(f"{label}不能超过 {max_length} 字", code="text_too_long", fields={field: f"最多 {max_length} 字"})
    return text


def clean_note(value, *, field: str, label: str, required: bool = True) -> str:
    text = str(value if value is not None else "").replace("\r\n", "\n").strip()
    limit = rules().note_max
    if required and not text:
        raise InvalidInput(f"请填写{label}", code="required", fields={field: "必填"})
    if _CONTROL.search(text):
        raise InvalidInput(f"{label}含有不允许的控制字符", code="bad_text", fields={field: "含有不允许的字符"})
    if len(text) > limit:
        raise InvalidInput(f"{label}不能超过 {limit} 字（现有 {len(text)} 字）", code="text_too_long", fields={field: f"最多 {limit} 字"})
    return text


def clean_date(value, *, field: str, label: str, day: date) -> date:
    if isinstance(value, date):
        out = value
    else:
        try:
            out = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise InvalidInput(f"{label}应为日期（如 2026-03-01）", code="bad_date", fields={field: "日期格式应为 YYYY-MM-DD"}) from None
    if out > day:
        raise InvalidInput(f"{label}不能晚于今天（{day.isoformat()}）", code="future_date", fields={field: "不能是将来的日期"})
    return out


def clean_types(codes) -> list[str]:
    r = rules()
    codes = [str(c) for c in (codes or [])]
    if not codes:
        raise InvalidInput("请选择至少一项业务类型", code="required", fields={"business_types": "必选"})
    bad = [c[:40] for c in codes if c not in r.types]
    if bad:
        raise InvalidInput(f"未知的业务类型：{'、'.join(bad)}", code="unknown_type", fields={"business_types": "未知的业务类型"})
    return [c for c in r.types if c in set(codes)]  # the YAML's order, no duplicates


def clean_key_staff(value) -> int:
    limit = rules().key_staff_max
    try:
        n = int(str(value if value is not None else "0").strip() or "0")
    except ValueError:
        raise InvalidInput("从业人员数应为整数", code="bad_number", fields={"key_staff": "应为整数"}) from None
    if n < 0 or n > limit:
        raise InvalidInput(f"从业人员数应在 0 到 {limit} 之间", code="bad_number", fields={"key_staff": f"0–{limit}"})
    return n


def subject_for_uscc(value) -> Subject:
    """The organization subject with this USCC; InvalidInput for a code that is not valid (with
    the corrected check character where that is the only fault), NotFound for an unknown one."""
    try:
        code = clean_uscc(str(value or ""))
    except InvalidCode as exc:
        hint = suggest_uscc(str(value or ""))
        reason = str(exc) + (f"（校验位应为 {hint[-1]}）" if hint else "")
        raise InvalidInput(reason, code="bad_uscc", fields={"uscc": reason}) from None
    subject = Subject.objects.filter(uscc=code).exclude(kind="individual").first()
    if subject is None:
        raise NotFound(f"平台中没有统一社会信用代码为 {code} 的主体；请先由登记机关报送其登记注册信息", code="unknown_subject", fields={"uscc": "平台中没有该主体"})
    return subject


# ---------------------------------------------------------------------- remit
def check_remit(department: Department, codes) -> None:
    r = rules()
    if not r.has_remit(department, codes):
        names = "、".join(sorted({get_catalog().systems[r.type(c).authority].province_name for c in codes if c in r.types}))
        raise Forbidden(f"{department.short_name}不负责监管所选业务类型的信用服务机构（由{names}负责）", code="no_remit")


# ---------------------------------------------------------------------- registry
def _feed(subject_id: int) -> None:
    feed.append([ChangeEvent(at=timezone.now(), entity="subject", entity_id=subject_id, subject_id=subject_id, item_code="", op="MOD")])


def _record_event(agency: Agency, *, action: str, on: date, department: Department, note: str = "", changes: dict | None = None) -> AgencyEvent:
    return AgencyEvent.objects.create(agency=agency, action=action, on=on, status=agency.status, department=department, note=note, changes=changes or {})


def _audit(agency: Agency, *, actor: Actor, action: str, department: Department, on_behalf: bool, detail: dict) -> None:
    audit_log(actor=actor, action=f"agency.{action}", object_type="agency", object_id=agency.pk, subject_id=agency.subject_id,
              detail={"department": department.code, "on_behalf": on_behalf, **detail})


def agency_register(
    *, uscc, business_types, licence_no, entered_on, department: Department, actor: Actor, key_staff=0, service_note: str = "",
    on_behalf: bool = False, day: date | None = None,
) -> Agency:
    """Register an organization subject as a credit service agency (status 在业 from its entry
    date). The department must supervise one of its business types."""
    day = day or today()
    r = rules()
    subject = subject_for_uscc(uscc)
    codes = clean_types(business_types)
    check_remit(department, codes)
    licence_no = clean_line(licence_no, field="licence_no", label="备案或许可编号", max_length=r.licence_no_max)
    entered = clean_date(entered_on, field="entered_on", label="准入日期", day=day)
    staff_n = clean_key_staff(key_staff)
    note = clean_note(service_note, field="service_note", label="业务范围说明", required=False)
    with transaction.atomic():
        Subject.objects.select_for_update().filter(pk=subject.pk).first()
        if Agency.objects.filter(subject=subject).exists():
            raise Conflict(f"{subject.name}已登记为信用服务机构，请在其登记页办理变更", code="already_registered", fields={"uscc": "已登记"})
        agency = Agency.objects.create(
            subject=subject, business_types=codes, licence_kind=r.licence_kind(codes), licence_no=licence_no, supervisor=department,
            entered_on=entered, status="active", status_since=entered, key_staff=staff_n, service_note=note, region=subject.region,
        )
        _record_event(agency, action="register", on=entered, department=department, note=f"{agency.licence_kind}编号 {licence_no}", changes={"business_types": codes})
        _audit(agency, actor=actor, action="register", department=department, on_behalf=on_behalf,
               detail={"uscc": subject.uscc, "types": codes, "licence_no": licence_no, "entered_on": entered.isoformat()})
        _feed(subject.pk)
    return agency


def _locked(agency_id) -> Agency:
    try:
        return Agency.objects.select_for_update().select_related("subject", "supervisor").get(pk=int(agency_id))
    except (Agency.DoesNotExist, TypeError, ValueError):
        raise NotFound(NOT_FOUND, code="agency_not_found") from None


def _check_agency_remit(agency: Agency, department: Department) -> None:
    if department.pk != agency.supervisor_id and not rules().has_remit(department, agency.business_types):
        raise Forbidden(f"{department.short_name}不是该机构的监管部门", code="no_remit")


def agency_update(
    *, agency_id, department: Department, actor: Actor, business_types=None, licence_no=None, key_staff=None, service_note=None,
    on_behalf: bool = False, day: date | None = None,
) -> Agency:
    """Change the registration's details (not its status); the changes are listed in the event."""
    day = day or today()
    r = rules()
    with transaction.atomic():
        agency = _locked(agency_id)
        _check_agency_remit(agency, department)
        if agency.status == "exited":
            raise Conflict("该机构已退出市场，登记信息不能再变更", code="exited")
        changes: dict = {}
        if business_types is not None:
            codes = clean_types(business_types)
            check_remit(department, codes)
            if codes != agency.business_types:
                changes["business_types"] = codes
                agency.business_types, agency.licence_kind = codes, r.licence_kind(codes)
        if licence_no is not None:
            value = clean_line(licence_no, field="licence_no", label="备案或许可编号", max_length=r.licence_no_max)
            if value != agency.licence_no:
                changes["licence_no"] = value
                agency.licence_no = value
        if key_staff is not None:
            n = clean_key_staff(key_staff)
            if n != agency.key_staff:
                changes["key_staff"] = n
                agency.key_staff = n
        if service_note is not None:
            note = clean_note(service_note, field="service_note", label="业务范围说明", required=False)
            if note != agency.service_note:
                changes["service_note"] = note[:200]
                agency.service_note = note
        if not changes:
            raise InvalidInput("没有需要变更的内容", code="no_change")
        agency.save()
        _record_event(agency, action="update", on=day, department=department, changes=changes,
                      note="变更：" + "、".join({"business_types": "业务类型", "licence_no": "备案或许可编号", "key_staff": "从业人员数", "service_note": "业务范围说明"}[k] for k in changes))
        _audit(agency, actor=actor, action="update", department=department, on_behalf=on_behalf, detail={"changes": changes, "on": day.isoformat()})
        _feed(agency.subject_id)
    return agency


_MOVES = {
    # action: (allowed from, to, label)
    "suspend": (("active",), "suspended", "暂停业务"),
    "resume": (("suspended",), "active", "恢复业务"),
    "exit": (("active", "suspended"), "exited", "市场退出"),
}


def _move(*, agency_id, action: str, reason, on, department: Department, actor: Actor, on_behalf: bool, day: date | None) -> Agency:
    day = day or today()
    sources, target, label = _MOVES[action]
    with transaction.atomic():
        agency = _locked(agency_id)
        _check_agency_remit(agency, department)  # who acts comes first: a department without the remit learns nothing more
        reason = clean_note(reason, field="reason", label="原因" if action != "resume" else "说明")
        when = clean_date(on or day, field="on", label=f"{label}日期", day=day)
        if agency.status not in sources:
            raise Conflict(f"该机构当前状态为“{agency.get_status_display()}”，不能{label}", code="illegal_status")
        if when < agency.status_since:
            raise InvalidInput(f"{label}日期不能早于当前状态的日期（{agency.status_since.isoformat()}）", code="bad_date", fields={"on": "日期过早"})
        before = agency.status
        agency.status, agency.status_since = target, when
        agency.status_reason = reason if action != "resume" else ""
        if action == "exit":
            agency.exited_on = when
        agency.save()
        _record_event(agency, action=action, on=when, department=department, note=reason)
        _audit(agency, actor=actor, action=action, department=department, on_behalf=on_behalf, detail={"from": before, "to": target, "on": when.isoformat(), "reason": reason[:500]})
        _feed(agency.subject_id)
    return agency


def agency_suspend(*, agency_id, reason, department: Department, actor: Actor, on=None, on_behalf: bool = False, day: date | None = None) -> Agency:
    return _move(agency_id=agency_id, action="suspend", reason=reason, on=on, department=department, actor=actor, on_behalf=on_behalf, day=day)


def agency_resume(*, agency_id, reason, department: Department, actor: Actor, on=None, on_behalf: bool = False, day: date | None = None) -> Agency:
    return _move(agency_id=agency_id, action="resume", reason=reason, on=on, department=department, actor=actor, on_behalf=on_behalf, day=day)


def agency_exit(*, agency_id, reason, department: Department, actor: Actor, on=None, on_behalf: bool = False, day: date | None = None) -> Agency:
    """市场退出: final; the agency stays in the directory and its file, shown as exited."""
    return _move(agency_id=agency_id, action="exit", reason=reason, on=on, department=department, actor=actor, on_behalf=on_behalf, day=day)


# ====================================================================== complaints
@dataclass(frozen=True)
class Complainant:
    """Who files: a portal account (user, and the subject it acts for) or anyone (name, contact)."""

    user: object | None = None
    subject: object | None = None
    name: str = ""
    contact: str = ""


def agency_for_complaint(agency_id) -> Agency:
    try:
        return Agency.objects.select_related("subject", "supervisor").get(pk=int(agency_id))
    except (Agency.DoesNotExist, TypeError, ValueError):
        raise NotFound(NOT_FOUND, code="agency_not_found") from None


def complaint_file(*, agency_id, complainant: Complainant, service: str, facts: str, demand: str = "", uploads=(), actor: Actor, day: date | None = None) -> tuple[Case, str]:
    """File a complaint about an agency: a `complaint` case held by its supervising department,
    with its deadline on the working-day calendar. Returns the case and its receipt code (shown
    once; only its keyed hash is stored)."""
    day = day or cases.today()
    agency = agency_for_complaint(agency_id)
    r = rules()
    service = str(service or "")
    if service not in agency.business_types and service != "other":
        raise InvalidInput("请选择涉及的服务", code="bad_service", fields={"service": "应为该机构登记的业务类型之一或“其他”"})
    service_name = r.type(service).name if service in r.types else "其他服务"
    facts = cases.clean_text(facts, field="facts", label="投诉事实")
    demand = cases.clean_text(demand, field="demand", label="投诉请求", required=False)
    if complainant.subject is None:
        if not (complainant.contact or "").strip():
            raise InvalidInput("请填写联系方式，以便监管部门联系和答复您", code="required", fields={"contact": "必填"})
        clean_line(complainant.contact, field="contact", label="联系方式", max_length=100)
        clean_line(complainant.name, field="name", label="投诉人姓名", max_length=100, required=False)
    if complainant.subject is not None and complainant.subject.pk == agency.subject_id:
        raise InvalidInput("机构不能投诉自己", code="self_complaint")
    name = complainant.name or (complainant.subject.name if complainant.subject else "") or "投诉人"
    body = facts + (f"\n\n投诉请求：{demand}" if demand else "")
    with transaction.atomic():
        case, code = cases.case_open(
            kind="complaint", title=f"对{agency.subject.name}的投诉（{service_name}）", body=body, actor=actor,
            department=agency.supervisor, subject=agency.subject, applicant_user=complainant.user, applicant_subject=complainant.subject,
            applicant_name=name, applicant_contact=complainant.contact,
            data={"agency": agency.pk, "service": service, "service_name": service_name, "demand": demand}, uploads=uploads, day=day,
        )
    cases.notify_applicant(case, title="投诉已受理", body=f"您对{agency.subject.name}的投诉已转{agency.supervisor.name}处理，将于 {case.due_on.isoformat()} 前答复。")
    return case, code


def _complaint(case: Case) -> Case:
    if case.kind != "complaint":
        raise NotFound("未找到该投诉办件")
    return case


def complaint_close(*, case: Case, outcome: str, reply: str, party: Party, actor: Actor, day: date | None = None) -> Case:
    """The supervising department's conclusion (an outcome of agencies.yaml) and written reply."""
    _complaint(case)
    r = rules()
    if outcome not in r.outcomes:
        raise InvalidInput("请选择处理结论", code="bad_outcome", fields={"outcome": "应为" + "、".join(o.label for o in r.outcomes.values()) + "之一"})
    reply = cases.clean_text(reply, field="reply", label="书面答复")
    case = cases.case_transition(case=case, action="close", party=party, actor=actor, outcome=outcome, reply=reply, day=day)
    cases.notify_applicant(case, title=f"投诉处理结论：{r.outcomes[outcome].label}", body=reply[:500])
    return case


def complaint_cancel(*, case: Case, actor: Actor, day: date | None = None) -> Case:
    _complaint(case)
    return cases.case_transition(case=case, action="cancel", party=cases.APPLICANT, actor=actor, day=day)


RECORD_FIELDS = {
    # form field: (catalog field name, label, required)
    "decision_no": ("decision_no", "行政处罚决定书文号", True),
    "violation_type": ("violation_type", "违法行为类型", True),
    "facts": ("facts", "违法事实", True),
    "basis": ("basis", "处罚依据", True),
    "penalty_category": ("penalty_category", "处罚类别", True),
    "content": ("content", "处罚内容", True),
    "fine_amount": ("fine_amount", "罚款金额（万元）", False),
    "decision_date": ("decision_date", "处罚决定日期", True),
    "severity": ("severity", "失信严重程度", True),
    "authority_uscc": ("authority_uscc", "处罚机关统一社会信用代码", True),
    "legal_rep": ("legal_rep", "法定代表人", True),
}


def record_item_for(department: Department):
    """The item this department submits a complaint's record as (family `record_item` of
    agencies.yaml, of the department's system and level), or None."""
    family = rules().record_item
    return next((i for i in get_catalog().items_for_department(department) if i.code.split(".")[0] == family), None)


def complaint_source_id(case: Case) -> str:
    return f"complaint-{case.public_id}"


def complaint_record(*, case: Case, values: dict, party: Party, actor: Actor, user=None) -> Record:
    """A closed complaint found substantiated → a negative record about the agency, submitted by
    the supervising department through the ingestion pipeline (door "web"); its source id names
    the complaint, and the case keeps the record's id. One record per complaint."""
    _complaint(case)
    r = rules()
    if case.is_open or case.state != "closed":
        raise Conflict("投诉办结后才能据以生成失信记录", code="not_closed")
    outcome = r.outcomes.get(case.outcome)
    if outcome is None or not outcome.record:
        raise Conflict("只有经查属实的投诉才能生成失信记录", code="not_substantiated")
    if party.side != "staff" or party.department is None or party.department.pk != case.department_id:
        raise Forbidden("失信记录只能由该机构的监管部门报送（一数一源）", code="not_supervisor")
    if (case.data or {}).get("record_id"):
        raise Conflict("该投诉已生成失信记录", code="record_exists")
    department = party.department
    item = record_item_for(department)
    if item is None:
        raise Forbidden(f"{department.short_name}没有可报送的{r.record_item}类信息项，不能生成失信记录", code="no_item")
    subject = case.subject
    row = {"subject_name": subject.name, "subject_category": "法人及非法人组织", "uscc": subject.uscc,
           "authority": department.name, "source_unit": department.name,
           "remarks": f"依据信用服务机构投诉办件（编号 {case.pk}）查实，结论：{outcome.label}", "source_id": complaint_source_id(case)}
    missing = {}
    for form_name, (name, _label, required) in RECORD_FIELDS.items():
        value = str(values.get(form_name) or "").strip()
        if required and not value:
            missing[form_name] = "必填"
        elif value:
            row[name] = value
    if missing:
        raise InvalidInput("请填写：" + "、".join(RECORD_FIELDS[k][1] for k in missing), code="required", fields=missing)
    row["source_unit_uscc"] = row["authority_uscc"]
    from xinyong.ingestion.services import batch_submit

    with tempfile.TemporaryDirectory(prefix="complaint-") as tmp:
        path = Path(tmp) / f"complaint-{case.pk}.json"
        path.write_text(json.dumps([row], ensure_ascii=False), encoding="utf-8")
        batch = batch_submit(department=department, item_code=item.code, path=path, filename=path.name, door="web", actor=actor, user=user, background=False)
    if batch.status != "succeeded" or batch.accepted != 1:
        errors = list(batch.row_errors.values_list("field", "message")[:10])
        reasons = "；".join(f"{f}：{m}" if f else m for f, m in errors) or batch.message or "记录未被接收"
        raise InvalidInput(f"失信记录未能报送：{reasons}", code="record_rejected", fields={"record": reasons})
    record = Record.objects.get(item_code=item.code, department=department, source_id=complaint_source_id(case))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        locked.data = {**(locked.data or {}), "record_id": record.pk, "record_batch": batch.pk}
        locked.save(update_fields=["data", "updated_at"])
        cases.case_note(case=locked, action="record", label="据投诉查实情况报送失信记录", party=party, actor=actor, note=f"{item.name}（{row['decision_no']}）")
        audit_log(actor=actor, action="case.complaint.record", object_type="case", object_id=case.pk, subject_id=case.subject_id,
                  detail={"record": record.pk, "batch": batch.pk, "item": item.code})
    case.data = locked.data
    return record
