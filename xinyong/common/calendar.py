"""Working-day calendar (工作日历): deadlines such as "within 7 working days" (双公示) or
"10 working days" (repair forwarding) are computed here and nowhere else.

The data is configuration (`calendar.yaml` in the catalog directory, `XINYONG["CATALOG_DIR"]`),
reloaded when the file changes. A weekday is a working day unless the file lists it as `off`; a
weekend day is not, unless the file lists it as `work` (调休上班). A year the file does not list
falls back to Monday–Friday; `is_known()` tells the caller so (the deadline may move once the
State Council publishes that year's holidays), `assumed()` is the note shown beside such a
deadline (template filter `workday_note`), and `coverage_note()` warns the staff in time (the
system check catalog.W101 and the security operations page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from .errors import CatalogError
from .yamlconf import load_yaml, where

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
        """True when `day`'s year is in the calendar file (holidays known, not assumed)."""
        return day.year in self.known_years

    def assumed(self, day: date | None, *, short: bool = False) -> str:
        """Beside a deadline: '' when `day`'s year is in the calendar; otherwise the note that
        it was counted Monday to Friday (the year's holidays not loaded yet); `short`: for a
        table cell."""
        if day is None or self.is_known(day):
            return ""
        if short:
            return "（暂按周一至周五计算）"
        return f"（{day.year}年节假日安排尚未载入工作日历，暂按周一至周五计算，可能顺延）"

    def coverage_note(self, today: date) -> str | None:
        """What the staff must be told on `today` about the years the calendar holds: this year
        missing (every deadline counted Monday to Friday), or, from 1 November (the State Council
        publishes next year's holidays in the autumn, and deadlines begin to reach into next
        year), next year missing. None when both are there."""
        if not self.is_known(today):
            return (f"工作日历缺少{today.year}年的节假日安排：本年的办理期限、公示期限均暂按周一至周五计算，"
                    f"可能早于依法应有的期限。请按国务院办公厅的通知在 calendar.yaml 中补充{today.year}年。")
        if today.month >= 11 and not self.is_known(date(today.year + 1, 1, 1)):
            return (f"工作日历尚未载入{today.year + 1}年的节假日安排：跨入{today.year + 1}年的办理期限暂按周一至周五计算，"
                    f"可能早于依法应有的期限。国务院办公厅关于{today.year + 1}年部分节假日安排的通知发布后，请在 calendar.yaml 中补充。")
        return None

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start itself not counted): the last day of a
        deadline of n working days counted from `start`. n = 0 returns `start`."""
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


def _expand(entry, here: str) -> list[date]:
    try:
        if isinstance(entry, date):
            return [entry]
        if isinstance(entry, str) and ".." in entry:
            a, b = (date.fromisoformat(x.strip()) for x in entry.split("..", 1))
            if b < a:
                raise CatalogError(f"{here}: 日期区间倒置 {entry}")
            return [a + timedelta(days=i) for i in range((b - a).days + 1)]
        if isinstance(entry, str):
            return [date.fromisoformat(entry.strip())]
    except ValueError:
        pass
    raise CatalogError(f"{here}: 无法识别的日期 {entry!r}（应写作 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD）")


def load_calendar(path: Path | str = CALENDAR_FILE, *, name: str | None = None) -> WorkCalendar:
    """Load and check a calendar file; errors are CatalogError "file:line: reason"."""
    path = Path(path)
    data = load_yaml(path, name=name)
    label = name or path.name
    if not isinstance(data, dict) or not isinstance(data.get("years"), dict):
        raise CatalogError(f"{label}:1: 工作日历应有 years: {{年份: {{off: [...], work: [...]}}}}")
    off: set[date] = set()
    work: set[date] = set()
    years: set[int] = set()
    for year, spec in data["years"].items():
        here = f"{label}:{data['years'].key_lines.get(year, 0)}"
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise CatalogError(f"{here}: 年份 {year!r} 应为四位数字")
        if not isinstance(spec, dict):
            raise CatalogError(f"{here}: {year} 年应有 off 与 work 两个列表")
        unknown = set(spec) - {"source", "off", "work"}
        if unknown:
            raise CatalogError(f"{here}: {year} 年有未知的键 {sorted(map(str, unknown))}（可用: source, off, work）")
        years.add(year)
        for key, target in (("off", off), ("work", work)):
            entries = spec.get(key) or []
            kw = where(spec, key) if key in spec else here
            if not isinstance(entries, list):
                raise CatalogError(f"{kw}: {year}.{key} 应为日期列表")
            for entry in entries:
                for day in _expand(entry, kw):
                    if abs(day.year - year) > 1:
                        raise CatalogError(f"{kw}: {day.isoformat()} 不属于 {year} 年的节假日安排")
                    if key == "work" and day.weekday() < 5:
                        raise CatalogError(f"{kw}: {day.isoformat()} 是周一至周五，本来就是工作日，不应列入调休上班日")
                    target.add(day)
    clash = off & work
    if clash:
        raise CatalogError(f"{label}:1: 同一日期既是休息日又是工作日: {sorted(clash)[0].isoformat()}")
    return WorkCalendar(frozenset(off), frozenset(work), frozenset(years), str(data.get("version", "")))


def calendar_file() -> Path:
    """The calendar.yaml in use: the one in the configured catalog directory."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return Path(settings.XINYONG["CATALOG_DIR"]) / "calendar.yaml"
    except (ImproperlyConfigured, AttributeError, KeyError):  # plain scripts: the shipped file
        return CALENDAR_FILE


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> WorkCalendar:
    return load_calendar(Path(path))


def calendar() -> WorkCalendar:
    """The working-day calendar; reloaded when the file changes."""
    path = calendar_file()
    return _cached(str(path), path.stat().st_mtime_ns)


def check_calendar(app_configs=None, **kwargs) -> list:
    """System check (start-up: runserver, serve, worker, migrate; `xinyong check`): the calendar
    loads, and holds this year and, from 1 November, next year (`coverage_note`)."""
    from django.core import checks
    from django.utils import timezone

    try:
        note = calendar().coverage_note(timezone.localdate())
    except CatalogError as exc:
        return [checks.Error(f"工作日历有误：{exc.message}", id="catalog.E101")]
    except OSError as exc:
        return [checks.Error(f"工作日历文件无法读取：{calendar_file()}（{exc.strerror or exc}）", id="catalog.E101")]
    return [checks.Warning(note, id="catalog.W101")] if note else []
