"""The plan's rules, with concrete dates, on the shipped models: compiled (`compile_models`) and
evaluated by the reference evaluator on hand-built snapshots. The engines are held to the
reference elsewhere (test_engines.py); here the reference is held to the plan.

吉政发〔2014〕40号 §四(八): honours count when recognized at city level or above, dishonesty at
county level or above; weights by the degree of dishonesty; repaired information stops counting.
"""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.catalog.registry import get_catalog
from xinyong.evaluation.compile import compile_models
from xinyong.evaluation.loader import load_models
from xinyong.evaluation.reference import evaluate

from .model_fixtures import SHIPPED, SnapshotBuilder

AS_OF = date(2026, 6, 1)
BASE = 700_000  # the baseline model's base score, in milli-points


@pytest.fixture(scope="module")
def compiled():
    return compile_models(load_models(SHIPPED, get_catalog()))


class Run:
    def __init__(self, compiled, builder: SnapshotBuilder, as_of: date):
        self.output = evaluate(compiled, builder.build(), as_of)
        self.results = {(r.model, r.subject_id): r for r in self.output.results}

    def result(self, subject: int, model: str = "baseline.enterprise"):
        return self.results[(model, subject)]

    def score(self, subject: int, model: str = "baseline.enterprise") -> int:
        return self.result(subject, model).score_milli

    def grade(self, subject: int, model: str = "baseline.enterprise") -> str:
        return self.result(subject, model).grade

    def contributions(self, subject: int, model: str = "baseline.enterprise") -> dict[int, int]:
        return {c.record_id: c.points_milli for c in self.output.contributions if c.model == model and c.subject_id == subject}


def run(compiled, b: SnapshotBuilder, as_of: date = AS_OF) -> Run:
    return Run(compiled, b, as_of)


# ---------------------------------------------------------------- recognition by level
def test_a_county_honour_does_not_count_a_city_one_does(compiled):
    b = SnapshotBuilder()
    county, city, province, national = (b.subject() for _ in range(4))
    r_county = b.record(county, "honour.gsj", date(2026, 1, 10), level="county")
    r_city = b.record(city, "honour.gsj", date(2026, 1, 10), level="city")
    b.record(province, "honour.sw", date(2026, 1, 10), level="province")
    b.record(national, "honour.hbt", date(2026, 1, 10), level="national")
    r = run(compiled, b)
    assert r.score(county) == BASE and r_county not in r.contributions(county)
    assert r.contributions(city) == {r_city: 20_000}
    assert r.score(city) == r.score(province) == r.score(national) == BASE + 20_000


def test_a_county_penalty_counts(compiled):
    b = SnapshotBuilder()
    s = b.subject()
    rid = b.record(s, "penalty.gsj", date(2026, 2, 1), level="county", severity="一般")
    r = run(compiled, b)
    assert r.contributions(s) == {rid: -50_000}
    assert r.score(s) == BASE - 50_000


def test_a_county_enforcement_case_counts_as_a_warning(compiled):
    b = SnapshotBuilder()
    ongoing, finished = b.subject(), b.subject()
    b.record(ongoing, "enforcement", date(2026, 3, 1), level="county", case_status="执行中")
    b.record(finished, "enforcement", date(2026, 3, 1), level="county", case_status="执行完毕")
    r = run(compiled, b)
    assert r.score(ongoing) == BASE - 30_000
    assert r.score(finished) == BASE


# ---------------------------------------------------------------- degree of dishonesty
def test_a_serious_penalty_weighs_more_than_a_general_one(compiled):
    b = SnapshotBuilder()
    serious, general, minor = b.subject(), b.subject(), b.subject()
    b.record(serious, "penalty.syj", date(2026, 2, 1), level="city", severity="严重")
    b.record(general, "penalty.syj", date(2026, 2, 1), level="city", severity="一般")
    b.record(minor, "penalty.syj", date(2026, 2, 1), level="city", severity="轻微")
    r = run(compiled, b)
    assert r.score(serious) == BASE - 150_000 < r.score(general) == BASE - 50_000 < r.score(minor) == BASE - 10_000


