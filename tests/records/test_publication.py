"""Publication periods (公示期限), written from the rule text (MISSION.md §13, publication.yaml).

Counting follows the Civil Code (Arts. 201–202): the decision day is not counted; a period of
months or years ends on the corresponding day, or the month's last day when there is none; that
day is the last day of publication. Repair may be asked from the next day after the minimum.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.catalog.registry import Duration, add_months, get_catalog
from xinyong.common.calendar import calendar
from xinyong.records.publication import PeriodError, publication_for, reporting_deadline


def d(text: str) -> date:
    return date.fromisoformat(text)


def values_for(item, **by_role) -> dict:
    """Row values keyed by the item's field names, given by role (decided_on=..., severity=...)."""
    return {item.roles[role]: value for role, value in by_role.items()}


@pytest.fixture
def penalty(catalog):
    item = catalog.items["penalty.gsj"]

    def publish(decided: str, severity: str, **more):
        return publication_for(item, values_for(item, decided_on=d(decided), severity=severity, **more), catalog)

    return publish


# ------------------------------------------------------------------ penalties (Order 36, 2026)
def test_general_penalty_one_year_repair_after_three_months(penalty):
    pub = penalty("2026-05-10", "一般")
    assert pub.publish_from == d("2026-05-10")
    assert pub.publish_until == d("2027-05-10")
    assert pub.repair_from == d("2026-08-11")  # 3 months end on 2026-08-10
    assert pub.rule == "penalty@2026-04-01"
    assert pub.visible_on(d("2027-05-10")) and not pub.visible_on(d("2027-05-11"))


def test_serious_penalty_three_years_repair_after_one_year(penalty):
    pub = penalty("2026-05-10", "严重")
    assert (pub.publish_until, pub.repair_from) == (d("2029-05-10"), d("2027-05-11"))


def test_minor_penalty_is_not_published(penalty):
    pub = penalty("2026-05-10", "轻微")
    assert (pub.publish_from, pub.publish_until, pub.repair_from) == (None, None, None)
    assert not pub.visible_on(d("2026-05-10"))


# ------------------------------------------------------------------ older rule versions
def test_a_penalty_decided_in_2020_uses_the_2019_rule(penalty):
    serious = penalty("2020-03-15", "严重")
    assert serious.rule == "penalty@2019-07-01"
    assert serious.repair_from == d("2020-09-16")  # 527号: serious minimum 6 months
    assert serious.publish_until == d("2023-03-15")
    general = penalty("2020-03-15", "一般")
    assert (general.publish_until, general.repair_from) == (d("2021-03-15"), d("2020-06-16"))  # 3 months – 1 year


def test_the_rule_in_force_on_the_decision_day_applies(penalty):
    assert penalty("2023-04-30", "严重").repair_from == d("2023-10-31")  # 2019 rule: 6 months
    assert penalty("2023-05-01", "严重").repair_from == d("2024-05-02")  # Order 58: 1 year
    assert penalty("2026-03-31", "严重").rule == "penalty@2023-05-01"
    assert penalty("2026-04-01", "严重").rule == "penalty@2026-04-01"


def test_a_decision_older_than_every_rule_falls_under_the_oldest(penalty):
    assert penalty("2018-06-01", "严重").rule == "penalty@2019-07-01"


# ------------------------------------------------------------------ a department's own end date
def test_own_publication_end_inside_the_range_is_kept(penalty):
    assert penalty("2026-05-10", "一般", publication_end=d("2026-12-31")).publish_until == d("2026-12-31")
    assert penalty("2026-05-10", "一般", publication_end=d("2026-08-10")).publish_until == d("2026-08-10")  # the minimum
    assert penalty("2026-05-10", "一般", publication_end=d("2027-05-10")).publish_until == d("2027-05-10")  # the maximum
    # repair still follows the rule's minimum
    assert penalty("2026-05-10", "一般", publication_end=d("2026-12-31")).repair_from == d("2026-08-11")


@pytest.mark.parametrize("end", ["2026-08-09", "2027-05-11", "2029-05-10"])
def test_own_publication_end_outside_the_range_is_refused_naming_the_range(penalty, end):
    with pytest.raises(PeriodError) as exc:
        penalty("2026-05-10", "一般", publication_end=d(end))
    assert "2026-08-10至2027-05-10" in str(exc.value)
    assert "行政处罚信息公示期限" in str(exc.value)


def test_own_end_of_a_serious_penalty(penalty):
    assert penalty("2026-05-10", "严重", publication_end=d("2028-01-01")).publish_until == d("2028-01-01")
    with pytest.raises(PeriodError, match="2027-05-10至2029-05-10"):
        penalty("2026-05-10", "严重", publication_end=d("2027-05-09"))


