"""Writes of credit commitments (信用承诺).

    commitment_sign(...)     签署: a subject signs in the portal (door "portal"), or the accepting
                             department records a commitment signed on paper or in its own system
                             (door "department", with the document; "api"). The text is rendered
                             from the template and frozen with its SHA-256; a replayed form or a
                             second commitment for the same matter and case is refused.
    commitment_fulfil(...)   the accepting department records fulfilment (fully or partly)
    commitment_breach(...)   the accepting department records a breach: a negative record through
                             the ingestion pipeline (batch_submit, the one way a department's records
                             are stored; source id = the commitment code), and, where the template
                             says so, a proposal for a focus list (sanctions.services.entry_propose)

Each is one transaction with an audit entry. Templates: definitions/templates.yaml (templates.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
import unicodedata
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xinyong.catalog.models import Department
from xinyong.catalog.registry import get_catalog
from xinyong.common import filestore
from xinyong.common.crypto import decrypt
from xinyong.common.errors import Conflict, Forbidden, InvalidInput, NotFound, XinyongError
from xinyong.common.uploads import EXTENSIONS, Document
from xinyong.records import selectors as record_selectors
from xinyong.security.services import Actor, audit_log
from xinyong.subjects.models import Subject

from .models import DOOR_CHOICES, Commitment
from .templates import DISCLOSURES, KINDS, Template, get_templates

# a case (matter) number as departments write them: letters, digits, Chinese, and 〔〕()[]-_/#.:
_CASE_NO = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff〔〕（）()\[\]【】\-_/#.:：]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
TEXT_MAX = 5000


def _settings() -> dict:
    return settings.XINYONG.get("COMMITMENTS", {})


def _today(day: date | None) -> date:
    return day or record_selectors.today()


def clean_case_no(raw) -> str:
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    if not text:
        raise InvalidInput("须填写办件编号（事项编号）", code="case_no_required", fields={"case_no": "须填写办件编号"})
    if _CONTROL.search(text) or not _CASE_NO.match(text):
        raise InvalidInput(
            "办件编号只能含字母、数字、汉字和〔〕()-_/#.:，不超过64个字符", code="bad_case_no", fields={"case_no": "含有不允许的字符或过长"},
        )
    return text


def _clean_text(raw, field: str, label: str, *, required: bool = True, limit: int = TEXT_MAX) -> str:
    text = str(raw or "").strip()
    if required and not text:
        raise InvalidInput(f"须填写{label}", code=f"{field}_required", fields={field: f"须填写{label}"})
    if _CONTROL.search(text.replace("\n", "").replace("\r", "").replace("\t", "")):
        raise InvalidInput(f"{label}含有不可见的控制字符", code="bad_text", fields={field: "含有控制字符"})
    if len(text) > limit:
        raise InvalidInput(f"{label}不能超过{limit}个字符", code="too_long", fields={field: f"不超过{limit}个字符"})
    return text


def template_for(code: str) -> Template:
    t = get_templates().get(str(code or "").strip())
    if t is None:
        raise InvalidInput(f"未知的承诺书范本“{str(code)[:40]}”", code="unknown_template", fields={"template": "请选择承诺书范本"})
    return t


def valid_until(template: Template, signed_on: date) -> date | None:
    """The last day in force: `validity_months` from the signing day (the day itself not counted,
    Civil Code Art. 201), that day included; None: 长期."""
    if not template.validity_months:
        return None
    from xinyong.sanctions.services import add_months

    return add_months(signed_on, template.validity_months)


def subject_code(subject: Subject) -> str:
    return f"公民身份号码{subject.id_masked}" if subject.is_individual else f"统一社会信用代码{subject.uscc}"


def render(template: Template, *, subject: Subject, case_no: str, department) -> str:
    return template.render(
        subject_name=subject.name, subject_code=subject_code(subject), matter=template.matter_name, case_no=case_no,
        department=department.name if department is not None else "受理单位",
    )


def _next_code(department: Department, day: date) -> str:
    """6-digit division of the accepting department + 8-digit date + 6-digit serial of that day."""
    prefix = str(department.region_id)[:6] + day.strftime("%Y%m%d")
    last = Commitment.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    serial = int(last[-6:]) + 1 if last else 1
    if serial > 999_999:
        raise Conflict("当日承诺编码已用尽", code="code_exhausted")
    return f"{prefix}{serial:06d}"


def _files_dir() -> Path:
    return Path(_settings().get("FILES_DIR") or (Path(settings.BASE_DIR) / "var" / "commitment-files"))


def _store_document(document: Document) -> str:
    """Stores the document; returns its name, which is what the commitment keeps
    (commitment_document_path)."""
    folder = _files_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(16)}.{EXTENSIONS[document.content_type]}"
    filestore.write(path, document.data)  # encrypted at rest, 0600 (read back with filestore.chunks)
    return path.name


def commitment_document_path(commitment: Commitment) -> Path | None:
    """Where the signed document of a commitment is (filestore.stored_at), or None."""
    return filestore.stored_at(_files_dir(), commitment.document_path)


@transaction.atomic
def commitment_sign(
    *,
    subject: Subject,
    template: str,
    case_no: str,
    department: Department | None,
    statement: bool,
    door: str,
    actor: Actor,
    nonce: str | None = None,
    document: Document | None = None,
    disclosure: str | None = None,
    signed_on: date | None = None,
    day: date | None = None,
) -> Commitment:
    """签署: `subject` commits to `department` in the matter of `template`, case `case_no`."""
    if door not in dict(DOOR_CHOICES):
        raise InvalidInput("签署渠道应为 portal、department 或 api", code="bad_door")
    nonce = (nonce or "").strip()[:64] or None
    if nonce is not None:
        done = Commitment.objects.filter(nonce=nonce).values_list("code", flat=True).first()
        if done is not None:
            raise Conflict(f"该承诺已经签署（承诺编码{done}），请勿重复提交。", code="replayed", fields={"nonce": done})
    t = template_for(template)
    errors: dict[str, str] = {}
    if subject is None:
        raise NotFound("平台没有该信用主体", code="unknown_subject", fields={"subject": "未找到"})
    if department is None or not department.active:
        errors["department"] = "请选择受理单位"
    elif not t.accepts(department):
        errors["department"] = f"{department.name}不受理“{t.name}”"
    if not statement:
        errors["statement"] = "须阅读承诺书全文并勾选“本主体已阅读并自愿作出上述承诺”"
    try:
        case_no = clean_case_no(case_no)
    except InvalidInput as exc:
        errors.update(exc.fields)
    disclosure = disclosure or t.disclosure
    if disclosure not in DISCLOSURES:
        errors["disclosure"] = "公开类型应为公开、有限公开或不公开"
    today = _today(day)
    signed_on = signed_on or today
    if signed_on > today:
        errors["signed_on"] = "承诺日期不能晚于今天"
    if door == "department" and document is None:
        errors["document"] = "须上传主体签署的承诺书（PDF、JPG 或 PNG）"
    if errors:
        first = next(iter(errors.values()))
        raise InvalidInput(first if len(errors) == 1 else f"信用承诺有{len(errors)}处需要修改：" + "；".join(errors.values()), code="invalid_commitment", fields=errors)
    existing = Commitment.objects.filter(subject=subject, matter=t.matter, case_no=case_no).values_list("code", "signed_on").first()
    if existing is not None:
        raise Conflict(
            f"该主体已于{existing[1].isoformat()}就{t.matter_name}事项（办件编号{case_no}）作出信用承诺（承诺编码{existing[0]}），不能重复签署。",
            code="duplicate_commitment", fields={"case_no": "该事项已签署承诺"},
        )
    text = render(t, subject=subject, case_no=case_no, department=department)
    path = _store_document(document) if document is not None else ""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                commitment = Commitment.objects.create(
                    code=_next_code(department, signed_on), subject=subject, template=t.code, templates_version=get_templates().version,
                    name=t.name, kind=t.kind, matter=t.matter, matter_name=t.matter_name, case_no=case_no, department=department,
                    text=text, text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), legal_basis=t.legal_basis,
                    breach_rule=t.breach.as_dict(), signed_on=signed_on, signed_at=timezone.now(), valid_until=valid_until(t, signed_on),
                    door=door, signed_by=actor.label[:150], disclosure=disclosure, nonce=nonce,
                    document_name=document.name if document else "", document_path=path, document_sha256=document.sha256 if document else "",
                )
            break
        except IntegrityError:
            if Commitment.objects.filter(subject=subject, matter=t.matter, case_no=case_no).exists() or (nonce and Commitment.objects.filter(nonce=nonce).exists()):
                raise Conflict("该承诺已经签署，请勿重复提交。", code="duplicate_commitment", fields={"case_no": "该事项已签署承诺"}) from None
            continue  # a concurrent commitment took the serial: the next one
    else:
        raise Conflict("承诺编码分配冲突，请重新提交", code="conflict")
    audit_log(actor=actor, action="commitment.sign", object_type="commitment", object_id=commitment.id, subject_id=subject.id, detail={
        "code": commitment.code, "template": t.code, "matter": t.matter, "case_no": case_no, "department": department.code, "door": door,
        "sha256": commitment.text_sha256, "signed_on": signed_on.isoformat(), "document_sha256": commitment.document_sha256,
    })
    if door != "portal":
        _notify(commitment, title=f"{department.name}录入了您的信用承诺", body=f"{t.name}（承诺编码{commitment.code}，办件编号{case_no}）已由{department.name}录入。")
    return commitment


def _notify(commitment: Commitment, *, title: str, body: str) -> None:
    from django.apps import apps

    if not apps.is_installed("xinyong.accounts"):
        return
    from xinyong.accounts.services import notify

    notify(subject=commitment.subject, title=title, body=body, url=f"/my/commitments/{commitment.code}/")


# ---------------------------------------------------------------------- fulfilment and breach
def _locked(commitment_id: int, *, department, staff: bool, step: str) -> tuple[Commitment, bool]:
    commitment = Commitment.objects.select_for_update(of=("self",)).select_related("department", "subject").filter(pk=commitment_id).first()
    if commitment is None:
        raise NotFound("信用承诺不存在", code="unknown_commitment")
    own = department is not None and department.id == commitment.department_id
    if not own and not staff:
        raise Forbidden(f"该承诺由{commitment.department.name}受理，只有受理单位（或信用中心代为办理）可以{step}。", code="not_accepting_department")
    if commitment.status != "in_force":
        raise Conflict(f"该承诺已于{commitment.outcome_on.isoformat()}认定为“{commitment.get_status_display()}”，不能再{step}。", code="already_closed")
    return commitment, not own


def _outcome_day(commitment: Commitment, day: date | None) -> date:
    today = record_selectors.today()
    day = day or today
    if day > today:
        raise InvalidInput("认定日期不能晚于今天", code="future_date", fields={"day": "晚于今天"})
    if day < commitment.signed_on:
        raise InvalidInput(f"认定日期早于承诺日期（{commitment.signed_on.isoformat()}）", code="date_order", fields={"day": "早于承诺日期"})
    return day


@transaction.atomic
def commitment_fulfil(*, commitment_id: int, department, actor: Actor, facts: str, document_no: str = "", partly: bool = False, staff: bool = False, day: date | None = None) -> Commitment:
    """履约: the accepting department records that the commitment was kept (fully or partly)."""
    commitment, on_behalf = _locked(commitment_id, department=department, staff=staff, step="认定履约")
    day = _outcome_day(commitment, day)
    facts = _clean_text(facts, "facts", "履约情况")
    document_no = _clean_text(document_no, "document_no", "文书号", required=partly, limit=64)
    commitment.status = "partly" if partly else "fulfilled"
    commitment.outcome_on, commitment.outcome_facts, commitment.outcome_document_no, commitment.outcome_by = day, facts, document_no, actor.label[:150]
    commitment.save(update_fields=["status", "outcome_on", "outcome_facts", "outcome_document_no", "outcome_by", "updated_at"])
    audit_log(actor=actor, action="commitment.fulfil", object_type="commitment", object_id=commitment.id, subject_id=commitment.subject_id,
              purpose="信用中心代为办理" if on_behalf else "", detail={"code": commitment.code, "status": commitment.status, "on": day.isoformat(), "document_no": document_no})
    return commitment


def _row(commitment: Commitment, *, facts: str, document_no: str, day: date, severity: str) -> dict:
    subject = commitment.subject
    row = {
        "subject_name": subject.name,
        "commitment_code": commitment.code,
        "commitment_type": KINDS[commitment.kind],
        "matter": f"{commitment.name}（{commitment.matter_name}，办件编号{commitment.case_no}）"[:500],
        "facts": facts,
        "document_no": document_no,
        "decision_date": day.isoformat(),
        "severity": severity,
        "handling_unit": commitment.department.name,
        "source_id": commitment.code,
    }
    if subject.is_individual:
        row["subject_category"] = "自然人"
        row["id_number"] = decrypt(subject.id_encrypted)
    else:
        row["subject_category"] = "个体工商户" if subject.kind == "individual_business" else "法人及非法人组织"
        row["uscc"] = subject.uscc
        if subject.legal_rep:
            row["legal_rep"] = subject.legal_rep
    return row


def _breach_record(commitment: Commitment, *, row: dict, actor: Actor, user=None, api_key=None, door: str):
    """The negative record, through the one pipeline of every department's records."""
    from xinyong.ingestion.models import BatchError
    from xinyong.ingestion.services import batch_submit
    from xinyong.records.models import Record

    department = commitment.department
    item_code = f"{commitment.breach_rule.get('item') or 'commitment_breach'}.{department.system.lower()}"
    fd, name = tempfile.mkstemp(prefix="commitment-breach-", suffix=".ndjson", dir=settings.FILE_UPLOAD_TEMP_DIR)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        batch = batch_submit(
            department=department, item_code=item_code, path=path, filename=f"违背信用承诺-{commitment.code}.ndjson", door=door,
            actor=actor, user=user, api_key=api_key, background=False,
        )
    finally:
        path.unlink(missing_ok=True)
    if batch.status != "succeeded":
        raise XinyongError(f"违诺信用记录未能入库：{batch.message}", code=batch.error_code or "breach_record_failed")
    record = Record.objects.filter(batch=batch).first()
    if record is None:
        error = BatchError.objects.filter(batch=batch).first()
        reason = f"{error.field}：{error.message}" if error else "记录未被接收"
        raise InvalidInput(f"违诺信用记录未能入库：{reason}", code="breach_record_rejected", fields={"facts": reason})
    return record