def test_caps_bound_what_many_penalties_can_take(compiled):
    """Four serious penalties (-600) are capped at -400 by the indicator; with a serious IP
    infringement the supervision dimension is capped at -450."""
    b = SnapshotBuilder()
    s = b.subject()
    ids = [b.record(s, "penalty.gsj", date(2026, 1, d), level="county", severity="严重") for d in (5, 6, 7, 8)]
    r = run(compiled, b)
    assert r.score(s) == BASE - 400_000
    assert r.contributions(s) == dict.fromkeys(ids, -150_000)  # before the caps: what each record weighs
    b.record(s, "ip_infringement", date(2026, 1, 9), level="city", severity="严重")
    r = run(compiled, b)
    assert r.score(s) == BASE - 450_000 and r.grade(s) == "D"


# ---------------------------------------------------------------- records that stop counting
def test_repaired_withdrawn_and_expired_records_stop_counting(compiled):
    b = SnapshotBuilder()
    active, repaired, withdrawn, expired, last_day = (b.subject() for _ in range(5))
    penalty = {"level": "county", "severity": "严重"}
    b.record(active, "penalty.gsj", date(2026, 1, 5), **penalty)
    b.record(repaired, "penalty.gsj", date(2026, 1, 5), status="repaired", **penalty)
    b.record(withdrawn, "penalty.gsj", date(2026, 1, 5), status="withdrawn", **penalty)
    b.record(expired, "penalty.gsj", date(2025, 1, 5), ends_on=date(2026, 5, 31), **penalty)
    b.record(last_day, "penalty.gsj", date(2025, 1, 5), ends_on=date(2026, 6, 1), **penalty)
    r = run(compiled, b)
    assert r.score(active) == BASE - 150_000
    assert r.score(repaired) == r.score(withdrawn) == r.score(expired) == BASE
    assert r.contributions(repaired) == r.contributions(withdrawn) == r.contributions(expired) == {}
    # the publication period ends on 2026-06-01: that day it still counts (at 60%: year 1)
    assert r.score(last_day) == BASE - 90_000
    # a day earlier the expired one still counted
    assert run(compiled, b, date(2026, 5, 31)).score(expired) == BASE - 90_000


def test_a_dishonest_debtor_removed_from_the_list_no_longer_counts(compiled):
    b = SnapshotBuilder()
    s = b.subject()
    b.record(s, "dishonest_debtor", date(2025, 9, 1), level="county", ends_on=date(2026, 3, 1), performance="全部未履行")
    assert run(compiled, b, date(2026, 2, 1)).score(s) == BASE - 300_000
    assert run(compiled, b, date(2026, 3, 2)).score(s) == BASE


def test_a_record_decided_after_the_evaluation_date_does_not_count(compiled):
    b = SnapshotBuilder()
    s = b.subject()
    b.record(s, "penalty.gsj", date(2026, 6, 2), level="county", severity="严重")
    assert run(compiled, b).score(s) == BASE


# ---------------------------------------------------------------- decay by year of age
@pytest.mark.parametrize(
    ("as_of", "points"),
    [
        (date(2025, 3, 1), -50_000),  # decided that day: year 0, 100%
        (date(2026, 2, 28), -50_000),  # 364 days: still year 0
        (date(2026, 3, 1), -30_000),  # 365 days: year 1, 60%
        (date(2027, 2, 28), -30_000),  # 729 days
        (date(2027, 3, 1), -15_000),  # 730 days: year 2, 30%
        (date(2028, 2, 28), -15_000),  # 1094 days
        (date(2028, 2, 29), 0),  # 1095 days: year 3, no longer counts
    ],
)
def test_a_penalty_decays_by_year_of_age(compiled, as_of, points):
    b = SnapshotBuilder()
    s = b.subject()
    rid = b.record(s, "penalty.gsj", date(2025, 3, 1), level="county", severity="一般")
    r = run(compiled, b, as_of)
    assert r.score(s) == BASE + points
    assert r.contributions(s) == ({rid: points} if points else {})


