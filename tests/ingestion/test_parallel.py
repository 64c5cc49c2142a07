"""Large files are read and validated in a helper process while the main process writes: the
outcome must be exactly the one of the single-process path, failures included."""

from __future__ import annotations

import csv
import io
import multiprocessing

import pytest

from xinyong.ingestion.errorfile import read_error_file
from xinyong.ingestion.models import Batch, ReviewItem
from xinyong.records.models import ChangeEvent, Record
from xinyong.subjects.models import Subject

from ..conftest import write_csv


@pytest.fixture
def feed(tmp_path, penalty_row, uscc):
    """~1,200 rows: valid ones, bad ones, duplicates, a name-only row for the review queue."""
    rows = []
    codes = [uscc("220102") for _ in range(150)]
    for i in range(1200):
        rows.append(penalty_row(code=codes[i % len(codes)], doc=f"长市监罚〔2026〕{i + 1}号", 失信严重程度=("一般", "严重", "轻微")[i % 3]))
    rows[10]["统一社会信用代码"] = rows[10]["统一社会信用代码"][:-1] + ("1" if rows[10]["统一社会信用代码"][-1] != "1" else "2")
    rows[20]["处罚决定日期"] = "2025-02-30"
    rows[30] = dict(rows[29])  # a duplicate of the row before
    rows[40].update({"统一社会信用代码": "", "行政相对人名称": "长春市从未登记过的公司"})
    rows[50].update({"失信严重程度": "一般", "公示截止期": "2099-01-01"})  # beyond the longest publication period
    return write_csv(tmp_path / "big.csv", rows)


def outcome(batch: Batch) -> dict:
    with io.StringIO(read_error_file(batch.error_path), newline="") as fh:
        errors = [(r["【行号】"], r["【错误字段】"], r["【错误原因】"]) for r in csv.DictReader(fh)]
    records = sorted(
        Record.objects.filter(batch=batch).values_list(
            "row_no", "source_id", "content_hash", "subject__uscc", "decided_on", "publish_from", "publish_until", "repair_from", "report_deadline", "on_time", "data"
        )
    )
    return {
        "counts": (batch.status, batch.total_rows, batch.accepted, batch.rejected, batch.unchanged, batch.to_review),
        "errors": errors,
        "records": records,
        "review": sorted(ReviewItem.objects.filter(batch=batch).values_list("row_no", "reason")),
    }


def test_the_helper_process_gives_the_same_outcome_as_one_process(ingest, feed, settings):
    settings.XINYONG = {**settings.XINYONG, "PARALLEL_MIN_BYTES": -1, "CHUNK_ROWS": 300}
    alone = ingest(path=feed, dept_code="220100-GSJ")
    settings.XINYONG = {**settings.XINYONG, "PARALLEL_MIN_BYTES": 0}
    helped = ingest(path=feed, dept_code="220200-GSJ")
    assert alone.status == "succeeded" and alone.accepted > 1000 and alone.rejected == 4 and alone.to_review == 1
    assert outcome(helped) == outcome(alone)
    assert ChangeEvent.objects.filter(batch_id=helped.id, op="ADD").count() == helped.accepted
    assert not multiprocessing.active_children()


def test_a_file_level_failure_in_the_helper_process_stores_nothing(ingest, feed, settings):
    settings.XINYONG = {**settings.XINYONG, "PARALLEL_MIN_BYTES": 0, "CHUNK_ROWS": 100}
    with open(feed, "a", encoding="utf-8") as fh:
        fh.write('长春市某公司,"法人及非法人组织,未闭合的引号\n')  # an unterminated quote at the very end
    batch = ingest(path=feed)
    assert batch.status == "failed" and batch.error_code == "truncated"
    assert "引号没有闭合" in batch.message
    assert (Record.objects.count(), Subject.objects.count(), ChangeEvent.objects.count()) == (0, 0, 0)
    assert not multiprocessing.active_children()