def designating_department(list_code: str, department: Department) -> Department | None:
    """Who proposes the subject for the focus list: the accepting department when it designates
    that list, else the list's sector department of its county, city or the province."""
    from xinyong.sanctions.services import may_designate

    lt = get_catalog().lists[list_code]
    if may_designate(lt, department):
        return department
    region = department.region_id or ""
    codes = [f"{region}-{lt.sector}", f"{region[:4]}00-{lt.sector}", f"220000-{lt.sector}"]
    found = {d.code: d for d in Department.objects.filter(code__in=codes, active=True)}
    return next((found[c] for c in codes if c in found), None)


@transaction.atomic
def commitment_breach(
    *, commitment_id: int, department, actor: Actor, facts: str, document_no: str, staff: bool = False, day: date | None = None,
    user=None, api_key=None, door: str = "web",
) -> Commitment:
    """违背承诺: the accepting department records the breach, with the facts and the document
    number. A negative record of the template's item (its severity) is stored through the
    ingestion pipeline under the accepting department, with the commitment code as its source id;
    where the template names a focus list, the subject is proposed for it (due process of
    xinyong/sanctions: notice, statement, decision follow at /dept/lists/)."""
    commitment, on_behalf = _locked(commitment_id, department=department, staff=staff, step="认定违背承诺")
    day = _outcome_day(commitment, day)
    if commitment.valid_until is not None and day > commitment.valid_until:
        raise InvalidInput(
            f"该承诺的有效期已于{commitment.valid_until.isoformat()}届满，不能再认定违背承诺", code="expired", fields={"day": "晚于有效期"},
        )
    facts = _clean_text(facts, "facts", "违诺事实")
    document_no = _clean_text(document_no, "document_no", "认定文书号", limit=64)
    rule = commitment.breach_rule or {}
    record = _breach_record(commitment, row=_row(commitment, facts=facts, document_no=document_no, day=day, severity=rule.get("severity") or "一般"),
                            actor=actor, user=user, api_key=api_key, door=door)
    commitment.status = "breached"
    commitment.outcome_on, commitment.outcome_facts, commitment.outcome_document_no, commitment.outcome_by = day, facts, document_no, actor.label[:150]
    commitment.breach_record = record
    focus_note = ""
    if rule.get("focus_list"):
        commitment.focus_entry, focus_note = _propose_focus(commitment, rule=rule, record=record, actor=actor, day=day)
    commitment.save(update_fields=["status", "outcome_on", "outcome_facts", "outcome_document_no", "outcome_by", "breach_record", "focus_entry", "updated_at"])
    audit_log(actor=actor, action="commitment.breach", object_type="commitment", object_id=commitment.id, subject_id=commitment.subject_id,
              purpose="信用中心代为办理" if on_behalf else "", detail={
                  "code": commitment.code, "on": day.isoformat(), "document_no": document_no, "record": record.id,
                  "focus_entry": commitment.focus_entry_id, "focus_note": focus_note,
              })
    _notify(commitment, title="违背信用承诺的认定", body=f"{commitment.department.name}认定您违背了信用承诺（承诺编码{commitment.code}，认定文书号{document_no}），已记入信用记录。对认定有异议的，可以提出异议。")
    return commitment


def _propose_focus(commitment: Commitment, *, rule: dict, record, actor: Actor, day: date):
    from xinyong.sanctions import services as sanction_services

    list_code = rule["focus_list"]
    lt = get_catalog().lists.get(list_code)
    if lt is None:
        return None, f"名单{list_code}已不存在，未拟列入"
    designator = designating_department(list_code, commitment.department)
    if designator is None:
        return None, f"没有可以认定{lt.name}的部门，未拟列入"
    reason = f"违背信用承诺：{commitment.name}（承诺编码{commitment.code}，办件编号{commitment.case_no}），由{commitment.department.name}认定（文书号{commitment.outcome_document_no}）：{commitment.outcome_facts}"
    try:
        entry = sanction_services.entry_propose(
            actor=actor, list_code=list_code, subject=commitment.subject, department=designator, legal_basis=rule.get("focus_basis") or commitment.legal_basis,
            reason=reason[:2000], basis_record_ids=[record.id], day=day,
        )
    except Conflict as exc:  # already on that list or in its procedure
        return None, exc.message
    return entry, f"已由{designator.name}拟列入{lt.name}"
