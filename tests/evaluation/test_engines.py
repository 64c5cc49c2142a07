"""The engines agree: DuckDB (the SQL), Spark (the same SQL transpiled) and the reference.

Generated models and snapshots (strategies.py); DuckDB against the reference on many examples,
Spark on a few batches of cases merged into one run (Spark is slow to start and to plan)."""

from __future__ import annotations

import warnings
from datetime import date

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NonInteractiveExampleWarning

from xinyong.evaluation import compiled as c
from xinyong.evaluation.engine import (
    DuckDBEngine,
    ReferenceEngine,
    SparkEngine,
    arrow_schema,
    snapshot_tables,
)

from .strategies import AS_OF, cases, merge

AS_OF_DATES = st.sampled_from([AS_OF, date(2024, 2, 29), date(2025, 1, 1)])


def write_snapshot(snapshot: c.Snapshot, folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in snapshot_tables(snapshot).items():
        pq.write_table(table, folder / f"{name}.parquet")


def small_case() -> tuple[c.Compiled, c.Snapshot]:
    """Two models, the second overridden by the first's grade; penalties with decay, a latest
    rating chosen by an attr, a list override."""
    compiled = c.Compiled(
        models=[c.ModelRow("base", "1", 0, 700_000, 0, 1_000_000), c.ModelRow("env", "1", 1, 80_000, 0, 100_000)],
        kinds=[c.KindRow("base", "enterprise"), c.KindRow("env", "enterprise")],
        disclosures=[c.DisclosureRow("base", "public"), c.DisclosureRow("env", "public")],
        dimensions=[c.DimensionRow("base", "sup", -400_000, None), c.DimensionRow("env", "all", None, None)],
        indicators=[
            c.IndicatorRow("base", "sup", "penalty", "each", -300_000, None, True),
            c.IndicatorRow("base", "sup", "tax", "latest", None, None, False),
        ],
        decay=[c.DecayRow("base", "penalty", 0, 100), c.DecayRow("base", "penalty", 1, 60)],
        rules=[
            c.RuleRow("base", 1, "penalty", "penalty.a", "严重", None, None, 1, -120_000),
            c.RuleRow("base", 2, "penalty", "penalty.a", None, None, None, 1, -40_000),
            c.RuleRow("base", 3, "tax", "tax_rating", None, "grade", "A", 0, 40_000),
            c.RuleRow("base", 4, "tax", "tax_rating", None, "grade", "D", 0, -100_000),
        ],
        grades=[
            c.GradeRow("base", "A", "优", 1, 850_000, 1_000_000),
            c.GradeRow("base", "B", "良", 2, 700_000, 850_000),
            c.GradeRow("base", "C", "中", 3, 0, 700_000),
            c.GradeRow("env", "good", "良好", 1, 60_000, 100_000),
            c.GradeRow("env", "bad", "不良", 2, 0, 60_000),
        ],
        overrides=[
            c.OverrideRow("base", 1, "dishonest", None, None, "set", "C", "失信被执行人"),
            c.OverrideRow("env", 1, None, "base", "C", "at_most", "bad", "基准评价为中"),
        ],
    )
    snapshot = c.Snapshot(
        subjects=[c.SubjectRow(1, "enterprise", "220102", ""), c.SubjectRow(2, "enterprise", "", ""), c.SubjectRow(3, "individual", "", "")],
        facts=[
            c.FactRow(10, 1, "penalty.a", "city", "严重", date(2025, 3, 1), None, "active", "public", False),  # year 1: 60%
            c.FactRow(11, 1, "penalty.a", "county", "一般", date(2026, 3, 1), None, "active", "public", False),
            c.FactRow(12, 1, "penalty.a", "", "一般", date(2026, 2, 1), None, "active", "public", False),  # no level: rank 0
            c.FactRow(13, 1, "penalty.a", "city", "一般", date(2026, 2, 1), None, "repaired", "public", False),
            c.FactRow(14, 2, "tax_rating", "province", None, date(2024, 1, 1), None, "active", "public", False),
            c.FactRow(15, 2, "tax_rating", "province", None, date(2025, 1, 1), date(2026, 2, 28), "active", "public", False),  # ended
            c.FactRow(16, 3, "penalty.a", "city", "严重", date(2026, 1, 1), None, "active", "public", False),  # not evaluated
        ],
        attrs=[c.AttrRow(14, "grade", "A"), c.AttrRow(15, "grade", "D")],
        members=[c.MemberRow(2, "dishonest")],
    )
    return compiled, snapshot


def test_small_case_by_hand():
    """The reference's answer for the small case, worked out by hand, and DuckDB's equals it."""
    compiled, snapshot = small_case()
    expected = c.Output(
        results=[
            # 700 - 72 (120 at 60%) - 40 = 588: C; env 80 → good, but base is C → at most bad
            c.ResultRow("base", 1, 588_000, "C", "C", None),
            c.ResultRow("env", 1, 80_000, "good", "bad", 1),
            # the latest rating counting is 2024's A (2025's D ended): 740 = B, on the list → C
            c.ResultRow("base", 2, 740_000, "B", "C", 1),
            c.ResultRow("env", 2, 80_000, "good", "bad", 1),
        ],
        contributions=[
            c.ContributionRow("base", 1, 10, "penalty", -72_000),
            c.ContributionRow("base", 1, 11, "penalty", -40_000),
            c.ContributionRow("base", 2, 14, "tax", 40_000),
        ],
    ).normalized()
    for engine in (ReferenceEngine(), DuckDBEngine(threads=1)):
        assert engine.evaluate(compiled, snapshot, date(2026, 3, 1)).output().normalized() == expected, engine.name


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases(), as_of=AS_OF_DATES)
def test_duckdb_agrees_with_reference(case, as_of):
    compiled, snapshot = case
    reference = ReferenceEngine().evaluate(compiled, snapshot, as_of).output().normalized()
    duck = DuckDBEngine(threads=1).evaluate(compiled, snapshot, as_of).output().normalized()
    assert duck == reference


