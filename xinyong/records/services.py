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
