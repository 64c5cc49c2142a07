"""The snapshot export: from records ingested by the real pipeline (and list entries) to the
Parquet files the engines read, on the suite's database (SQLite, and PostgreSQL in CI, where it
goes through COPY)."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest

from xinyong.evaluation import compiled as c
from xinyong.evaluation.engine import DuckDBEngine, ReferenceEngine, arrow_to_rows
from xinyong.evaluation.snapshot import export_snapshot
from xinyong.records.models import Record
from xinyong.sanctions.models import ListEntry
from xinyong.subjects.models import Subject

AS_OF = date(2026, 11, 20)


def model(*, rules: list[c.RuleRow], lists: tuple[str, ...] = ("dishonest_debtors",), kinds=("enterprise",)) -> c.Compiled:
    code = "t"
    return c.Compiled(
        models=[c.ModelRow(code, "1", 0, 700_000, 0, 1_000_000)],
        kinds=[c.KindRow(code, k) for k in kinds],
        disclosures=[c.DisclosureRow(code, "public")],
        dimensions=[c.DimensionRow(code, "sup", None, None)],
        indicators=[c.IndicatorRow(code, "sup", "penalty", "each", None, None, False)],
        decay=[],
        rules=rules,
        grades=[c.GradeRow(code, "A", "优", 1, 700_000, 1_000_000), c.GradeRow(code, "D", "差", 2, 0, 700_000)],
        overrides=[c.OverrideRow(code, i, lc, None, None, "set", "D", "名单") for i, lc in enumerate(lists, start=1)],
    )


FINE = c.RuleRow("t", 2, "penalty", "penalty.gsj", None, "penalty_category", "罚款", 0, -50_000)
CONFISCATION = c.RuleRow("t", 1, "penalty", "penalty.gsj", "严重", "penalty_category", "没收违法所得", 0, -80_000)


def read(folder, name):
    return arrow_to_rows(pq.read_table(folder / f"{name}.parquet"), c.SNAPSHOT_TABLES[name])


@pytest.fixture
def province(ingest, penalty_row, uscc):
    """Three enterprises: A with a serious penalty (fine + confiscation), B with a general fine,
    C with none; A is on the dishonest debtors' list, B was (expired)."""
    codes = {k: uscc("220102") for k in "ABC"}
    batch = ingest([
        penalty_row(code=codes["A"], 行政相对人名称="长春市甲商贸有限公司", 处罚类别="罚款；没收违法所得", 失信严重程度="严重", 处罚决定日期="2026-03-02"),
        penalty_row(code=codes["B"], 行政相对人名称="长春市乙商贸有限公司", 处罚类别="罚款", 处罚决定日期="2026-05-06"),
    ])
    assert batch.accepted == 2, batch.errors if hasattr(batch, "errors") else batch
    subjects = {k: Subject.objects.filter(uscc=code).first() for k, code in codes.items()}
    subjects["C"] = Subject.objects.create(kind="enterprise", uscc=codes["C"], name="长春市丙商贸有限公司", name_key="丙", region="220102", industry="批发和零售业")
    ListEntry.objects.create(list_code="dishonest_debtors", subject=subjects["A"], status="listed", listed_on=date(2026, 4, 1))
    ListEntry.objects.create(list_code="dishonest_debtors", subject=subjects["B"], status="listed", listed_on=date(2025, 1, 1), expires_on=date(2026, 1, 1))
    ListEntry.objects.create(list_code="dishonest_debtors", subject=subjects["C"], status="removed", listed_on=date(2025, 1, 1))
    ListEntry.objects.create(list_code="other_list", subject=subjects["C"], status="listed", listed_on=date(2025, 1, 1))
    return subjects


def test_export_gives_the_models_facts_attrs_and_members(province, tmp_path):
    a, b, c_ = province["A"], province["B"], province["C"]
    counts = export_snapshot(tmp_path, compiled=model(rules=[FINE, CONFISCATION]), as_of=AS_OF)

    subjects = {s.subject_id: s for s in read(tmp_path, "subjects")}
    assert {a.id, b.id, c_.id} <= set(subjects)
    assert subjects[a.id] == c.SubjectRow(a.id, "enterprise", "220102", "")  # no registration record: no industry yet
    assert subjects[c_.id].industry == "批发和零售业"
    facts = {f.subject_id: f for f in read(tmp_path, "facts")}
    record_a = Record.objects.get(subject=a)
    assert facts[a.id] == c.FactRow(
        record_a.id, a.id, "penalty.gsj", record_a.authority_level, "严重", date(2026, 3, 2),
        record_a.publish_until, "active", "public", False,
    )
    assert facts[b.id].severity == "一般"
    assert c_.id not in facts
    # the multi-choice field gives a row per chosen value
    attrs = {(x.record_id, x.field, x.value) for x in read(tmp_path, "attrs")}
    record_b = Record.objects.get(subject=b)
    assert {(record_a.id, "penalty_category", "罚款"), (record_a.id, "penalty_category", "没收违法所得"), (record_b.id, "penalty_category", "罚款")} <= attrs
    assert {x[1] for x in attrs} == {"penalty_category"}
    # listed on as_of: A only (B's entry expired, C's was removed, C's other list is not named)
    assert {(m.subject_id, m.list_code) for m in read(tmp_path, "members")} & {(s.id, lc) for s in (a, b, c_) for lc in ("dishonest_debtors", "other_list")} == {(a.id, "dishonest_debtors")}
    assert counts["facts"] == len(read(tmp_path, "facts"))

    # and the engines evaluate it: A's record counts under its first matching rule (the
    # confiscation, a value of the multi-choice field): 700 - 80 → set D by the list;
    # B = 700 - 50 → D by the thresholds; C = 700 → A
    compiled = model(rules=[FINE, CONFISCATION])
    out = DuckDBEngine(threads=1).evaluate(compiled, tmp_path, AS_OF).output()
    grades = {r.subject_id: (r.score_milli, r.grade, r.override_seq) for r in out.results}
    assert grades[a.id] == (620_000, "D", 1)
    assert grades[b.id] == (650_000, "D", None)
    assert grades[c_.id] == (700_000, "A", None)
    assert out.normalized() == ReferenceEngine().evaluate(compiled, tmp_path, AS_OF).output().normalized()


