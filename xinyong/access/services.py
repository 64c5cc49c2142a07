"""Writes of access control: query rights, consents, special query requests, and the query itself
(which writes the audit entries of what it shows). Keyword-only arguments, one transaction, an
audit entry for each action."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xinyong.catalog.registry import get_catalog
from xinyong.common import filestore
from xinyong.common.errors import Conflict, InvalidInput, NotFound
from xinyong.common.uploads import EXTENSIONS, check_document
from xinyong.records import selectors as record_selectors
from xinyong.security.services import Actor, audit_log

from . import selectors
from .models import Consent, QueryRight, SpecialRequest
from .selectors import BASIS_OBJECTS, QUERY_ACTION, Access, Viewer

TEXT_MAX = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value, *, field: str, label: str, required: bool = True, max_length: int = TEXT_MAX) -> str:
    text = _CONTROL.sub("", str(value or "")).strip()
    if required and not text:
        raise InvalidInput(f"请填写{label}", code="required", fields={field: "必填"})
    if len(text) > max_length:
        raise InvalidInput(f"{label}过长（最多{max_length}字）", fields={field: f"最多{max_length}字"})
    return text


def purpose_text(*, code: str, details: str = "") -> str:
    """The stated purpose of a query: one of purposes.yaml, with the officer's details."""
    purpose = next((p for p in selectors.purposes() if p.code == (code or "").strip()), None)
    if purpose is None:
        raise InvalidInput("请选择查询用途", code="purpose_required", fields={"purpose": "必填，从列表中选择"})
    details = _text(details, field="details", label="查询用途说明", required=purpose.details_required, max_length=150)
    return f"{purpose.label}：{details}" if details else purpose.label


def _check_items(codes, *, field: str = "items", authorized_only: bool = True) -> list[str]:
    catalog = get_catalog()
    allowed = {i.code for i in selectors.authorized_items()} if authorized_only else set(catalog.items)
    cleaned = sorted({str(c).strip() for c in codes or [] if str(c).strip()})
    unknown = [c for c in cleaned if c not in allowed]
    if unknown:
        raise InvalidInput(f"不能选择的信息项：{'、'.join(u[:40] for u in unknown[:5])}", fields={field: "无效"})
    return cleaned


# ---------------------------------------------------------------------- query rights
def right_grant(*, department, item_code: str = "", item_kind: str = "", valid_from: date, valid_until: date | None, legal_basis: str, actor: Actor, user) -> QueryRight:
    """The credit centre grants a department the right to query an item (or an item group)."""
    item_code, item_kind = (item_code or "").strip(), (item_kind or "").strip()
    if bool(item_code) == bool(item_kind):
        raise InvalidInput("请选择一个信息项或一个信息类别（二者选一）", fields={"item": "二选一"})
    if item_code and get_catalog().item(item_code) is None:
        raise InvalidInput("未知的信息项", fields={"item": "无效"})
    if item_kind and item_kind not in selectors.item_kinds():
        raise InvalidInput("未知的信息类别", fields={"item": "无效"})
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("有效期至不能早于有效期自", fields={"valid_until": "早于起始日期"})
    basis = _text(legal_basis, field="legal_basis", label="法律依据")
    with transaction.atomic():
        right = QueryRight.objects.create(
            department=department, item_code=item_code, item_kind=item_kind, valid_from=valid_from, valid_until=valid_until,
            legal_basis=basis, granted_by=user, granted_at=timezone.now(),
        )
        audit_log(actor=actor, action="access.right_grant", object_type="query_right", object_id=right.pk, detail={
            "department": department.code, "item": item_code, "kind": item_kind, "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None, "legal_basis": basis,
        })
    return right


def right_revoke(*, right: QueryRight, reason: str, actor: Actor, user) -> QueryRight:
    reason = _text(reason, field="reason", label="撤销原因")
    with transaction.atomic():
        right = QueryRight.objects.select_for_update().get(pk=right.pk)
        if right.revoked_at is not None:
            raise Conflict("该查询权限已撤销")
        right.revoked_at, right.revoked_by, right.revoke_reason = timezone.now(), user, reason
        right.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_log(actor=actor, action="access.right_revoke", object_type="query_right", object_id=right.pk, detail={"department": right.department_id, "reason": reason})
    return right


