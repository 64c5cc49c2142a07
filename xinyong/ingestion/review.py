"""The review queue (待人工关联): rows that name their subject only by a name (or by an old code)
that does not designate exactly one subject. Credit-centre staff link such a row to the subject
it is about, which stores the record with the row's lineage, or reject it with a note. Nothing is
ever attached to a guessed subject: a link is always a person's decision, and it is audited.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from xinyong.catalog.registry import get_catalog
from xinyong.common.crypto import decrypt
from xinyong.common.errors import Conflict, Forbidden, InvalidInput
from xinyong.records.models import Record
from xinyong.security.services import Actor, audit_log
from xinyong.subjects.models import KIND_CHOICES, Subject
from xinyong.subjects.services import subject_link_identifier

from .models import ReviewItem
from .pipeline import LEGACY_ROLES, BatchRun

KIND_LABELS = dict(KIND_CHOICES)


def _lock_open(item: ReviewItem) -> ReviewItem:
    item = ReviewItem.objects.select_for_update().get(pk=item.pk)
    if item.status != "open":
        raise Conflict(f"该条记录已处理（{item.get_status_display()}），请刷新页面", code="review_closed")
    return item


def _require_staff(actor: Actor) -> None:
    from django.contrib.auth import get_user_model

    from .selectors import is_platform_staff

    if actor.type == "system":
        return
    user = get_user_model().objects.filter(pk=actor.user_id).first() if actor.type == "user" else None
    if user is None or not is_platform_staff(user):
        raise Forbidden("只有信用中心工作人员可以处理待人工关联的记录")


def _restored_values(item: ReviewItem) -> dict:
    """The row's field values as text, with sensitive values decrypted for re-validation only
    (they are masked again and re-encrypted when the record is built; never displayed)."""
    payload = item.payload or {}
    values = dict(payload.get("values", {}))
    for name, token in (payload.get("_enc") or {}).items():
        values[name] = decrypt(token)
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


def review_link(*, item: ReviewItem, subject: Subject, actor: Actor, note: str = "", map_legacy: bool = True) -> Record:
    """Store the row as a record of `subject`: same department, batch and row (lineage), an ADD in
    the change feed, an audit entry. Old codes given in the row (organization code, registration
    number...) are mapped to the subject when `map_legacy`, so that later rows find it by itself."""
    _require_staff(actor)
    with transaction.atomic():
        item = _lock_open(item)
        batch = item.batch
        catalog_item = get_catalog().item(batch.item_code)
        if catalog_item is None:
            raise Conflict(f"信息项“{batch.item_code}”已不在目录中，不能入库", code="unknown_item")
        if subject.kind not in catalog_item.subject_kinds:
            raise InvalidInput(f"信息项“{catalog_item.name}”不适用于{KIND_LABELS.get(subject.kind, subject.kind)}，请选择其他主体", fields={"subject": "主体类型不符"})
        payload = item.payload or {}
        source_id, content_hash = payload.get("source_id"), payload.get("content_hash")
        existing = Record.objects.filter(item_code=catalog_item.code, department_id=batch.department_id, source_id=source_id).first()
        if existing is not None:
            raise Conflict(f"同一条记录已经入库（记录编号 {existing.id}），请以“重复”为由退回本条", code="already_stored")
        run = BatchRun(batch)
        values, errors = run.validator.validate(_restored_values(item))
        if errors:
            raise InvalidInput("该行数据已不符合目录要求：" + "；".join(msg for _, msg in errors[:3]), code="row_invalid")
        received_at = batch.started_at or batch.created_at
        record_id = run.insert_reviewed(row_no=item.row_no, values=values, source_id=source_id, content_hash=content_hash, subject_id=subject.id, received_at=received_at)
        mapped = []
        if map_legacy and subject.kind != "individual":
            for role in LEGACY_ROLES:
                name = catalog_item.roles.get(role)
                if name and values.get(name):
                    identifier = subject_link_identifier(subject=subject, scheme=role, value=values[name], source=f"review:{item.id}")
                    mapped.append(f"{identifier.scheme}:{identifier.value}")
        item.status = "linked"
        item.subject = subject
        item.record_id = record_id
        item.resolved_by_id = actor.user_id
        item.resolved_at = timezone.now()
        item.note = (note or "").strip()[:500]
        item.save(update_fields=["status", "subject", "record", "resolved_by", "resolved_at", "note"])
        audit_log(
            actor=actor,
            action="review.link",
            object_type="review_item",
            object_id=item.id,
            subject_id=subject.id,
            detail={"record": record_id, "batch": batch.id, "row": item.row_no, "item": catalog_item.code, "reason": item.reason, "identifiers": mapped, "note": item.note},
        )
    return Record.objects.get(pk=record_id)


def review_reject(*, item: ReviewItem, note: str, actor: Actor) -> ReviewItem:
    """Refuse to store the row (no subject fits, a duplicate...): the note tells the department
    why; it may resubmit the row with the subject's code."""
    _require_staff(actor)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写退回说明（将告知报送部门）", fields={"note": "必填"})
    with transaction.atomic():
        item = _lock_open(item)
        item.status = "rejected"
        item.resolved_by_id = actor.user_id
        item.resolved_at = timezone.now()
        item.note = note[:500]
        item.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
        audit_log(
            actor=actor,
            action="review.reject",
            object_type="review_item",
            object_id=item.id,
            detail={"batch": item.batch_id, "row": item.row_no, "note": item.note},
        )
    return item