# ------------------------------------------------------------------ other items
def test_licensing_is_published_while_valid(catalog):
    item = catalog.items["licensing.gsj"]
    pub = publication_for(item, values_for(item, decided_on=d("2026-03-02"), valid_from=d("2026-03-02"), valid_until=d("2031-03-01")), catalog)
    assert (pub.publish_from, pub.publish_until, pub.repair_from) == (d("2026-03-02"), d("2031-03-01"), None)


def test_licensing_valid_long_term_has_no_end(catalog):
    item = catalog.items["licensing.gsj"]
    pub = publication_for(item, values_for(item, decided_on=d("2026-03-02"), valid_until="长期"), catalog)
    assert pub.publish_from == d("2026-03-02") and pub.publish_until is None
    assert pub.visible_on(d("2099-12-31"))


def test_honours_default_to_three_years(catalog):
    item = catalog.items["honour.gsj"]
    assert publication_for(item, values_for(item, decided_on=d("2026-03-01")), catalog).publish_until == d("2029-03-01")
    own = publication_for(item, values_for(item, decided_on=d("2026-03-01"), valid_until=d("2027-12-31")), catalog)
    assert own.publish_until == d("2027-12-31")


def test_dishonest_debtors_two_years_by_default(catalog):
    item = catalog.items["dishonest_debtor"]
    pub = publication_for(item, values_for(item, decided_on=d("2026-01-15")), catalog)
    assert (pub.publish_until, pub.rule) == (d("2028-01-15"), "court_list@2017-05-01")
    # a court that sets the term (extended, or ended on performance) is followed
    assert publication_for(item, values_for(item, decided_on=d("2026-01-15"), valid_until=d("2029-01-15")), catalog).publish_until == d("2029-01-15")


def test_registration_has_no_end(catalog):
    item = catalog.items["registration.gsj"]
    pub = publication_for(item, values_for(item, decided_on=d("2001-06-30")), catalog)
    assert pub.publish_from == d("2001-06-30") and pub.publish_until is None


def test_ratings_default_two_years_and_individual_negative_five(catalog):
    tax = catalog.items["tax_rating"]
    assert publication_for(tax, values_for(tax, decided_on=d("2026-04-30")), catalog).publish_until == d("2028-04-30")
    traffic = catalog.items["traffic_violation"]
    assert publication_for(traffic, values_for(traffic, decided_on=d("2026-04-30")), catalog).publish_until == d("2031-04-30")


# ------------------------------------------------------------------ month ends
def test_end_of_month_periods():
    assert Duration.parse("6M", "-").after(d("2026-08-31")) == d("2027-02-28")
    assert Duration.parse("6M", "-").after(d("2023-08-31")) == d("2024-02-29")  # leap year
    assert Duration.parse("1Y", "-").after(d("2024-02-29")) == d("2025-02-28")
    assert Duration.parse("3M", "-").after(d("2026-11-30")) == d("2027-02-28")
    assert Duration.parse("10D", "-").after(d("2026-12-25")) == d("2027-01-04")


def test_end_of_month_in_a_rule(penalty):
    # 2019 rule, serious: 6 months from 2020-08-31 end on 2021-02-28 (no 31 February)
    assert penalty("2020-08-31", "严重").repair_from == d("2021-03-01")
    # 2026 rule, general: 3 months from 2026-11-30 end on 2027-02-28
    assert penalty("2026-11-30", "一般").repair_from == d("2027-03-01")


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), st.integers(min_value=0, max_value=600))
@settings(max_examples=500, deadline=None)
def test_add_months_is_the_corresponding_day_or_the_month_end(day, months):
    end = add_months(day, months)
    assert (end.year - day.year) * 12 + end.month - day.month == months
    assert end.day == day.day or (end.day < day.day and (end + timedelta(days=1)).day == 1)


@given(st.dates(min_value=date(2019, 7, 1), max_value=date(2035, 12, 31)), st.sampled_from(["一般", "严重"]))
@settings(max_examples=200, deadline=None)
def test_minimum_ends_before_maximum_and_both_after_the_decision(day, severity):
    catalog = get_catalog()
    item = catalog.items["penalty.gsj"]
    pub = publication_for(item, values_for(item, decided_on=day, severity=severity), catalog)
    assert day < pub.repair_from <= pub.publish_until + timedelta(days=1)


# ------------------------------------------------------------------ reporting deadline (双公示: 7 working days)
def test_reporting_deadline_of_shuanggongshi(catalog):
    cal = calendar()
    assert reporting_deadline(catalog.items["penalty.gsj"], d("2026-09-28"), cal) == d("2026-10-13")
    assert reporting_deadline(catalog.items["licensing.hbt"], d("2026-02-12"), cal) == d("2026-02-28")
    assert reporting_deadline(catalog.items["tax_rating"], d("2026-09-28"), cal) is None  # no deadline
