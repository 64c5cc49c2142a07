"""Working-day calendar (工作日历): deadlines such as "within 7 working days" (双公示) or
"20 days" (objections) are computed here and nowhere else.

The data is configuration (catalog/definitions/calendar.yaml), reloaded when the file changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import yaml

from .errors import CatalogError

CALENDAR_FILE = Path(__file__).resolve().parent.parent / "catalog" / "definitions" / "calendar.yaml"


@dataclass(frozen=True)
class WorkCalendar:
    off: frozenset[date]
    work: frozenset[date]
    known_years: frozenset[int]
    version: str

    def is_working_day(self, day: date) -> bool:
        if day in self.work:
            return True
        if day in self.off:
            return False
        return day.weekday() < 5

    def is_known(self, day: date) -> bool:
        return day.year in self.known_years

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start itself not counted): the last day of a
        deadline of n working days counted from `start`."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 if end <= start)."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def _expand(entry, where: str) -> list[date]:
    if isinstance(entry, date):
        return [entry]
    if isinstance(entry, str) and ".." in entry:
        a, b = (date.fromisoformat(x.strip()) for x in entry.split("..", 1))
        if b < a:
            raise CatalogError(f"{where}: 日期区间倒置 {entry}")
        return [a + timedelta(days=i) for i in range((b - a).days + 1)]
    if isinstance(entry, str):
        return [date.fromisoformat(entry)]
    raise CatalogError(f"{where}: 无法识别的日期 {entry!r}")


def load_calendar(path: Path = CALENDAR_FILE) -> WorkCalendar:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    off: set[date] = set()
    work: set[date] = set()
    years: set[int] = set()
    for year, spec in (data.get("years") or {}).items():
        years.add(int(year))
        for entry in spec.get("off", []):
            off.update(_expand(entry, f"{path.name} {year}.off"))
        for entry in spec.get("work", []):
            work.update(_expand(entry, f"{path.name} {year}.work"))
    clash = off & work
    if clash:
        raise CatalogError(f"{path.name}: 同一日期既是休息日又是工作日: {sorted(clash)[0]}")
    return WorkCalendar(frozenset(off), frozenset(work), frozenset(years), str(data.get("version", "")))


@lru_cache(maxsize=1)
def _cached(mtime: float) -> WorkCalendar:
    return load_calendar()


def calendar() -> WorkCalendar:
    return _cached(CALENDAR_FILE.stat().st_mtime)
