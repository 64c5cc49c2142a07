"""Hypothesis strategies: compiled models and snapshots, for the engines' agreement tests.

Built directly as `compiled.*Row` objects (not through the loader): random rules over a few item
codes (severity, field/value and authority-level conditions, overlapping so that rule order
matters), caps on indicators and dimensions, decay tables, "each" and "latest" indicators, grades
tiling the scale, overrides by list and by an earlier model's grade (stages); snapshots with facts
across statuses, disclosure classes, dates around as_of and around the year boundaries of decay,
authority levels, severities, multi-valued attrs and list memberships.

`merge(cases)` puts several (compiled, snapshot) cases side by side in one — model codes, kinds,
list codes and ids namespaced per case — so that a slow engine (Spark) evaluates many cases in one
run; its output is the union of the cases' outputs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import strategies as st

from xinyong.evaluation import compiled as c

KINDS = ["enterprise", "individual", "social_organization"]
DISCLOSURES = ["public", "authorized", "internal"]
ITEMS = ["penalty.a", "penalty.b", "honour", "rating"]
SEVERITIES = ["严重", "一般", "轻微"]
LEVELS = ["", "county", "city", "province", "national"]
FIELDS = {"grade": ["A", "B", "C"], "areas": ["水", "气", "土"]}  # "areas" is multi-choice
LISTS = ["L1", "L2"]
AS_OF = date(2026, 3, 1)
# days before as_of: around the year boundaries of decay (age = days // 365), today, the future
AGE_DAYS = [-3, -1, 0, 1, 364, 365, 366, 729, 730, 731, 1094, 1095, 1096, 1500]

points = st.integers(-2000, 1000).map(lambda p: p * 100)  # at most one decimal: multiples of 100
opt_low = st.one_of(st.none(), st.integers(-3000, 50).map(lambda p: p * 100))
opt_high = st.one_of(st.none(), st.integers(-50, 3000).map(lambda p: p * 100))


def _bounds(draw) -> tuple[int | None, int | None]:
    low, high = draw(opt_low), draw(opt_high)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high


@st.composite
def compiled_models(draw, max_models: int = 3) -> c.Compiled:
    n_models = draw(st.integers(1, max_models))
    out = c.Compiled([], [], [], [], [], [], [], [], [])
    stages: dict[str, int] = {}
    grade_codes: dict[str, list[str]] = {}
    for m in range(n_models):
        code = f"m{m}"
        low = draw(st.sampled_from([0, 0, -100_000]))
        high = draw(st.sampled_from([100_000, 1_000_000]))
        for kind in draw(st.sets(st.sampled_from(KINDS), min_size=1)):
            out.kinds.append(c.KindRow(code, kind))
        for disclosure in draw(st.sets(st.sampled_from(DISCLOSURES[:2]), min_size=1)):
            out.disclosures.append(c.DisclosureRow(code, disclosure))
        dims = [f"d{i}" for i in range(draw(st.integers(1, 3)))]
        for dim in dims:
            out.dimensions.append(c.DimensionRow(code, dim, *_bounds(draw)))
        inds = [f"i{i}" for i in range(draw(st.integers(1, 4)))]
        for ind in inds:
            decays = draw(st.booleans())
            out.indicators.append(c.IndicatorRow(code, draw(st.sampled_from(dims)), ind, draw(st.sampled_from(c.COUNT_MODES)), *_bounds(draw), decays))
            if decays:
                pcts = sorted(draw(st.lists(st.integers(0, 100), min_size=0, max_size=4)), reverse=True)
                for year, pct in enumerate(pcts):
                    out.decay.append(c.DecayRow(code, ind, year, pct))
        n_rules = draw(st.integers(1, 7))
        for rule_no in draw(st.permutations(range(1, n_rules + 1))):
            field = draw(st.sampled_from([None, None, "grade", "areas"]))
            out.rules.append(c.RuleRow(
                code, rule_no, draw(st.sampled_from(inds)), draw(st.sampled_from(ITEMS)),
                draw(st.sampled_from([None, None, *SEVERITIES])),
                field, draw(st.sampled_from(FIELDS[field])) if field else None,
                draw(st.integers(0, 4)), draw(points),
            ))
        # grades tiling [low, high]: cut points on whole points, the best (rank 1) on top
        n_grades = draw(st.integers(1, 4))
        cuts = sorted(draw(st.sets(st.integers(low // 1000 + 1, high // 1000 - 1), min_size=n_grades - 1, max_size=n_grades - 1)))
        edges = [low, *(x * 1000 for x in cuts), high]
        codes = [f"G{r}" for r in range(1, n_grades + 1)]
        for rank, grade in enumerate(codes, start=1):
            i = n_grades - rank
            out.grades.append(c.GradeRow(code, grade, f"等级{grade}", rank, edges[i], edges[i + 1]))
        grade_codes[code] = codes
        # the base: sometimes exactly on a threshold (a subject without facts scores it)
        base = draw(st.one_of(st.sampled_from(edges), st.integers(low // 1000, high // 1000).map(lambda p: p * 1000)))
        # overrides: by list, or by an earlier model's grade (which puts this model in a later stage)
        stage = 0
        for seq in range(1, draw(st.integers(0, 3)) + 1):
            action, grade = draw(st.sampled_from(c.OVERRIDE_ACTIONS)), draw(st.sampled_from(codes))
            earlier = [f"m{j}" for j in range(m)]
            if earlier and draw(st.booleans()):
                dep = draw(st.sampled_from(earlier))
                stage = max(stage, stages[dep] + 1)
                for dep_grade in draw(st.sets(st.sampled_from(grade_codes[dep]), min_size=1, max_size=2)):
                    out.overrides.append(c.OverrideRow(code, seq, None, dep, dep_grade, action, grade, f"理由{seq}"))
            else:
                out.overrides.append(c.OverrideRow(code, seq, draw(st.sampled_from(LISTS)), None, None, action, grade, f"理由{seq}"))
        stages[code] = stage
        out.models.append(c.ModelRow(code, "2026.1", stage, base, low, high))
    return out


@st.composite
def snapshots(draw, as_of: date = AS_OF, max_subjects: int = 6, max_facts: int = 24) -> c.Snapshot:
    n_subjects = draw(st.integers(1, max_subjects))
    subjects = [c.SubjectRow(sid, draw(st.sampled_from([*KINDS, "other"])), "220102", "") for sid in range(1, n_subjects + 1)]
    facts, attrs = [], []
    day_deltas = st.one_of(st.sampled_from(AGE_DAYS), st.integers(-5, 1500))
    for record_id in range(1, draw(st.integers(0, max_facts)) + 1):
        decided = as_of - timedelta(days=draw(day_deltas))
        ends = draw(st.one_of(st.none(), st.integers(-3, 3).map(lambda d: as_of + timedelta(days=d))))
        facts.append(c.FactRow(
            record_id, draw(st.integers(1, n_subjects)), draw(st.sampled_from([*ITEMS, "other"])),
            draw(st.sampled_from(LEVELS)), draw(st.sampled_from([None, *SEVERITIES])), decided, ends,
            draw(st.sampled_from(["active", "active", "active", "withdrawn", "repaired"])),
            draw(st.sampled_from(DISCLOSURES)), draw(st.booleans()),
        ))
        if draw(st.booleans()):
            attrs.append(c.AttrRow(record_id, "grade", draw(st.sampled_from(FIELDS["grade"]))))
        for area in draw(st.sets(st.sampled_from(FIELDS["areas"]), max_size=3)):
            attrs.append(c.AttrRow(record_id, "areas", area))
    members = [c.MemberRow(draw(st.integers(1, n_subjects)), draw(st.sampled_from(LISTS))) for _ in range(draw(st.integers(0, 4)))]
    return c.Snapshot(subjects, facts, attrs, members)


def cases(as_of: date = AS_OF):
    return st.tuples(compiled_models(), snapshots(as_of=as_of))


# ----------------------------------------------------------------------------- batching
def merge(cases: list[tuple[c.Compiled, c.Snapshot]]) -> tuple[c.Compiled, c.Snapshot]:
    """Several cases as one: case i's model codes, kinds and list codes get the prefix "c{i}/",
    its subject and record ids the offset i * 1_000_000."""
    out = c.Compiled([], [], [], [], [], [], [], [], [])
    snap = c.Snapshot([], [], [], [])
    for i, (compiled, snapshot) in enumerate(cases):
        p, off = f"c{i}/", i * 1_000_000

        def ns(row, p=p, **extra):
            return replace(row, model=p + row.model, **extra)

        out.models += [ns(r) for r in compiled.models]
        out.kinds += [ns(r, kind=p + r.kind) for r in compiled.kinds]
        out.disclosures += [ns(r) for r in compiled.disclosures]
        out.dimensions += [ns(r) for r in compiled.dimensions]
        out.indicators += [ns(r) for r in compiled.indicators]
        out.decay += [ns(r) for r in compiled.decay]
        out.rules += [ns(r) for r in compiled.rules]
        out.grades += [ns(r) for r in compiled.grades]
        out.overrides += [
            ns(r, list_code=p + r.list_code if r.list_code else None, dep_model=p + r.dep_model if r.dep_model else None)
            for r in compiled.overrides
        ]
        snap.subjects += [replace(s, subject_id=s.subject_id + off, kind=p + s.kind) for s in snapshot.subjects]
        snap.facts += [replace(f, record_id=f.record_id + off, subject_id=f.subject_id + off) for f in snapshot.facts]
        snap.attrs += [replace(a, record_id=a.record_id + off) for a in snapshot.attrs]
        snap.members += [replace(m, subject_id=m.subject_id + off, list_code=p + m.list_code) for m in snapshot.members]
    return out, snap