def test_honours_fade_after_two_years(compiled):
    b = SnapshotBuilder()
    s = b.subject()
    b.record(s, "honour.gsj", date(2023, 6, 1), level="city")
    assert run(compiled, b, date(2024, 6, 1)).score(s) == BASE + 20_000  # 366 days (2024 is a leap year): year 1, 100%
    assert run(compiled, b, date(2025, 5, 30)).score(s) == BASE + 20_000  # 729 days: year 1
    # ages are counted in 365-day years: after a leap day, year 2 starts the day before the anniversary
    assert run(compiled, b, date(2025, 5, 31)).score(s) == BASE + 10_000  # 730 days: year 2, 50%
    assert run(compiled, b, date(2026, 5, 30)).score(s) == BASE + 10_000  # 1094 days: year 2
    assert run(compiled, b, date(2026, 5, 31)).score(s) == BASE  # 1095 days: year 3, no longer counts


# ---------------------------------------------------------------- latest rating
def test_the_latest_rating_wins(compiled):
    b = SnapshotBuilder()
    s, only_a = b.subject(), b.subject()
    older = b.record(s, "tax_rating", date(2024, 4, 1), level="province", disclosure="authorized", grade="A")
    newer = b.record(s, "tax_rating", date(2025, 4, 1), level="province", disclosure="authorized", grade="C")
    b.record(only_a, "tax_rating", date(2024, 4, 1), level="province", disclosure="authorized", grade="A")
    r = run(compiled, b)
    assert r.contributions(s) == {newer: -40_000} and older not in r.contributions(s)
    assert r.score(s) == BASE - 40_000 and r.score(only_a) == BASE + 40_000
    # before the 2025 rating was decided, the 2024 one was the latest
    assert run(compiled, b, date(2025, 3, 31)).score(s) == BASE + 40_000


def test_between_two_ratings_of_one_day_the_later_record_wins(compiled):
    b = SnapshotBuilder()
    s = b.subject()
    b.record(s, "stats_rating", date(2025, 7, 1), level="city", grade="D")
    corrected = b.record(s, "stats_rating", date(2025, 7, 1), level="city", grade="B")
    assert run(compiled, b).contributions(s) == {corrected: 5_000}


def test_a_neutral_latest_rating_replaces_a_good_one(compiled):
    """An M tax rating is worth 0 points, yet it is the latest: the earlier A no longer counts."""
    b = SnapshotBuilder()
    s = b.subject()
    b.record(s, "tax_rating", date(2024, 4, 1), level="province", disclosure="authorized", grade="A")
    m = b.record(s, "tax_rating", date(2025, 4, 1), level="province", disclosure="authorized", grade="M")
    r = run(compiled, b)
    assert r.score(s) == BASE and r.contributions(s) == {m: 0}


# ---------------------------------------------------------------- who is evaluated, on what
def test_each_model_evaluates_its_own_subject_kinds(compiled):
    b = SnapshotBuilder()
    firm, shop, person, association, agency = (
        b.subject(kind) for kind in ("enterprise", "individual_business", "individual", "social_organization", "credit_service_agency")
    )
    r = run(compiled, b)
    models_of = {}
    for model, subject in r.results:
        models_of.setdefault(subject, set()).add(model)
    assert models_of[firm] == {"baseline.enterprise", "environmental", "statistics"}
    assert models_of[shop] == {"baseline.enterprise"}
    assert models_of[person] == {"research_integrity"}
    assert models_of[association] == {"social_organization"}
    # an agency, instead of the baseline, by its own stricter model; the sector models grade it
    # as the firm it is
    assert models_of[agency] == {"credit_service_agency", "environmental", "statistics"}
    # no information is not bad information
    assert (r.grade(firm), r.grade(firm, "environmental"), r.grade(person, "research_integrity")) == ("B", "环保良好企业", "A")