def test_duckdb_reads_and_writes_parquet(tmp_path):
    """The production path: the snapshot read in place from Parquet, the output written as
    Parquet with the contract's schema."""
    compiled, snapshot = small_case()
    write_snapshot(snapshot, tmp_path / "snap")
    evaluation = DuckDBEngine(threads=2).evaluate(compiled, tmp_path / "snap", date(2026, 3, 1), out_dir=tmp_path / "out")
    assert pq.read_schema(tmp_path / "out" / "results.parquet").names == arrow_schema(c.ResultRow).names
    assert pq.read_schema(tmp_path / "out" / "contributions.parquet").names == arrow_schema(c.ContributionRow).names
    expected = ReferenceEngine().evaluate(compiled, snapshot, date(2026, 3, 1)).output().normalized()
    assert evaluation.output().normalized() == expected


def test_a_model_without_subjects_or_facts_gives_nothing():
    compiled, _ = small_case()
    empty = c.Snapshot([], [], [], [])
    for engine in (ReferenceEngine(), DuckDBEngine(threads=1)):
        assert engine.evaluate(compiled, empty, date(2026, 3, 1)).output().normalized() == ([], [])


def random_cases(n: int) -> list:
    """n cases drawn at random from the strategies (not through @given, whose first example is
    the minimal one: a single Spark run must carry varied cases)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        return [cases().example() for _ in range(n)]


@pytest.mark.spark
def test_spark_agrees_with_duckdb_and_reference(spark, tmp_path):
    """Spark from a Parquet snapshot to Parquet output, on the small case and 16 random cases
    merged into one run (each Spark run costs seconds of planning and jobs, whatever its size);
    DuckDB and the reference on the same merged case."""
    compiled, snapshot = merge([small_case(), *random_cases(16)])
    assert len(compiled.rules) > 20 and len(snapshot.facts) > 20  # not a trivial batch
    write_snapshot(snapshot, tmp_path / "snap")
    reference = ReferenceEngine().evaluate(compiled, snapshot, AS_OF).output().normalized()
    duck = DuckDBEngine(threads=1).evaluate(compiled, tmp_path / "snap", AS_OF).output().normalized()
    sparked = SparkEngine(spark).evaluate(compiled, tmp_path / "snap", AS_OF, out_dir=tmp_path / "out").output().normalized()
    assert duck == reference
    assert sparked == reference