# ---------------------------------------------------------------------- consent
def _store_document(upload, *, subject_id: int) -> dict:
    conf = settings.XINYONG["ACCESS"]
    doc = check_document(upload, field="document", max_bytes=int(conf["CONSENT_FILE_MAX_KB"]) * 1024)
    folder = Path(conf["FILES_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    # the stored name is ours: nothing of the uploaded file name reaches the disk
    name = f"consent-{subject_id}-{doc.sha256[:24]}.{EXTENSIONS[doc.content_type]}"
    filestore.write(folder / name, doc.data)  # encrypted at rest, 0600
    return {"document_name": doc.name, "document_path": name, "document_type": doc.content_type, "document_sha256": doc.sha256}


def consent_give(
    *, subject, department, purpose: str, items=(), all_items: bool = False, expires_on: date, actor: Actor,
    account=None, recorded_by=None, document=None, day: date | None = None,
) -> Consent:
    """The subject (from its account) or a department (a signed paper consent, `document`)
    authorizes `department` to query the subject's authorized-class information."""
    day = day or record_selectors.today()
    purpose = _text(purpose, field="purpose", label="授权用途", max_length=200)
    items = [] if all_items else _check_items(items)
    if not all_items and not items:
        raise InvalidInput("请选择授权查询的信息项，或授权查询全部授权查询类信息", fields={"items": "必选"})
    if expires_on < day:
        raise InvalidInput("授权截止日期不能早于今天", fields={"expires_on": "早于今天"})
    longest = selectors.consent_max_days()
    if expires_on > day + timedelta(days=longest):
        raise InvalidInput(f"授权期限最长{longest}天（至{(day + timedelta(days=longest)).isoformat()}）", fields={"expires_on": f"最长{longest}天"})
    paper = account is None
    if paper and document is None:
        raise InvalidInput("录入书面授权须上传信息主体签署的授权书", fields={"document": "必填"})
    stored = _store_document(document, subject_id=subject.pk) if paper else {}
    with transaction.atomic():
        consent = Consent.objects.create(
            subject=subject, department=department, purpose=purpose, all_items=all_items, items=items, valid_from=day,
            expires_on=expires_on, source="paper" if paper else "portal", account=account, recorded_by=recorded_by,
            created_at=timezone.now(), **stored,
        )
        audit_log(actor=actor, action="access.consent_give", object_type="consent", object_id=consent.pk, subject_id=subject.pk, detail={
            "department": department.code, "purpose": purpose, "items": items, "all_items": all_items,
            "expires_on": expires_on.isoformat(), "source": consent.source, "document_sha256": stored.get("document_sha256", ""),
        })
    return consent


def consent_revoke(*, consent: Consent, actor: Actor, label: str) -> Consent:
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.revoked_at is not None:
            raise Conflict("该授权已撤回")
        consent.revoked_at, consent.revoked_by_label = timezone.now(), label[:150]
        consent.save(update_fields=["revoked_at", "revoked_by_label"])
        audit_log(actor=actor, action="access.consent_revoke", object_type="consent", object_id=consent.pk, subject_id=consent.subject_id, detail={"department": consent.department_id})
    return consent


def consent_document_path(consent: Consent) -> Path | None:
    return filestore.stored_at(settings.XINYONG["ACCESS"]["FILES_DIR"], consent.document_path)


# ---------------------------------------------------------------------- special query requests
def special_request_submit(*, department, subjects, items, purpose: str, legal_basis: str, period_from: date, period_until: date, actor: Actor, user, day: date | None = None) -> SpecialRequest:
    day = day or record_selectors.today()
    subjects = list(subjects)
    if not subjects:
        raise InvalidInput("请填写查询对象", fields={"subjects": "必填"})
    items = _check_items(items)
    if not items:
        raise InvalidInput("请选择申请查询的信息项", fields={"items": "必选"})
    purpose = _text(purpose, field="purpose", label="查询用途", max_length=200)
    basis = _text(legal_basis, field="legal_basis", label="法律依据")
    if period_until < period_from:
        raise InvalidInput("申请期限至不能早于申请期限自", fields={"period_until": "早于起始日期"})
    if period_until < day:
        raise InvalidInput("申请期限已过", fields={"period_until": "早于今天"})
    with transaction.atomic():
        request = SpecialRequest.objects.create(
            department=department, items=items, purpose=purpose, legal_basis=basis, period_from=period_from,
            period_until=period_until, requested_by=user, requested_at=timezone.now(),
        )
        request.subjects.set(subjects)
        audit_log(actor=actor, action="access.request_submit", object_type="special_request", object_id=request.pk, detail={
            "department": department.code, "subjects": [s.pk for s in subjects], "items": items, "purpose": purpose, "legal_basis": basis,
            "period": [period_from.isoformat(), period_until.isoformat()],
        })
    return request


def special_request_decide(
    *, request: SpecialRequest, approve: bool, note: str, actor: Actor, user, grant_from: date | None = None,
    grant_until: date | None = None, granted_items=None,
) -> SpecialRequest:
    """The credit centre approves (a grant limited in time and scope) or refuses (with reasons)."""
    note = _text(note, field="note", label="不予批准的理由" if not approve else "审批意见", required=not approve, max_length=1000)
    if approve:
        if grant_from is None or grant_until is None:
            raise InvalidInput("批准时须填写批准期限", fields={"grant_until": "必填"})
        if grant_until < grant_from:
            raise InvalidInput("批准期限至不能早于批准期限自", fields={"grant_until": "早于起始日期"})
        longest = selectors.grant_max_days()
        if (grant_until - grant_from).days + 1 > longest:
            raise InvalidInput(f"批准期限最长{longest}天", fields={"grant_until": f"最长{longest}天"})
        granted = sorted({str(c) for c in (granted_items if granted_items is not None else request.items)})
        outside = [c for c in granted if c not in request.items]
        if outside or not granted:
            raise InvalidInput("批准的信息项须为申请的信息项中的一项或多项", fields={"granted_items": "超出申请范围" if outside else "必选"})
    with transaction.atomic():
        request = SpecialRequest.objects.select_for_update().get(pk=request.pk)
        if request.status != "pending":
            raise Conflict("该申请已审批")
        request.status = "approved" if approve else "refused"
        request.decided_by, request.decided_at, request.decision_note = user, timezone.now(), note
        if approve:
            request.granted_items, request.grant_from, request.grant_until = granted, grant_from, grant_until
        request.save()
        audit_log(actor=actor, action="access.request_approve" if approve else "access.request_refuse", object_type="special_request", object_id=request.pk, detail={
            "note": note, "items": request.granted_items, "grant": [grant_from.isoformat(), grant_until.isoformat()] if approve else None,
        })
    return request


# ---------------------------------------------------------------------- the query
class NothingToShow(NotFound):
    """An individual's file holds nothing the viewer may see; the same answer as an unknown
    subject, so that nobody learns whether a private individual is on the platform."""

    status = 404
    code = "subject_not_found"


NOTHING_TO_SHOW = (
    "未查询到该主体可供本部门查看的信用信息。查询自然人的非公开信息，须具有相应信息项的查询权限、"
    "信息主体的有效授权，或经信用中心批准的特殊查询申请。"
)


def records_query(*, viewer: Viewer, subject, purpose: str, actor: Actor, day: date | None = None) -> Access:
    """Run the rule for a department or the credit centre and audit what it shows: one entry per
    basis used (action access.query: actor, purpose, subject, items, records and the right,
    consent or grant cited). An unknown subject (None), and an individual of whom the viewer may
    see nothing, raise NothingToShow alike."""
    purpose = _text(purpose, field="purpose", label="查询用途", max_length=200)
    if subject is None:
        raise NothingToShow(NOTHING_TO_SHOW)
    access = selectors.visible_records(viewer, subject, day)
    if subject.is_individual and not access.shown:
        if access.withheld_total:
            audit_log(actor=actor, action="access.refused", object_type="subject", object_id=subject.pk, subject_id=subject.pk, purpose=purpose, detail={"withheld": dict(access.withheld)})
        raise NothingToShow(NOTHING_TO_SHOW)
    groups = access.by_basis()
    if groups:
        with transaction.atomic():
            for basis, shown in groups.items():
                audit_log(
                    actor=actor, action=QUERY_ACTION, object_type=BASIS_OBJECTS.get(basis.type, basis.type), object_id=basis.id or "",
                    subject_id=subject.pk, purpose=purpose,
                    detail={
                        "basis": basis.type, "items": sorted({s.record.item_code for s in shown}), "records": [s.record.pk for s in shown],
                        "classes": sorted({s.record.disclosure for s in shown}), "day": access.day.isoformat(),
                    },
                )
    return access