def test_internal_records_are_not_used(compiled):
    b = SnapshotBuilder()
    public, internal = b.subject(), b.subject()
    b.record(public, "commitment.gsj", date(2026, 1, 1), level="county", fulfilment="全部履约")
    b.record(internal, "commitment.gsj", date(2026, 1, 1), level="county", disclosure="internal", fulfilment="全部履约")
    r = run(compiled, b)
    assert r.score(public) == BASE + 5_000 and r.score(internal) == BASE


def test_a_kept_commitment_earns_a_broken_one_costs(compiled):
    b = SnapshotBuilder()
    s = b.subject()
    kept = b.record(s, "commitment.swt", date(2026, 1, 1), level="county", fulfilment="全部履约")
    broken = b.record(s, "commitment.swt", date(2026, 2, 1), level="county", fulfilment="未履约")
    b.record(s, "commitment.swt", date(2026, 3, 1), level="county", fulfilment="履约中")  # counts under neither
    r = run(compiled, b)
    assert r.contributions(s) == {kept: 5_000, broken: -40_000}
    assert r.output.contributions and {c.indicator for c in r.output.contributions if c.subject_id == s} == {"commitments_kept", "commitments_broken"}


# ---------------------------------------------------------------- overrides
def test_a_dishonest_debtor_is_d_whatever_the_score(compiled):
    b = SnapshotBuilder()
    s = b.subject()
    b.on_list(s, "dishonest_debtors")
    result = run(compiled, b).result(s)
    assert (result.score_milli, result.raw_grade, result.grade, result.override_seq) == (BASE, "B", "D", 1)


def _a_grade_subject(b: SnapshotBuilder) -> int:
    """850 points: five city honours (+100, the cap), an A tax rating (+40), two licences (+10)."""
    s = b.subject()
    for day in range(1, 6):
        b.record(s, "honour.gsj", date(2026, 1, day), level="city")
    b.record(s, "tax_rating", date(2025, 4, 1), level="province", disclosure="authorized", grade="A")
    for item in ("licensing.gsj", "licensing.syj"):
        b.record(s, item, date(2026, 2, 1), level="county", fields={"status": "有效"})
    return s


def test_an_environmentally_bad_enterprise_is_at_most_c(compiled):
    b = SnapshotBuilder()
    good = _a_grade_subject(b)
    red = _a_grade_subject(b)
    b.on_list(red, "env_bad")
    bad_anyway = b.subject()
    b.on_list(bad_anyway, "env_bad")
    for day in (1, 2, 3):
        b.record(bad_anyway, "penalty.gsj", date(2026, 1, day), level="county", severity="严重")
    r = run(compiled, b)
    assert (r.score(good), r.grade(good), r.result(good).override_seq) == (850_000, "A", None)
    env = r.result(red, "environmental")
    assert (env.raw_grade, env.grade, env.override_seq) == ("环保良好企业", "环保不良企业", 1)
    red_result = r.result(red)
    assert (red_result.raw_grade, red_result.grade, red_result.override_seq) == ("A", "C", 3)
    # a cap does not improve a worse grade, and is then not what decided it
    worse = r.result(bad_anyway)
    assert (worse.raw_grade, worse.grade, worse.override_seq) == ("D", "D", None)


def test_a_set_override_beats_a_cap(compiled):
    b = SnapshotBuilder()
    s = _a_grade_subject(b)
    b.on_list(s, "env_bad")
    b.on_list(s, "serious_violation")
    result = run(compiled, b).result(s)
    assert (result.grade, result.override_seq) == ("D", 2)


