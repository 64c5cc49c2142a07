"""The reference evaluator: slow, obvious Python that defines what an evaluation means.

The DuckDB SQL and its Spark transpilation must give exactly what this gives (tests compare them
on generated data). It is also what explains a single subject's grade and answers "what would
change it" (`evaluate` on that subject's facts with one record left out).

For each stage in ascending order, for each model of the stage, for each subject whose kind the
model evaluates:

1. **Counted facts.** A fact counts when its status is ``active``, its disclosure class is one
   the model may use, it was decided on or before ``as_of``, and ``ends_on`` is None or on or
   after ``as_of``.
2. **Matching.** A counted fact matches a rule of the model when the item codes are equal, the
   rule's severity is None or equal to the fact's, the rank of the fact's authority level is at
   least the rule's ``min_level``, and the rule's field is None or the fact has an attr with that
   field and value. A fact counts under its matching rule of lowest ``rule_no`` (so under at most
   one indicator per model).
3. **Latest.** For an indicator with ``count_mode == "latest"``, only the subject's newest fact
   under it counts (greatest ``decided_on``, then greatest ``record_id``).
4. **Decay.** ``pct`` is 100 for an indicator that does not decay; otherwise the DecayRow of
   ``(as_of - decided_on).days // 365``, or 0 when there is none. A fact with ``pct == 0`` does
   not contribute. Otherwise its contribution is ``points_milli * pct // 100``.
5. **Totals.** An indicator's total is the sum of its contributions clamped to its bounds; a
   dimension's total is the sum of its indicators' totals clamped to its bounds; the score is
   ``base + sum of dimension totals`` clamped to the model's scale.
6. **Grade.** The raw grade is the one with ``from <= score < to``, or ``score == to`` when
   ``to`` is the model's max.
7. **Overrides.** An override (all rows with one ``seq``) applies when the subject is on its list,
   or its grade under ``dep_model`` is one of the rows' ``dep_grade``. If a ``set`` override
   applies, the grade is that of the applicable ``set`` override with the lowest seq, and that is
   the override_seq. Otherwise the grade is the worst (highest rank) of the raw grade and the
   grades of the applicable ``at_most`` overrides; override_seq is the lowest seq among the
   applicable ``at_most`` overrides of that rank when it is worse than the raw grade, else None.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from .compiled import LEVEL_RANK, Compiled, ContributionRow, Output, ResultRow, Snapshot


def clamp(value: int, low: int | None, high: int | None) -> int:
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def evaluate(compiled: Compiled, snapshot: Snapshot, as_of: date) -> Output:
    subjects_by_kind: dict[str, list] = defaultdict(list)
    for s in snapshot.subjects:
        subjects_by_kind[s.kind].append(s)
    facts_by_subject: dict[int, list] = defaultdict(list)
    for f in snapshot.facts:
        facts_by_subject[f.subject_id].append(f)
    attrs = {(a.record_id, a.field, a.value) for a in snapshot.attrs}
    members = {(m.subject_id, m.list_code) for m in snapshot.members}

    results: list[ResultRow] = []
    contributions: list[ContributionRow] = []
    grade_of: dict[tuple[str, int], str] = {}  # (model, subject) -> grade, for later stages

    for model in sorted(compiled.models, key=lambda m: (m.stage, m.model)):
        code = model.model
        kinds = {k.kind for k in compiled.kinds if k.model == code}
        disclosures = {d.disclosure for d in compiled.disclosures if d.model == code}
        rules = sorted((r for r in compiled.rules if r.model == code), key=lambda r: r.rule_no)
        indicators = {i.indicator: i for i in compiled.indicators if i.model == code}
        dimensions = {d.dimension: d for d in compiled.dimensions if d.model == code}
        decay = {(d.indicator, d.year): d.pct for d in compiled.decay if d.model == code}
        grades = sorted((g for g in compiled.grades if g.model == code), key=lambda g: g.rank)
        rank_of = {g.grade: g.rank for g in grades}
        overrides: dict[int, list] = defaultdict(list)
        for o in compiled.overrides:
            if o.model == code:
                overrides[o.seq].append(o)

        for subject in (s for kind in sorted(kinds) for s in subjects_by_kind.get(kind, ())):
            # 1-2: counted facts and the rule each counts under
            matched: list[tuple] = []  # (fact, rule)
            for fact in facts_by_subject.get(subject.subject_id, ()):
                if fact.status != "active" or fact.disclosure not in disclosures:
                    continue
                if fact.decided_on > as_of or (fact.ends_on is not None and fact.ends_on < as_of):
                    continue
                level = LEVEL_RANK.get(fact.authority_level, 0)
                for rule in rules:
                    if (
                        rule.item_code == fact.item_code
                        and (rule.severity is None or rule.severity == fact.severity)
                        and level >= rule.min_level
                        and (rule.field is None or (fact.record_id, rule.field, rule.value) in attrs)
                    ):
                        matched.append((fact, rule))
                        break
            # 3: latest only, where the indicator says so
            latest: dict[str, tuple] = {}
            for fact, rule in matched:
                if indicators[rule.indicator].count_mode == "latest":
                    best = latest.get(rule.indicator)
                    if best is None or (fact.decided_on, fact.record_id) > (best[0].decided_on, best[0].record_id):
                        latest[rule.indicator] = (fact, rule)
            kept = [(f, r) for f, r in matched if indicators[r.indicator].count_mode == "each"] + list(latest.values())
            # 4: decay
            by_indicator: dict[str, int] = defaultdict(int)
            for fact, rule in kept:
                pct = decay.get((rule.indicator, (as_of - fact.decided_on).days // 365), 0) if indicators[rule.indicator].decays else 100
                if pct == 0:
                    continue
                points = rule.points_milli * pct // 100
                by_indicator[rule.indicator] += points
                contributions.append(ContributionRow(code, subject.subject_id, fact.record_id, rule.indicator, points))
            # 5: totals
            by_dimension: dict[str, int] = defaultdict(int)
            for name, total in by_indicator.items():
                ind = indicators[name]
                by_dimension[ind.dimension] += clamp(total, ind.min_total_milli, ind.max_total_milli)
            score = model.base_milli
            for name, total in by_dimension.items():
                dim = dimensions[name]
                score += clamp(total, dim.min_milli, dim.max_milli)
            score = clamp(score, model.min_milli, model.max_milli)
            # 6: grade
            raw = next(
                g.grade for g in grades
                if g.from_milli <= score and (score < g.to_milli or (score == g.to_milli == model.max_milli))
            )
            # 7: overrides
            applicable = []
            for seq in sorted(overrides):
                rows = overrides[seq]
                first = rows[0]
                if first.list_code is not None:
                    hit = (subject.subject_id, first.list_code) in members
                else:
                    hit = grade_of.get((first.dep_model, subject.subject_id)) in {r.dep_grade for r in rows}
                if hit:
                    applicable.append(first)
            grade, seq_used = raw, None
            sets = [o for o in applicable if o.action == "set"]
            if sets:
                grade, seq_used = sets[0].grade, sets[0].seq
            else:
                caps = [o for o in applicable if o.action == "at_most"]
                worst = max([rank_of[raw], *(rank_of[o.grade] for o in caps)])
                if worst > rank_of[raw]:
                    cap = min((o for o in caps if rank_of[o.grade] == worst), key=lambda o: o.seq)
                    grade, seq_used = cap.grade, cap.seq
            grade_of[(code, subject.subject_id)] = grade
            results.append(ResultRow(code, subject.subject_id, score, raw, grade, seq_used))
    return Output(results=results, contributions=contributions)
