"""Reading evaluation results: the current grade, the grade on a date, the explanation of a
grade (each counted record with its points, the clamps, the override), what would change it,
and the distribution of grades for the staff's charts.

Public display: a model's results show on the public credit file only when the model evaluates
no individuals (research-integrity results of persons are for the authorities).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count
from django.db.models.functions import Substr

from xinyong.catalog.registry import get_catalog
from xinyong.common.db import select_instances

from .loader import Model, get_models
from .models import EvaluationResult, EvaluationRun


def public_models() -> dict[str, Model]:
    return {code: m for code, m in get_models().items() if "individual" not in m.subject_kinds}


def current_results(subject_id: int, *, public_only: bool = True) -> list[EvaluationResult]:
    """The subject's current results, one per model, in model order."""
    models = public_models() if public_only else get_models()
    if not models:
        return []
    codes = list(models)
    where = f't."subject_id" = %s AND t."valid_to" IS NULL AND t."model_code" IN ({", ".join(["%s"] * len(codes))})'
    rows = select_instances(EvaluationResult, where, [subject_id, *codes], related=("run",))  # every credit file page: not compiled each time
    order = list(models)
    return sorted(rows, key=lambda r: order.index(r.model_code))


def result_on(subject_id: int, model_code: str, moment: datetime) -> EvaluationResult | None:
    """The result in force at `moment`: the grade the subject had then under that model."""
    return (
        EvaluationResult.objects.filter(subject_id=subject_id, model_code=model_code, valid_from__lte=moment)
        .exclude(valid_to__lte=moment)
        .order_by("-valid_from")
        .first()
    )


def history(subject_id: int, model_code: str, limit: int = 20) -> list[EvaluationResult]:
    return list(EvaluationResult.objects.filter(subject_id=subject_id, model_code=model_code).order_by("-valid_from")[:limit])


# ---------------------------------------------------------------------- explanation
@dataclass
class CountedRecord:
    record_id: int
    item_name: str
    department: str
    document_no: str
    decided_on: date | None
    points: float  # after decay, before clamps
    under_objection: bool = False


@dataclass
class IndicatorLine:
    code: str
    name: str
    total: float  # after its clamp
    raw: float  # before its clamp
    records: list[CountedRecord] = field(default_factory=list)

    @property
    def clamped(self) -> bool:
        return self.total != self.raw


@dataclass
class DimensionLine:
    code: str
    name: str
    total: float
    raw: float
    indicators: list[IndicatorLine] = field(default_factory=list)

    @property
    def clamped(self) -> bool:
        return self.total != self.raw


@dataclass
class Explanation:
    model: Model | None
    result: EvaluationResult
    grade_name: str
    raw_grade_name: str
    base: float
    dimensions: list[DimensionLine]
    override_reason: str  # why the grade differs from the score's, if it does
    data_as_of: datetime | None
    as_of: date

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)


def _clamp(value: int, low: int | None, high: int | None) -> int:
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def explain(result: EvaluationResult) -> Explanation:
    """What made the score: dimensions → indicators → counted records with their points."""
    from xinyong.records.models import Record

    model = get_models().get(result.model_code)
    run = result.run
    contributions = result.contributions or []
    records = {
        r.id: r
        for r in Record.objects.filter(id__in=[c[0] for c in contributions]).select_related("department").only(
            "id", "item_code", "document_no", "decided_on", "under_objection", "department__name"
        )
    }
    catalog = get_catalog()
    by_indicator: dict[str, list] = defaultdict(list)
    for record_id, indicator, points in contributions:
        r = records.get(record_id)
        item = catalog.items.get(r.item_code) if r else None
        by_indicator[indicator].append(
            CountedRecord(
                record_id=record_id,
                item_name=item.name if item else (r.item_code if r else "（记录已删除）"),
                department=r.department.name if r else "",
                document_no=r.document_no if r else "",
                decided_on=r.decided_on if r else None,
                points=points / 1000,
                under_objection=bool(r and r.under_objection),
            )
        )
    dimensions: list[DimensionLine] = []
    if model is not None:
        for dim in model.dimensions:
            lines, dim_raw = [], 0
            for ind in dim.indicators:
                if ind.code not in by_indicator:
                    continue
                raw = sum(int(round(c.points * 1000)) for c in by_indicator[ind.code])
                total = _clamp(raw, ind.min_milli, ind.max_milli)
                dim_raw += total
                lines.append(IndicatorLine(ind.code, ind.name, total / 1000, raw / 1000, sorted(by_indicator[ind.code], key=lambda c: c.points)))
            if lines:
                total = _clamp(dim_raw, dim.min_milli, dim.max_milli)
                dimensions.append(DimensionLine(dim.code, dim.name, total / 1000, dim_raw / 1000, lines))
    reason = ""
    if result.override_seq is not None and model is not None and 0 < result.override_seq <= len(model.overrides):
        reason = model.overrides[result.override_seq - 1].reason
    grade = model.grade(result.grade) if model else None
    raw_grade = model.grade(result.raw_grade) if model else None
    return Explanation(
        model=model,
        result=result,
        grade_name=grade.name if grade else result.grade,
        raw_grade_name=raw_grade.name if raw_grade else result.raw_grade,
        base=(model.base_milli / 1000) if model else 0,
        dimensions=dimensions,
        override_reason=reason,
        data_as_of=run.data_as_of,
        as_of=run.as_of,
    )