def test_research_misconduct_keeps_a_researcher_below_a(compiled):
    b = SnapshotBuilder()
    honoured, minor, serious = (b.subject("individual") for _ in range(3))
    for s in (honoured, minor):
        b.record(s, "honour.kjt", date(2026, 1, 1), level="city")
        b.record(s, "honour.jyt", date(2026, 1, 2), level="province")
    b.record(minor, "research_misconduct", date(2025, 12, 1), level="county", severity="轻微", disclosure="authorized")
    b.on_list(minor, "research_misconduct")
    b.record(serious, "research_misconduct", date(2025, 12, 1), level="county", severity="严重", disclosure="authorized")
    b.on_list(serious, "research_misconduct")
    r = run(compiled, b)
    model = "research_integrity"
    assert (r.score(honoured, model), r.grade(honoured, model)) == (100_000, "A")
    minor_result = r.result(minor, model)
    assert (minor_result.score_milli, minor_result.raw_grade, minor_result.grade, minor_result.override_seq) == (90_000, "A", "B", 1)
    assert (r.score(serious, model), r.grade(serious, model)) == (30_000, "C")


# ---------------------------------------------------------------- grade thresholds
def test_the_baseline_grade_edges(compiled):
    b = SnapshotBuilder()
    a_edge = b.subject()  # exactly 750: an A tax rating (+40), two valid licences (+10)
    b.record(a_edge, "tax_rating", date(2025, 4, 1), level="province", disclosure="authorized", grade="A")
    for item in ("licensing.gsj", "licensing.syj"):
        b.record(a_edge, item, date(2026, 2, 1), level="county", fields={"status": "有效"})
    below = b.subject()  # 745
    b.record(below, "tax_rating", date(2025, 4, 1), level="province", disclosure="authorized", grade="A")
    b.record(below, "licensing.gsj", date(2026, 2, 1), level="county", fields={"status": "有效"})
    clean = b.subject()  # 700, the base
    b_edge = b.subject()  # exactly 650: one general penalty keeps B
    b.record(b_edge, "penalty.gsj", date(2026, 1, 5), level="county", severity="一般")
    c_top = b.subject()  # 640
    b.record(c_top, "penalty.gsj", date(2026, 1, 5), level="county", severity="一般")
    b.record(c_top, "penalty.gsj", date(2026, 1, 6), level="county", severity="轻微")
    c_edge = b.subject()  # exactly 500
    b.record(c_edge, "penalty.gsj", date(2026, 1, 5), level="county", severity="严重")
    b.record(c_edge, "penalty.gsj", date(2026, 1, 6), level="county", severity="一般")
    d_side = b.subject()  # 490
    for day, severity in ((5, "严重"), (6, "一般"), (7, "轻微")):
        b.record(d_side, "penalty.gsj", date(2026, 1, day), level="county", severity=severity)
    r = run(compiled, b)
    assert [(r.score(s), r.grade(s)) for s in (a_edge, below, clean, b_edge, c_top, c_edge, d_side)] == [
        (750_000, "A"), (745_000, "B"), (700_000, "B"), (650_000, "B"), (640_000, "C"), (500_000, "C"), (490_000, "D"),
    ]


def test_the_environmental_grade_edges(compiled):
    b = SnapshotBuilder()
    top, ninety, seventy_five, seventy_four = (b.subject() for _ in range(4))
    # 80 + 15 + 10 = 105, clamped to the scale's 100: the top grade includes its upper bound
    b.record(top, "env_rating", date(2025, 6, 1), level="city", grade="环保诚信企业")
    b.record(top, "honour.hbt", date(2026, 1, 1), level="city")
    b.record(top, "honour.hbt", date(2026, 1, 2), level="city")
    b.record(ninety, "env_rating", date(2025, 6, 1), level="city", grade="环保良好企业")
    b.record(ninety, "honour.hbt", date(2026, 1, 1), level="province")
    b.record(seventy_five, "commitment.hbt", date(2026, 1, 1), level="county", fulfilment="部分履约")
    b.record(seventy_four, "penalty.hbt", date(2026, 1, 1), level="county", severity="轻微")
    b.record(seventy_four, "penalty.hbt", date(2026, 1, 2), level="county", severity="轻微")
    r = run(compiled, b)
    model = "environmental"
    assert [(r.score(s, model), r.grade(s, model)) for s in (top, ninety, seventy_five, seventy_four)] == [
        (100_000, "环保诚信企业"), (90_000, "环保诚信企业"), (75_000, "环保良好企业"), (74_000, "环保警示企业"),
    ]
