"""Scheduled jobs of the credit file.

`publication.expire` — the end of publication periods (公示期满停止公示). Pages, the API and search
stop showing a record the day after its `publish_until` by a date comparison alone
(`selectors.public_q`), so nothing waits for this job to hide it. The job makes the end known to
everything that follows the change feed — the search index, the lists, the outbound exchange with
the national platform — by writing one MOD event per record whose period has ended, and marks
the record (`unpublished_at`) so that it is processed once. The record itself stays in the
database for the authorities.

Idempotent and resumable: each chunk is one transaction (mark + events together), a record is
picked only while `unpublished_at` is null, so a second run (or a run after a crash half-way)
finds nothing left to do for what was done. Late runs (after an outage) catch up: every record
ended before today is picked, whenever it ended.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from xinyong.common.schedule import scheduled

from . import feed
from .models import ChangeEvent, Record
from .selectors import ended_unprocessed, today

CHUNK = 2000  # records per transaction: short write locks, bounded memory


@scheduled("publication.expire", every=timedelta(hours=1), title="公示期满停止公示")
def expire_publication(*, day=None, chunk: int = CHUNK) -> dict:
    """Mark the records whose publication ended before `day` (default today) and write their MOD
    events, `chunk` records per transaction. Returns {"expired": n, "day": ISO date}."""
    day = day or today()
    expired = 0
    while True:
        done = _expire_chunk(day, chunk)
        expired += done
        if done < chunk:
            break
    return {"expired": expired, "day": day.isoformat()}


def _expire_chunk(day, chunk: int) -> int:
    with transaction.atomic():
        # skip_locked: two runs at once (PostgreSQL) take different records; SQLite serializes
        # writers (IMMEDIATE transactions), so the second one sees the first one's marks
        rows = list(
            ended_unprocessed(day)
            .select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "subject_id", "item_code")[:chunk]
        )
        if not rows:
            return 0
        now = timezone.now()
        ids = [r[0] for r in rows]
        Record.objects.filter(id__in=ids, unpublished_at__isnull=True).update(unpublished_at=now)
        feed.append(
            [ChangeEvent(at=now, entity="record", entity_id=rid, subject_id=sid, item_code=code, op="MOD") for rid, sid, code in rows]
        )
    return len(rows)
