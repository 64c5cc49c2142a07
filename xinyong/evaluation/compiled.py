"""The contract between evaluation models and the engines: small relational tables.

A model file (YAML, `definitions/*.yaml`) is loaded and validated by `loader.py`, then compiled
into the rows below. Every engine — the DuckDB SQL (`sql/evaluate.sql`), the same SQL transpiled
to Spark, and the pure-Python `reference.py` — reads only these rows and the snapshot rows, and
must give identical results. The semantics are written once, in `reference.py`'s docstring and
code; the SQL is its set-based equivalent.

All points are integers in thousandths (milli-points); the loader accepts at most one decimal
place in a model file, so `points_milli * pct // 100` is always exact in every engine.
Authority levels are ranked: county 1, city 2, province 3, national 4 (`LEVEL_RANK`).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from datetime import date

LEVEL_RANK = {"county": 1, "city": 2, "province": 3, "national": 4}
COUNT_MODES = ("each", "latest")
OVERRIDE_ACTIONS = ("set", "at_most")


# ----------------------------------------------------------------------------- compiled model
@dataclass(frozen=True)
class ModelRow:
    model: str  # model code, e.g. "baseline.enterprise"
    version: str
    stage: int  # 0 for models that depend on no other model; else 1 + the deepest dependency
    base_milli: int  # the score every subject starts from
    min_milli: int  # the scale: scores are clamped to [min, max]
    max_milli: int


@dataclass(frozen=True)
class KindRow:  # the subject kinds a model evaluates (every subject of these kinds gets a result)
    model: str
    kind: str


@dataclass(frozen=True)
class DisclosureRow:  # the disclosure classes of records a model may use
    model: str
    disclosure: str


@dataclass(frozen=True)
class DimensionRow:
    model: str
    dimension: str
    min_milli: int | None  # clamp of the dimension's total (None: unbounded)
    max_milli: int | None


@dataclass(frozen=True)
class IndicatorRow:
    model: str
    dimension: str
    indicator: str  # unique within the model
    count_mode: str  # "each": every matching record; "latest": only the subject's newest one
    min_total_milli: int | None  # clamp of the indicator's total (None: unbounded)
    max_total_milli: int | None
    decays: bool  # False: a counted record weighs 100% while it counts; True: see DecayRow


@dataclass(frozen=True)
class DecayRow:  # for decaying indicators: the share a record weighs in year `year` of its age
    model: str  # age in years = (as_of - decided_on).days // 365; no row for that year: 0%
    indicator: str
    year: int
    pct: int  # 0..100


@dataclass(frozen=True)
class RuleRow:
    model: str
    rule_no: int  # unique within the model; a record counts under its matching rule of lowest rule_no
    indicator: str
    item_code: str  # a concrete catalog item code (patterns are expanded by the compiler)
    severity: str | None  # None: any severity (including none)
    field: str | None  # with value: the record must have this field's value (see AttrRow)
    value: str | None
    min_level: int  # the recognizing authority's rank must be >= this (0: any)
    points_milli: int


@dataclass(frozen=True)
class GradeRow:
    model: str
    grade: str
    name: str
    rank: int  # 1 is the best grade
    from_milli: int  # a score s has this grade when from <= s < to, or s == to == the model's max
    to_milli: int


@dataclass(frozen=True)
class OverrideRow:
    model: str
    seq: int  # the override's position in the model file (1-based); several rows may share it
    list_code: str | None  # applies when the subject is on this list at as_of ...
    dep_model: str | None  # ... or when its grade under dep_model (an earlier stage) is dep_grade
    dep_grade: str | None
    action: str  # "set": the grade becomes `grade`; "at_most": the grade is no better than `grade`
    grade: str
    reason: str


COMPILED_TABLES = {
    "eval_models": ModelRow,
    "eval_kinds": KindRow,
    "eval_disclosures": DisclosureRow,
    "eval_dimensions": DimensionRow,
    "eval_indicators": IndicatorRow,
    "eval_decay": DecayRow,
    "eval_rules": RuleRow,
    "eval_grades": GradeRow,
    "eval_overrides": OverrideRow,
}


@dataclass
class Compiled:
    """A set of compiled models, evaluated together (stages in order)."""

    models: list[ModelRow]
    kinds: list[KindRow]
    disclosures: list[DisclosureRow]
    dimensions: list[DimensionRow]
    indicators: list[IndicatorRow]
    decay: list[DecayRow]
    rules: list[RuleRow]
    grades: list[GradeRow]
    overrides: list[OverrideRow]

    def tables(self) -> dict[str, list]:
        return dict(zip(COMPILED_TABLES, (self.models, self.kinds, self.disclosures, self.dimensions, self.indicators, self.decay, self.rules, self.grades, self.overrides), strict=True))


# ----------------------------------------------------------------------------- the snapshot
@dataclass(frozen=True)
class SubjectRow:
    subject_id: int
    kind: str
    region: str  # GB/T 2260 code ('' when unknown)
    industry: str  # GB/T 4754 section letter ('' when unknown)


@dataclass(frozen=True)
class FactRow:  # one record, the columns evaluation needs
    record_id: int
    subject_id: int
    item_code: str
    authority_level: str  # county/city/province/national ('' when unknown: rank 0)
    severity: str | None
    decided_on: date
    ends_on: date | None  # the last day the record counts (end of its publication/validity); None: no end
    status: str  # active/withdrawn/repaired: only active records count
    disclosure: str
    under_objection: bool


@dataclass(frozen=True)
class AttrRow:  # a field value of a record, for the (item, field) pairs that rules name
    record_id: int  # a multi-choice field gives one row per chosen value
    field: str
    value: str


@dataclass(frozen=True)
class MemberRow:  # the subject is on the list at as_of
    subject_id: int
    list_code: str


SNAPSHOT_TABLES = {"subjects": SubjectRow, "facts": FactRow, "attrs": AttrRow, "members": MemberRow}


@dataclass
class Snapshot:
    subjects: list[SubjectRow]
    facts: list[FactRow]
    attrs: list[AttrRow]
    members: list[MemberRow]


# ----------------------------------------------------------------------------- the output
@dataclass(frozen=True)
class ResultRow:
    model: str
    subject_id: int
    score_milli: int
    raw_grade: str  # by the thresholds
    grade: str  # after overrides
    override_seq: int | None  # the override that decided the grade, if one did


@dataclass(frozen=True)
class ContributionRow:
    model: str
    subject_id: int
    record_id: int
    indicator: str
    points_milli: int  # after decay, before the indicator's and dimension's clamps


@dataclass
class Output:
    results: list[ResultRow]
    contributions: list[ContributionRow]

    def normalized(self) -> tuple[list[tuple], list[tuple]]:
        """Sorted tuples: what engines are compared on."""
        return sorted(astuple(r) for r in self.results), sorted(astuple(c) for c in self.contributions)


def column_names(row_type) -> list[str]:
    return [f.name for f in fields(row_type)]
