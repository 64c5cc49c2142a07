"""Writes on records outside bulk ingestion, and the pieces ingestion shares with them:
history snapshots, withdrawals and the change feed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from xinyong.common.errors import Conflict, Forbidden
from xinyong.security.services import Actor, audit_log

from . import feed
from .models import ChangeEvent, Record, RecordHistory

UPDATABLE = [
    "document_no", "decided_on", "valid_from", "valid_until", "severity", "authority_level", "disclosure",
    "publish_from", "publish_until", "repair_from", "publication_rule", "report_deadline", "on_time", "data",
]


def jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return value


def snapshot(record: Record) -> dict:
    """The state of a record, for its history."""
    state = {k: jsonable(getattr(record, k)) for k in UPDATABLE}
    state.update({
        "subject_id": record.subject_id, "batch_id": record.batch_id, "row_no": record.row_no,
        "status": record.status, "content_hash": record.content_hash,
    })
    return state


def records_withdraw(*, records: list[Record], reasons: list[str], actor_label: str, batch=None, now=None) -> int:
    """Withdraw (撤销) records: status withdrawn, history kept, DEL in the change feed (for a
    batch, written with the batch's other events when it ends: feed.append_batch)."""
    now = now or timezone.now()
    histories, events = [], []
    for record, reason in zip(records, reasons, strict=True):
        histories.append(RecordHistory(record=record, version=record.version, action="withdraw", state=snapshot(record), reason=reason[:500], batch=batch, actor_label=actor_label[:150]))
        record.status = "withdrawn"
        record.version += 1
        record.updated_at = now
        events.append(ChangeEvent(at=now, entity="record", entity_id=record.id, subject_id=record.subject_id, item_code=record.item_code, op="DEL", batch_id=batch.id if batch else None))
    RecordHistory.objects.bulk_create(histories)
    Record.objects.bulk_update(records, ["status", "version", "updated_at"])
    if batch is None:
        feed.append(events)
    return len(records)


def record_withdraw(*, record: Record, reason: str, actor: Actor) -> Record:
    """A department operator withdraws one of its department's records (web action)."""
    if actor.type != "system" and actor.department_id != record.department_id:
        raise Forbidden("只能撤销本部门报送的记录")
    reason = (reason or "").strip()
    if not reason:
        from xinyong.common.errors import InvalidInput

        raise InvalidInput("请填写撤销原因", fields={"reason": "必填"})
    with transaction.atomic():
        record = Record.objects.select_for_update().get(pk=record.pk)
        if record.status != "active":
            raise Conflict("该记录已撤销或已修复")
        records_withdraw(records=[record], reasons=[reason], actor_label=actor.label)
        audit_log(actor=actor, action="record.withdraw", object_type="record", object_id=record.id, subject_id=record.subject_id, detail={"reason": reason[:500], "item": record.item_code})
    return record


# ---------------------------------------------------------------------- objections and repair (issue 6)
def _event(record: Record, op: str, now) -> ChangeEvent:
    return ChangeEvent(at=now, entity="record", entity_id=record.id, subject_id=record.subject_id, item_code=record.item_code, op=op)


def record_mark_objection(*, record: Record, flag: bool, now=None) -> Record:
    """Set or clear "异议处理中" (under_objection); a MOD event in the change feed. The caller
    (redress) holds the transaction and writes the audit entry of its own step."""
    now = now or timezone.now()
    record = Record.objects.select_for_update().get(pk=record.pk)
    if record.under_objection != flag:
        record.under_objection = flag
        record.updated_at = now
        record.save(update_fields=["under_objection", "updated_at"])
        feed.append([_event(record, "MOD", now)])
    return record


def correctable_fields(item) -> list:
    """The fields of an item a department may correct on the web (objection outcome 更正): plain
    text and single-choice fields; dates, identifiers and fields that drive publication are
    corrected by resubmitting the record (ingestion, mode correct)."""
    return [f for f in item.fields if f.role is None and not f.sensitive and (f.type in ("string", "text") or (f.type == "enum" and not f.multi))]


def record_correct(*, record: Record, changes: dict, reason: str, actor: Actor, now=None) -> Record:
    """Correct fields of a record (更正) from the web: history kept, version + 1, MOD event.
    Only the record's department; only `correctable_fields`; values checked against the catalog."""
    from xinyong.catalog.registry import get_catalog
    from xinyong.common.errors import InvalidInput

    if actor.type != "system" and actor.department_id != record.department_id:
        raise Forbidden("只能更正本部门报送的记录")
    item = get_catalog().item(record.item_code)
    allowed = {f.name: f for f in correctable_fields(item)} if item else {}
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name, value in (changes or {}).items():
        f = allowed.get(name)
        value = (value or "").strip() if isinstance(value, str) else value
        if f is None:
            errors[name] = "该字段不能在此更正"
        elif f.required and not value:
            errors[name] = f"{f.label}为必填项"
        elif f.max_length and len(value) > f.max_length:
            errors[name] = f"{f.label}不能超过 {f.max_length} 字"
        elif f.type == "enum" and value and value not in f.choices:
            errors[name] = f"{f.label}应为：{'、'.join(f.choices)}"
        else:
            clean[name] = value
    if errors:
        raise InvalidInput("更正内容有误", fields=errors)
    now = now or timezone.now()
    with transaction.atomic():
        record = Record.objects.select_for_update().get(pk=record.pk)
        if record.status != "active":
            raise Conflict("该记录已撤销或已修复，不能更正")
        data = dict(record.data or {})
        changed = {k: v for k, v in clean.items() if data.get(k) != v}
        if not changed:
            raise InvalidInput("更正后的内容与原内容相同", code="no_change", fields={k: "未修改" for k in clean} or {"changes": "未修改"})
        RecordHistory.objects.create(record=record, version=record.version, action="correct", state=snapshot(record), reason=(reason or "")[:500], actor_label=actor.label[:150])
        data.update(changed)
        record.data, record.version, record.updated_at = data, record.version + 1, now
        record.content_hash = ""  # a later resubmission of the old row is a correction, not "unchanged"
        record.save(update_fields=["data", "version", "updated_at", "content_hash"])
        feed.append([_event(record, "MOD", now)])
        audit_log(actor=actor, action="record.correct", object_type="record", object_id=record.id, subject_id=record.subject_id, detail={"fields": sorted(changed), "reason": (reason or "")[:500]})
    return record


def record_repair(*, record: Record, reason: str, actor: Actor, now=None) -> Record:
    """Credit repair (信用修复) granted: status repaired, publication stops at once, history
    kept, DEL in the change feed (consumers stop publishing, sharing and using it)."""
    now = now or timezone.now()
    with transaction.atomic():
        record = Record.objects.select_for_update().get(pk=record.pk)
        if record.status != "active":
            raise Conflict("该记录已撤销或已修复")
        RecordHistory.objects.create(record=record, version=record.version, action="repair", state=snapshot(record), reason=(reason or "")[:500], actor_label=actor.label[:150])
        record.status, record.version, record.updated_at = "repaired", record.version + 1, now
        record.unpublished_at = record.unpublished_at or now
        record.save(update_fields=["status", "version", "updated_at", "unpublished_at"])
        feed.append([_event(record, "DEL", now)])
        audit_log(actor=actor, action="record.repair", object_type="record", object_id=record.id, subject_id=record.subject_id, detail={"reason": (reason or "")[:500], "item": record.item_code})
    return record
