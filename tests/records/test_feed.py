"""The change feed as its consumers see it: every change once, in order, never passed by."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from xinyong.records import feed
from xinyong.records.models import ChangeEvent, FeedCursor


def ops(events):
    return [(e.entity_id, e.op) for e in events]


def test_a_consumer_reads_each_change_once_in_order(ingest, penalty_row):
    row = penalty_row()
    ingest([row, penalty_row()])
    first = feed.feed_pending(consumer="test")
    assert [e.op for e in first] == ["ADD", "ADD"]
    feed.feed_advance(consumer="test", last=first[-1])
    assert feed.feed_pending(consumer="test") == []
    ingest([dict(row, 撤销原因="复议撤销")], mode="withdraw")
    (withdrawn,) = feed.feed_pending(consumer="test")
    assert (withdrawn.entity_id, withdrawn.op) == (first[0].entity_id, "DEL")
    feed.feed_advance(consumer="test", last=withdrawn)
    feed.feed_advance(consumer="test", last=first[0])  # never backward
    assert FeedCursor.objects.get(consumer="test").seq == withdrawn.seq
    assert feed.feed_pending(consumer="another") == list(ChangeEvent.objects.order_by("seq"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite commits writers one at a time, in sequence order: nothing is in flight while reading")
@pytest.mark.django_db(transaction=True)
def test_events_commit_in_sequence_order_so_a_reader_never_passes_one(catalog_loaded):
    """A long transaction writes an event and holds: another writer of events waits for it, so a
    reader can never see a later event while an earlier one is still uncommitted."""
    started, release = threading.Event(), threading.Event()

    def event(entity_id):
        return ChangeEvent(at=timezone.now(), entity="record", entity_id=entity_id, subject_id=1, item_code="penalty.gsj", op="ADD")

    def long_batch():
        try:
            with transaction.atomic():
                feed.append([event(1)])
                started.set()
                release.wait(10)
                time.sleep(0.5)
        finally:
            connection.close()

    thread = threading.Thread(target=long_batch)
    thread.start()
    try:
        assert started.wait(10)
        assert feed.feed_pending(consumer="test") == []  # nothing committed yet
        release.set()
        began = time.monotonic()
        with transaction.atomic():
            feed.append([event(2)])  # waits for the long transaction to commit
        waited = time.monotonic() - began
    finally:
        release.set()
        thread.join()
    assert waited >= 0.4
    assert [e.entity_id for e in feed.feed_pending(consumer="test")] == [1, 2]
