"""The database the suite runs on, and the bulk write path that differs per vendor.

CI runs this whole suite twice: on SQLite (`make test`) and on a real PostgreSQL server
(`.ci/run`, which sets XINYONG_EXPECT_DB). These tests hold what must be true on both.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from xinyong.common import db
from xinyong.ingestion.models import Batch
from xinyong.ingestion.pipeline import EVENT_COLUMNS
from xinyong.records.models import ChangeEvent, Record


def test_suite_runs_on_the_database_ci_asked_for():
    """CI can never run SQLite twice and call it PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    implied = "postgresql" if url.startswith(("postgres://", "postgresql://", "pgsql://")) else "sqlite"
    expected = os.environ.get("XINYONG_EXPECT_DB") or implied
    assert connection.vendor == expected, f"connected to {connection.vendor}, expected {expected} (DATABASE_URL={url.split('@')[-1]!r})"


@pytest.mark.django_db
def test_record_ids_from_bulk_ingestion_and_from_the_orm_never_collide(ingest, penalty_row):
    first = ingest([penalty_row(), penalty_row()])
    assert first.accepted == 2
    bulk_ids = set(Record.objects.values_list("id", flat=True))
    model = Record.objects.first()
    now = timezone.now()
    orm = Record.objects.create(
        item_code=model.item_code, department=model.department, subject=model.subject,
        source_id="orm-1", content_hash="0" * 32, decided_on=date(2026, 11, 2),
        authority_level="city", disclosure="public", data={"content": "由管理端录入"},
        received_at=now, updated_at=now,
    )
    assert orm.id > max(bulk_ids)
    second = ingest([penalty_row(), penalty_row()])
    assert second.accepted == 2
    later = set(Record.objects.filter(batch=second).values_list("id", flat=True))
    assert min(later) > orm.id
    assert Record.objects.count() == 5


@pytest.mark.django_db
def test_change_feed_sequence_keeps_increasing_across_bulk_and_orm_writes(ingest, penalty_row):
    ingest([penalty_row(), penalty_row()])
    seqs = list(ChangeEvent.objects.values_list("seq", flat=True))
    event = ChangeEvent.objects.create(at=timezone.now(), entity="record", entity_id=0, subject_id=0, op="MOD")
    ingest([penalty_row()])
    after = list(ChangeEvent.objects.values_list("seq", flat=True))
    assert after == sorted(after) and len(after) == len(set(after)) == 4
    assert seqs[-1] < event.seq < after[-1]


@pytest.mark.django_db(transaction=True)
def test_bulk_rows_written_in_a_transaction_that_fails_are_not_kept():
    """COPY (PostgreSQL) and executemany (SQLite) run inside the caller's transaction."""
    at = db.db_datetime(timezone.now())
    rows = [(at, "record", n, n, "penalty.gsj", "ADD", None) for n in range(1, 4)]
    with pytest.raises(RuntimeError), transaction.atomic():
        db.insert_rows(ChangeEvent, EVENT_COLUMNS, rows)
        assert ChangeEvent.objects.count() == 3
        raise RuntimeError("crash half-way")
    assert ChangeEvent.objects.count() == 0
    with transaction.atomic():
        db.insert_rows(ChangeEvent, EVENT_COLUMNS, rows)
    assert ChangeEvent.objects.count() == 3


@pytest.mark.django_db
def test_bulk_stored_values_read_back_the_same_through_the_orm(ingest, penalty_row):
    name = "吉林省𠮷祥（长春）商贸有限公司"  # a character outside the BMP, full-width brackets
    row = penalty_row(行政相对人名称=name, 处罚决定日期="2026-11-02", 违法事实='当事人发布"虚假"广告\n第二行')
    batch = ingest([row])
    assert batch.accepted == 1
    record = Record.objects.get()
    assert record.decided_on == date(2026, 11, 2)
    assert record.subject.name == name
    assert record.data["subject_name"] == name
    assert record.data["facts"] == '当事人发布"虚假"广告\n第二行'
    assert abs(record.received_at - timezone.now()) < timedelta(minutes=5)
    assert record.received_at.tzinfo is not None
    # the JSON key lookup used by the catalog's orphan check works on this database
    assert Record.objects.filter(data__has_key="facts").count() == 1
    assert Record.objects.filter(data__has_key="no_such_field").count() == 0


@pytest.mark.django_db
def test_a_key_conflict_on_the_bulk_path_is_django_integrity_error(ingest, penalty_row):
    """The pipeline turns IntegrityError into a clean 'conflict' failure: the driver's own
    exception (psycopg's UniqueViolation, sqlite3's IntegrityError) would escape it."""
    ingest([penalty_row()])
    taken = ChangeEvent.objects.get()
    row = (taken.seq, db.db_datetime(timezone.now()), "record", 1, 1, "penalty.gsj", "ADD", None)
    with pytest.raises(IntegrityError), transaction.atomic():
        db.insert_rows(ChangeEvent, ["seq", *EVENT_COLUMNS], [row])
    assert ChangeEvent.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serializes writing transactions (BEGIN IMMEDIATE): two batches never race there",
)
@pytest.mark.django_db(transaction=True)
def test_two_batches_racing_for_the_same_record_store_it_once_and_fail_cleanly(catalog_loaded, ingest, penalty_row):
    """Another transaction holds a record with the same source id, uncommitted, while a batch is
    processed: the batch waits for it, then fails as a conflict with nothing stored; never a crash
    nor a batch left 'running'."""
    ingest([penalty_row()])
    model = Record.objects.get()
    holding = threading.Event()

    def other_system():
        try:
            with transaction.atomic():
                now = timezone.now()
                Record.objects.create(
                    item_code="penalty.gsj", department=model.department, subject=model.subject,
                    source_id="SRC-RACE-1", content_hash="0" * 32, decided_on=model.decided_on,
                    authority_level="city", disclosure="public", data={}, received_at=now, updated_at=now,
                )
                holding.set()
                time.sleep(1)
        finally:
            connection.close()

    thread = threading.Thread(target=other_system)
    thread.start()
    try:
        assert holding.wait(10)
        batch = ingest([penalty_row(来源记录编号="SRC-RACE-1"), penalty_row()])
    finally:
        thread.join()
    assert (batch.status, batch.error_code, batch.accepted) == ("failed", "conflict", 0)
    assert "另一批次" in batch.message
    assert Record.objects.filter(source_id="SRC-RACE-1").count() == 1
    assert not Record.objects.filter(batch=batch).exists()
    assert not Batch.objects.filter(status="running").exists()
