"""The rules of annual reports and the abnormal operations list (definitions/rules.yaml): dates,
working-day windows, terms and the texts of the decisions. Loaded once, checked when loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from xinyong.common.errors import CatalogError
from xinyong.common.yamlconf import load_yaml

RULES_FILE = Path(__file__).resolve().parent / "definitions" / "rules.yaml"


@dataclass(frozen=True)
class Rules:
    version: str
    filing_opens: tuple[int, int]
    filing_deadline: tuple[int, int]
    listing_working_days: int
    serious_after_months: int
    removal_decision_working_days: int
    subject_kinds: tuple[str, ...]
    exempt_statuses: tuple[str, ...]
    first_report_year: int
    listing: dict
    removal: dict
    serious: dict

    def opens(self, year: int) -> date:
        """The first day on which the report of `year` may be filed (in the following year)."""
        return date(year + 1, *self.filing_opens)

    def deadline(self, year: int) -> date:
        """The last day to file the report of `year` on time."""
        return date(year + 1, *self.filing_deadline)

    def listing_day(self, year: int) -> date:
        """The day the listing window for `year` closes: those who have not filed by then are
        listed on it (the deadline + `listing_working_days` working days, common/calendar.py)."""
        from xinyong.common.calendar import calendar

        return calendar().add_working_days(self.deadline(year), self.listing_working_days)

    def due_year(self, day: date) -> int | None:
        """The latest report year whose listing window has closed by `day` (None: none yet since
        `first_report_year`)."""
        year = day.year - 1
        while year >= self.first_report_year and self.listing_day(year) > day:
            year -= 1
        return year if year >= self.first_report_year else None


def _month_day(raw, key: str) -> tuple[int, int]:
    try:
        month, day = (int(x) for x in str(raw).split("-"))
        date(2001, month, day)  # not a leap day: the same date every year
    except ValueError:
        raise CatalogError(f"{RULES_FILE.name}: {key} 应写作 MM-DD，而不是 {raw!r}") from None
    return month, day


def _positive(raw, key: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise CatalogError(f"{RULES_FILE.name}: {key} 应为不小于 1 的整数，而不是 {raw!r}")
    return raw


@lru_cache(maxsize=1)
def rules() -> Rules:
    data = load_yaml(RULES_FILE)
    texts = {}
    for section, keys in (("listing", ("legal_basis", "reason", "measures", "removal_terms", "remedies")), ("removal", ("reason",)),
                          ("serious", ("legal_basis", "reason", "measures", "removal_terms", "remedies"))):
        block = data.get(section) or {}
        missing = [k for k in keys if not str(block.get(k) or "").strip()]
        if missing:
            raise CatalogError(f"{RULES_FILE.name}: {section} 缺少 {', '.join(missing)}")
        texts[section] = {k: str(block[k]).strip() for k in keys}
    opens = _month_day(data.get("filing_opens"), "filing_opens")
    deadline = _month_day(data.get("filing_deadline"), "filing_deadline")
    if deadline < opens:
        raise CatalogError(f"{RULES_FILE.name}: filing_deadline 早于 filing_opens")
    return Rules(
        version=str(data.get("version") or ""),
        filing_opens=opens,
        filing_deadline=deadline,
        listing_working_days=_positive(data.get("listing_working_days"), "listing_working_days"),
        serious_after_months=_positive(data.get("serious_after_months"), "serious_after_months"),
        removal_decision_working_days=_positive(data.get("removal_decision_working_days"), "removal_decision_working_days"),
        subject_kinds=tuple(data.get("subject_kinds") or ("enterprise",)),
        exempt_statuses=tuple(data.get("exempt_statuses") or ()),
        first_report_year=_positive(data.get("first_report_year"), "first_report_year"),
        listing=texts["listing"],
        removal=texts["removal"],
        serious=texts["serious"],
    )
