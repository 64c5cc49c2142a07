"""`{{ case.due_on|date:"Y-m-d" }}{{ case.due_on|workday_note }}`: beside a deadline counted on
the working-day calendar, the note that it was counted Monday to Friday when its year's holidays
are not in the calendar yet (`common.calendar.WorkCalendar.assumed`); `workday_note:"short"` in a
table cell."""

from __future__ import annotations

from datetime import date

from django import template

from xinyong.common.calendar import calendar

register = template.Library()


@register.filter
def workday_note(day, form: str = "") -> str:
    return calendar().assumed(day, short=form == "short") if isinstance(day, date) else ""
