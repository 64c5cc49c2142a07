"""The working-day calendar, on the State Council's holiday notices for 2024–2026: "within 7
working days of the decision" (双公示) across National Day, the Spring Festival and New Year,
with their make-up working weekends."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.common.calendar import calendar, load_calendar

SHIPPED = Path(__file__).resolve().parents[2] / "xinyong" / "catalog" / "definitions" / "calendar.yaml"
CAL = load_calendar(SHIPPED)


def d(text: str) -> date:
    return date.fromisoformat(text)


def test_national_day_2026_and_the_make_up_saturday():
    # Mon 09-28 → 09-29, 09-30, [10-01..10-07 off], 10-08, 10-09, Sat 10-10 (worked), [10-11 Sun], 10-12, 10-13
    assert CAL.add_working_days(d("2026-09-28"), 7) == d("2026-10-13")
    assert not CAL.is_working_day(d("2026-10-01")) and not CAL.is_working_day(d("2026-10-07"))
    assert CAL.is_working_day(d("2026-10-10"))  # a Saturday
    assert CAL.is_working_day(d("2026-09-20"))  # a Sunday, worked for National Day


def test_spring_festival_2026_with_two_working_saturdays():
    # Thu 02-12 → 02-13, Sat 02-14 (worked), [02-15..02-23 off], 02-24, 02-25, 02-26, 02-27, Sat 02-28 (worked)
    assert CAL.add_working_days(d("2026-02-12"), 7) == d("2026-02-28")
    assert CAL.is_working_day(d("2026-02-14")) and CAL.is_working_day(d("2026-02-28"))
    assert not any(CAL.is_working_day(d("2026-02-15") + timedelta(days=i)) for i in range(9))
    assert CAL.is_working_day(d("2026-02-24"))


def test_new_year_2026_across_the_turn_of_the_year():
    # Tue 2025-12-30 → 12-31, [01-01..01-03 off], Sun 01-04 (worked), 01-05, 01-06, 01-07, 01-08, 01-09
    assert CAL.add_working_days(d("2025-12-30"), 7) == d("2026-01-09")
    assert not CAL.is_working_day(d("2026-01-02"))  # a Friday, off
    assert CAL.is_working_day(d("2026-01-04"))  # a Sunday, worked


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2024-02-04", True), ("2024-02-09", True), ("2024-02-10", False), ("2024-02-16", False), ("2024-02-18", True),
        ("2024-05-11", True), ("2024-06-10", False), ("2024-09-14", True), ("2024-10-12", True), ("2024-10-07", False),
        ("2025-01-01", False), ("2025-01-26", True), ("2025-02-04", False), ("2025-02-08", True), ("2025-04-04", False),
        ("2025-04-27", True), ("2025-06-02", False), ("2025-09-28", True), ("2025-10-08", False), ("2025-10-11", True),
        ("2026-04-06", False), ("2026-05-05", False), ("2026-05-09", True), ("2026-06-19", False), ("2026-09-25", False),
    ],
)
def test_holidays_and_make_up_days_of_the_notices(day, working):
    assert CAL.is_working_day(d(day)) is working


def test_a_year_not_in_the_file_falls_back_to_monday_to_friday():
    assert CAL.is_known(d("2026-12-31")) and not CAL.is_known(d("2030-01-01"))
    assert CAL.is_working_day(d("2030-01-01"))  # a Tuesday; its holiday is not known yet
    assert not CAL.is_working_day(d("2030-01-05"))  # a Saturday
    assert CAL.add_working_days(d("2030-01-04"), 1) == d("2030-01-07")  # Friday → Monday
    assert CAL.add_working_days(d("2030-01-01"), 7) == d("2030-01-10")


def test_working_days_between():
    assert CAL.working_days_between(d("2026-09-30"), d("2026-10-10")) == 3  # 10-08, 10-09, 10-10
    assert CAL.working_days_between(d("2026-09-28"), d("2026-10-13")) == 7
    assert CAL.working_days_between(d("2026-10-13"), d("2026-10-13")) == 0
    assert CAL.working_days_between(d("2026-10-13"), d("2026-09-28")) == 0
    assert CAL.add_working_days(d("2026-10-03"), 0) == d("2026-10-03")
    with pytest.raises(ValueError):
        CAL.add_working_days(d("2026-10-03"), -1)


DAYS = st.dates(min_value=date(2023, 6, 1), max_value=date(2031, 12, 31))


@given(DAYS, st.integers(min_value=1, max_value=60))
@settings(max_examples=300, deadline=None)
def test_add_working_days_lands_on_a_working_day_strictly_after(start, n):
    end = CAL.add_working_days(start, n)
    assert end > start
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(start, end) == n
    assert CAL.working_days_between(start, end - timedelta(days=1)) == n - 1


@given(DAYS, st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
@settings(max_examples=300, deadline=None)
def test_add_working_days_is_monotonic_in_n(start, a, b):
    lo, hi = sorted((a, b))
    assert CAL.add_working_days(start, lo) <= CAL.add_working_days(start, hi)
    if lo < hi:
        assert CAL.add_working_days(start, lo) < CAL.add_working_days(start, hi)


def test_the_calendar_in_use_follows_the_catalog_directory(tmp_path, settings):
    assert calendar().is_working_day(d("2026-11-30"))  # shipped file: a Monday at work
    folder = tmp_path / "definitions"
    folder.mkdir()
    shutil.copy(SHIPPED, folder / "calendar.yaml")
    text = (folder / "calendar.yaml").read_text(encoding="utf-8")
    (folder / "calendar.yaml").write_text(text.replace("      - 2026-10-01..2026-10-07\n", "      - 2026-10-01..2026-10-07\n      - 2026-11-30\n"), encoding="utf-8")
    settings.XINYONG = {**settings.XINYONG, "CATALOG_DIR": str(folder)}
    assert not calendar().is_working_day(d("2026-11-30"))


def _only(tmp_path, *years: int):
    """A calendar holding these years (New Year's Day off in each), nothing else."""
    body = "".join(f"  {y}:\n    source: test\n    off: [{y}-01-01]\n    work: []\n" for y in years)
    path = tmp_path / "calendar.yaml"
    path.write_text(f"version: test\nyears:\n{body}", encoding="utf-8")
    return load_calendar(path)


def test_a_deadline_in_a_year_without_its_holidays_says_it_was_counted_monday_to_friday(tmp_path):
    cal = _only(tmp_path, 2029)
    assert cal.assumed(d("2029-12-31")) == "" and cal.assumed(None) == ""
    note = cal.assumed(d("2030-01-07"))
    assert "2030年节假日安排尚未载入工作日历" in note and "周一至周五" in note
    assert cal.assumed(d("2030-01-07"), short=True) == "（暂按周一至周五计算）"


def test_the_staff_are_told_from_november_that_next_year_is_missing_and_always_when_this_year_is(tmp_path):
    cal = _only(tmp_path, 2029)
    assert cal.coverage_note(d("2029-10-31")) is None  # deadlines do not reach into 2030 yet
    assert "尚未载入2030年" in cal.coverage_note(d("2029-11-01"))
    assert "缺少2030年" in cal.coverage_note(d("2030-02-01"))
    assert _only(tmp_path, 2029, 2030).coverage_note(d("2029-12-01")) is None


def test_the_system_check_and_the_operations_page_carry_the_warning(tmp_path, monkeypatch, client, platform_admin):
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from xinyong.common import calendar as module

    _only(tmp_path, 2029)
    monkeypatch.setattr(module, "calendar_file", lambda: tmp_path / "calendar.yaml")  # in use: 2029 only
    client.force_login(platform_admin)

    def told(day: str) -> tuple[str, str]:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: d(day))
        out = StringIO()
        call_command("check", stdout=out, stderr=out)
        return out.getvalue(), client.get("/dept/security/").content.decode()

    check, page = told("2029-11-15")
    assert "catalog.W101" in check and "尚未载入2030年" in check
    assert "尚未载入2030年的节假日安排" in page
    check, page = told("2029-06-01")
    assert "catalog.W101" not in check and "节假日安排" not in page


def test_the_system_check_names_a_broken_or_missing_calendar(tmp_path, monkeypatch):
    from xinyong.common import calendar as module

    path = tmp_path / "calendar.yaml"
    monkeypatch.setattr(module, "calendar_file", lambda: path)
    missing = module.check_calendar()
    assert [e.id for e in missing] == ["catalog.E101"] and "无法读取" in missing[0].msg
    path.write_text("years:\n  2029:\n    off: [2029-02-30]\n", encoding="utf-8")
    broken = module.check_calendar()
    assert [e.id for e in broken] == ["catalog.E101"] and "2029-02-30" in broken[0].msg
