"""Publication periods (公示期限) and reporting deadlines, from the catalog's versioned rules.

Which rule: the rule set named by the item (`publication:`), in the version in force on the
record's `select_by` date (the decision date); a decision older than every version falls under
the oldest one. Rule sets with `by` (penalties: `severity`) pick the period by that field.

How periods are counted: as the Civil Code counts periods (民法典 第二百零一条、第二百零二条).
Art. 201: the day of the decision is not counted, the period starts the next day. Art. 202: a
period of months or years ends on the corresponding day of the last month; when that month has
no such day, on its last day. That day is the last day of publication. So a general penalty
decided on 2026-05-10 (1 year at most) is published up to and including 2027-05-10, and one
decided on 2026-08-31 with a 6-month minimum has its minimum end on 2027-02-28.

Art. 203 (a last day that falls on a public holiday moves to the next working day) is not
applied: it protects a party who must act by a deadline, while the end of publication is the
platform stopping an act of its own, and moving the minimum end would only delay the subject's
right to ask for repair.
Deadlines that the rules give in working days (双公示 within 7 working days) are counted on the
working-day calendar instead (common/calendar.py).

Repair (信用修复) may be asked from the day after the minimum period ends (Order 36: "最短公示期
届满后"). A department may give its own end date (公示截止期); it is kept when it lies within
[minimum end, maximum end] and refused otherwise (PeriodError, the range in the message).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from xinyong.catalog.registry import Catalog, Item
from xinyong.common.calendar import WorkCalendar

AUTHORITY_LEVELS = {"国家级": "national", "省级": "province", "市级": "city", "县级": "county"}


class PeriodError(ValueError):
    """The record's own publication end date breaks the rules; message is Chinese."""


@dataclass(frozen=True)
class Publication:
    publish_from: date | None  # None: not published at all (e.g. a minor penalty)
    publish_until: date | None  # None: no end date
    repair_from: date | None
    rule: str

    def visible_on(self, day: date) -> bool:
        return self.publish_from is not None and self.publish_from <= day and (self.publish_until is None or day <= self.publish_until)


def publication_for(item: Item, values: dict, catalog: Catalog) -> Publication:
    roles = item.roles
    rule_set = catalog.rule_sets[item.publication]
    start = values.get(roles.get(rule_set.start_role, ""))
    if not isinstance(start, date):
        start = values[roles["decided_on"]]
    version = rule_set.version_for(values.get(roles.get(rule_set.select_by, ""), start) or start)
    label = f"{rule_set.code}@{version.effective_from.isoformat()}"
    if rule_set.by:
        period = version.periods.get(values.get(roles[rule_set.by]), version.default)
    else:
        period = version.default
    if not period.publish:
        return Publication(None, None, None, label)
    min_end = period.min.after(start) if period.min else None
    max_end = period.max.after(start) if period.max else None
    until = None
    own_end = values.get(roles["publication_end"]) if "publication_end" in roles else None
    if isinstance(own_end, date):
        if (min_end and own_end < min_end) or (max_end and own_end > max_end):
            lo = min_end.isoformat() if min_end else start.isoformat()
            hi = max_end.isoformat() if max_end else "不限"
            raise PeriodError(f"公示截止期应在{lo}至{hi}之间（{rule_set.title}，{version.basis}）")
        until = own_end
    elif version.until_field:
        field_value = values.get(roles.get(version.until_field, version.until_field))
        if isinstance(field_value, date):
            until = field_value
            if max_end and until > max_end and rule_set.by:
                until = max_end
        else:
            until = max_end
    else:
        until = max_end
    repair_from = (min_end + timedelta(days=1)) if min_end else None
    return Publication(start, until, repair_from, label)


def reporting_deadline(item: Item, decided_on: date, calendar: WorkCalendar) -> date | None:
    if not item.reporting_deadline_days:
        return None
    return calendar.add_working_days(decided_on, item.reporting_deadline_days)


def disclosure_for(item: Item, values: dict) -> str:
    roles = item.roles
    if "disclosure" in roles:
        f = item.field_map[roles["disclosure"]]
        chosen = dict(f.map).get(values.get(f.name))
        if chosen:
            return chosen
    for rule in item.disclosure_rules:
        if all(str(values.get(k)) in allowed for k, allowed in rule.when):
            return rule.disclosure
    return item.disclosure


def authority_level_for(item: Item, values: dict, department_level: str) -> str:
    roles = item.roles
    if "authority_level" in roles:
        level = AUTHORITY_LEVELS.get(values.get(roles["authority_level"]))
        if level:
            return level
    return department_level