# ---------------------------------------------------------------------- the staff's charts
GROUPINGS = ("all", "region", "industry", "version")


def distribution(model_code: str, by: str) -> dict[str, dict[str, int]]:
    """Current results of a model counted by grade, per `by`: "region" (city/prefecture),
    "industry" (GB/T 4754 section), "version" (model version) or "all"."""
    if by not in GROUPINGS:
        raise ValueError(by)
    return distributions(model_code)[by]


def distributions(model_code: str) -> dict[str, dict[str, dict[str, int]]]:
    """The four groupings of `distribution` from one pass over the current results (at Jilin's
    scale a scan of millions of results joined with their subjects: seconds), kept in the cache
    until the next finished run (results change only through runs; a subject's new region or
    industry shows from then)."""
    from django.core.cache import cache

    latest = EvaluationRun.objects.filter(status="done").order_by("-id").values_list("token", flat=True).first()
    key = f"evaluation:distributions:{model_code}:{latest}"
    found = cache.get(key)
    if found is not None:
        return found
    out: dict[str, dict[str, dict[str, int]]] = {by: defaultdict(lambda: defaultdict(int)) for by in GROUPINGS}
    rows = (
        EvaluationResult.objects.filter(model_code=model_code, valid_to__isnull=True)
        .annotate(city=Substr("subject__region", 1, 4))
        .values_list("model_version", "city", "subject__industry", "grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    for version, city, industry, grade, n in rows:
        out["all"]["all"][grade] += n
        out["version"][version][grade] += n
        out["region"][(city + "00") if city and len(city) == 4 else ""][grade] += n
        out["industry"][industry or ""][grade] += n
    found = {by: {k: dict(v) for k, v in groups.items()} for by, groups in out.items()}
    cache.set(key, found, 24 * 3600)
    return found


def latest_runs(limit: int = 20) -> list[EvaluationRun]:
    return list(EvaluationRun.objects.order_by("-id")[:limit])


# ---------------------------------------------------------------------- the public credit file
@dataclass
class PublicGrade:
    """A grade as the public credit file shows it: the explanation with only public records
    itemized; what the law does not publish is summed per indicator without detail."""

    model_code: str
    model_name: str
    model_version: str
    grade: str
    grade_name: str
    score: float
    as_of: date
    since: datetime
    overridden_reason: str
    dimensions: list[DimensionLine]
    withheld: int  # counted records not shown (not of public disclosure class, or outside their period)

    def as_dict(self) -> dict:
        return {
            "model": self.model_code, "model_name": self.model_name, "model_version": self.model_version,
            "grade": self.grade, "grade_name": self.grade_name, "score": self.score,
            "as_of": self.as_of.isoformat(), "since": self.since.isoformat(), "override_reason": self.overridden_reason,
            "withheld_records": self.withheld,
            "dimensions": [
                {
                    "code": d.code, "name": d.name, "points": d.total,
                    "indicators": [
                        {
                            "code": i.code, "name": i.name, "points": i.total,
                            "records": [
                                {"record_id": r.record_id, "item": r.item_name, "department": r.department, "document_no": r.document_no,
                                 "decided_on": r.decided_on.isoformat() if r.decided_on else None, "points": r.points, "under_objection": r.under_objection}
                                for r in i.records
                            ],
                        }
                        for i in d.indicators
                    ],
                }
                for d in self.dimensions
            ],
        }


def public_grades(subject_id: int, *, day: date | None = None) -> list[PublicGrade]:
    from xinyong.records import selectors as record_selectors

    out = []
    for result in current_results(subject_id, public_only=True):
        ex = explain(result)
        if ex.model is None:
            continue
        ids = [r.record_id for d in ex.dimensions for i in d.indicators for r in i.records]
        shown = set(record_selectors.subject_public_records(subject_id, day).filter(id__in=ids).values_list("id", flat=True)) if ids else set()
        withheld = 0
        for d in ex.dimensions:
            for i in d.indicators:
                withheld += sum(1 for r in i.records if r.record_id not in shown)
                i.records = [r for r in i.records if r.record_id in shown]
        out.append(
            PublicGrade(
                model_code=result.model_code, model_name=ex.model.name, model_version=result.model_version,
                grade=result.grade, grade_name=ex.grade_name, score=result.score, as_of=ex.as_of, since=result.valid_from,
                overridden_reason=ex.override_reason, dimensions=ex.dimensions, withheld=withheld,
            )
        )
    return out


# ---------------------------------------------------------------------- what would change the grade
@dataclass
class Change:
    """Re-evaluating the subject without one thing (a record repaired or expired, a list left)."""

    what: str  # the record or the list, in words
    record_id: int | None
    score_gain: float
    grade: str  # the grade it would have
    grade_name: str
    grade_changes: bool

    @property
    def text(self) -> str:
        if self.record_id is None:
            return f"{self.what}后，等级变为 {self.grade}（{self.grade_name}）"
        if self.grade_changes:
            return f"{self.what}：修复或期满后得分 +{self.score_gain:g}，等级变为 {self.grade}（{self.grade_name}）"
        return f"{self.what}：修复或期满后得分 +{self.score_gain:g}，等级不变"


def _with_dependencies(code: str, models: dict[str, Model]) -> dict[str, Model]:
    out: dict[str, Model] = {}
    stack = [code]
    while stack:
        c = stack.pop()
        if c in out or c not in models:
            continue
        out[c] = models[c]
        stack.extend(models[c].depends_on)
    return out


def subject_snapshot(compiled, subject_ids: list[int], *, as_of: date):
    """The snapshot rows of a few subjects (the export a run uses, read back into rows)."""
    import tempfile

    from . import compiled as c
    from .engine import arrow_to_rows
    from .snapshot import export_snapshot

    with tempfile.TemporaryDirectory(prefix="xinyong-eval-") as folder:
        export_snapshot(folder, compiled=compiled, as_of=as_of, subject_ids=subject_ids)
        import pyarrow.parquet as pq

        tables = {name: arrow_to_rows(pq.read_table(f"{folder}/{name}.parquet"), row_type) for name, row_type in c.SNAPSHOT_TABLES.items()}
    return c.Snapshot(**tables)


def what_would_change(result: EvaluationResult, *, limit: int = 20) -> list[Change]:
    """The counted negative records (and the lists behind an override) whose repair, expiry or
    removal would raise the subject's score under this model, and by how much; those that would
    change the grade first. Evaluated by the reference evaluator on this subject's facts as of the
    result's run, each time with one thing left out."""
    from xinyong.catalog.registry import get_catalog

    from . import reference
    from .compile import compile_models
    from .compiled import Snapshot

    models = get_models()
    model = models.get(result.model_code)
    if model is None:
        return []
    compiled = compile_models(_with_dependencies(model.code, models))
    as_of = result.run.as_of
    snap = subject_snapshot(compiled, [result.subject_id], as_of=as_of)

    def outcome(s: Snapshot):
        out = reference.evaluate(compiled, s, as_of)
        return next(r for r in out.results if r.model == model.code and r.subject_id == result.subject_id)

    now = outcome(snap)
    catalog = get_catalog()
    names = {}
    negative = [c for c in (result.contributions or []) if c[2] < 0]
    from xinyong.records.models import Record

    for r in Record.objects.filter(id__in=[c[0] for c in negative]).only("id", "item_code", "document_no", "decided_on"):
        item = catalog.items.get(r.item_code)
        names[r.id] = f"{item.name if item else r.item_code}（{r.document_no or '无文号'}，{r.decided_on:%Y-%m-%d}）"
    changes: list[Change] = []
    for record_id, _indicator, _points in negative:
        without = Snapshot(snap.subjects, [f for f in snap.facts if f.record_id != record_id], snap.attrs, snap.members)
        r = outcome(without)
        gain = (r.score_milli - now.score_milli) / 1000
        if gain > 0 or r.grade != now.grade:
            g = model.grade(r.grade)
            changes.append(Change(names.get(record_id, f"记录 {record_id}"), record_id, gain, r.grade, g.name if g else r.grade, r.grade != now.grade))
    for code in {o.list_code for o in model.overrides if o.list_code}:
        if (result.subject_id, code) not in {(m.subject_id, m.list_code) for m in snap.members}:
            continue
        without = Snapshot(snap.subjects, snap.facts, snap.attrs, [m for m in snap.members if m.list_code != code])
        r = outcome(without)
        if r.grade != now.grade:
            g = model.grade(r.grade)
            spec = catalog.lists.get(code) if hasattr(catalog, "lists") else None
            changes.append(Change(f"移出“{spec.name if spec else code}”", None, (r.score_milli - now.score_milli) / 1000, r.grade, g.name if g else r.grade, True))
    rank = {g.code: i for i, g in enumerate(model.grades)}
    changes.sort(key=lambda c: (not c.grade_changes, rank.get(c.grade, 99), -c.score_gain))
    return changes[:limit]