def test_ends_on_is_the_earlier_of_publication_and_validity(province, tmp_path):
    record = Record.objects.get(subject=province["A"])
    compiled = model(rules=[FINE])
    cases = [
        (date(2027, 1, 1), date(2026, 12, 1), date(2026, 12, 1)),
        (date(2026, 12, 1), date(2027, 1, 1), date(2026, 12, 1)),
        (None, date(2027, 1, 1), date(2027, 1, 1)),
        (date(2027, 1, 1), None, date(2027, 1, 1)),
        (None, None, None),
    ]
    for n, (publish_until, valid_until, ends_on) in enumerate(cases):
        Record.objects.filter(pk=record.pk).update(publish_until=publish_until, valid_until=valid_until)
        export_snapshot(tmp_path / str(n), compiled=compiled, as_of=AS_OF)
        [fact] = [f for f in read(tmp_path / str(n), "facts") if f.record_id == record.pk]
        assert fact.ends_on == ends_on, (publish_until, valid_until)


def test_only_what_the_models_name_is_exported(province, tmp_path):
    a = province["A"]
    Record.objects.filter(subject=province["B"]).update(disclosure="internal", severity="")
    # no field named: no attrs; no list named: no members; a kind not evaluated: no subjects
    export_snapshot(tmp_path / "x", compiled=model(rules=[c.RuleRow("t", 1, "penalty", "penalty.gsj", None, None, None, 0, -1000)], lists=()), as_of=AS_OF)
    assert read(tmp_path / "x", "attrs") == []
    assert read(tmp_path / "x", "members") == []
    assert {f.subject_id for f in read(tmp_path / "x", "facts")} == {a.id}  # B's record is internal
    export_snapshot(tmp_path / "y", compiled=model(rules=[c.RuleRow("t", 1, "penalty", "license.gsj", None, None, None, 0, 1000)], kinds=("individual",)), as_of=AS_OF)
    assert read(tmp_path / "y", "facts") == []
    assert not {s.subject_id for s in read(tmp_path / "y", "subjects")} & {s.id for s in province.values()}


def test_an_incremental_export_takes_the_given_subjects_in_small_batches(province, tmp_path):
    a, c_ = province["A"], province["C"]
    compiled = model(rules=[FINE, CONFISCATION])
    counts = export_snapshot(tmp_path, compiled=compiled, as_of=AS_OF, subject_ids=[a.id, c_.id], batch_size=1)
    assert {s.subject_id for s in read(tmp_path, "subjects")} == {a.id, c_.id}
    assert {f.subject_id for f in read(tmp_path, "facts")} == {a.id}
    assert len(read(tmp_path, "attrs")) == 2
    assert read(tmp_path, "members") == [c.MemberRow(a.id, "dishonest_debtors")]
    assert counts == {"subjects": 2, "facts": 1, "attrs": 2, "members": 1}
    # a record whose publication period ended the day before as_of no longer counts
    record = Record.objects.get(subject=a)
    Record.objects.filter(pk=record.pk).update(publish_until=AS_OF - timedelta(days=1))
    export_snapshot(tmp_path / "later", compiled=compiled, as_of=AS_OF, subject_ids=[a.id])
    out = DuckDBEngine(threads=1).evaluate(compiled, tmp_path / "later", AS_OF).output()
    assert out.contributions == [] and out.results[0].score_milli == 700_000


def test_an_incremental_export_of_subjects_the_models_do_not_evaluate_is_empty(province, tmp_path):
    """The evaluated subjects among those given are read with the subjects' table: none of
    them of the models' kinds means empty tables, never every subject's."""
    compiled = model(rules=[c.RuleRow("t", 1, "penalty", "license.gsj", None, None, None, 0, 1000)], kinds=("individual",))
    firms = [s.id for s in province.values()]
    counts = export_snapshot(tmp_path, compiled=compiled, as_of=AS_OF, subject_ids=firms)
    assert counts == {"subjects": 0, "facts": 0, "attrs": 0, "members": 0}
    # as an incremental run with the mirror exports them (its records from the mirror)
    counts = export_snapshot(tmp_path / "m", compiled=model(rules=[FINE, CONFISCATION]), as_of=AS_OF, subject_ids=firms, tables=("members", "subjects"))
    assert counts["subjects"] == len(firms) and counts["members"] == 1 and counts["facts"] == 0
