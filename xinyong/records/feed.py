"""The change feed: writing events, and reading them from a cursor. Producers write through
`append`, `append_rows` and `append_batch`; consumers (search index, list derivation,
incremental evaluation, outbound exchange) read through `feed_pending` and `feed_advance`:

    events = feed_pending(consumer="search", limit=5000)
    ... apply them (idempotently) ...
    feed_advance(consumer="search", last=events[-1])

Events are written in the same transaction as the change they describe. A reader must never
pass an event that is not committed yet and would later appear behind its cursor. On SQLite
writers commit one at a time. On PostgreSQL sequence numbers are taken at insert time, not at
commit, so every writer of events takes one transaction-level advisory lock first: from its
first event to its commit no other transaction writes events, hence events commit in sequence
order and a cursor on the sequence number is safe. The lock is held briefly: a batch writes its
events in three statements at its very end (`append_batch`), just before it commits.
"""

from __future__ import annotations

from django.db import connection, transaction

from .models import ChangeEvent, FeedCursor

FEED_COLUMNS = ["at", "entity", "entity_id", "subject_id", "item_code", "op", "batch_id"]
_LOCK_KEY = 7_366_1998  # any constant: the advisory lock of the change feed


def _take_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def append(events: list[ChangeEvent]) -> None:
    """Write change events (model objects) in the current transaction."""
    if events:
        _take_lock()
        ChangeEvent.objects.bulk_create(events)


def append_rows(rows: list[tuple]) -> None:
    """Write change events given as tuples in FEED_COLUMNS order."""
    if rows:
        from xinyong.common import db

        _take_lock()
        db.insert_rows(ChangeEvent, FEED_COLUMNS, rows)


def append_select(select_sql: str, params: list) -> None:
    """Write the events a SELECT yields, in FEED_COLUMNS order (set-based writers, e.g. a list
    decision of many entries at once: sanctions.services.entries_decide_scheduled)."""
    _take_lock()
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO records_changeevent ({', '.join(FEED_COLUMNS)}) {select_sql}", params)  # noqa: S608


def append_batch(*, batch_id: int, at, subject_events: bool) -> None:
    """All the events of an ingestion batch, from what it stored: ADD for the records it
    created (version 1), MOD or DEL for those it corrected or withdrew (their history rows), and
    MOD of the subjects whose registration it carried."""
    _take_lock()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO records_changeevent (at, entity, entity_id, subject_id, item_code, op, batch_id)"
            " SELECT %s, 'record', id, subject_id, item_code, 'ADD', batch_id FROM records_record"
            " WHERE batch_id = %s AND version = 1 ORDER BY id",
            [at, batch_id],
        )
        cur.execute(
            "INSERT INTO records_changeevent (at, entity, entity_id, subject_id, item_code, op, batch_id)"
            " SELECT %s, 'record', h.record_id, r.subject_id, r.item_code,"
            " CASE h.action WHEN 'withdraw' THEN 'DEL' ELSE 'MOD' END, h.batch_id"
            " FROM records_recordhistory h JOIN records_record r ON r.id = h.record_id"
            " WHERE h.batch_id = %s ORDER BY h.id",
            [at, batch_id],
        )
        if subject_events:
            cur.execute(
                "INSERT INTO records_changeevent (at, entity, entity_id, subject_id, item_code, op, batch_id)"
                " SELECT %s, 'subject', subject_id, subject_id, item_code, 'MOD', batch_id FROM"
                " (SELECT DISTINCT subject_id, item_code, batch_id FROM records_record WHERE batch_id = %s) t"
                " ORDER BY subject_id",
                [at, batch_id],
            )


def feed_pending(*, consumer: str, limit: int = 5000) -> list[ChangeEvent]:
    """The next events after the consumer's cursor, oldest first."""
    return list(ChangeEvent.objects.filter(seq__gt=feed_position(consumer)).order_by("seq")[:limit])


def feed_advance(*, consumer: str, last: ChangeEvent) -> None:
    """Move the consumer's cursor to `last` (an event it has applied); never backward."""
    with transaction.atomic():
        cursor, _ = FeedCursor.objects.select_for_update().get_or_create(consumer=consumer)
        if last.seq > cursor.seq:
            cursor.seq = last.seq
            cursor.save(update_fields=["seq", "updated_at"])


def feed_position(consumer: str) -> int:
    return FeedCursor.objects.filter(consumer=consumer).values_list("seq", flat=True).first() or 0
