"""Scheduled jobs of cases.

`cases.deadlines` — hourly: first moves the deadlines the working-day calendar now puts on
another day (a year's holidays added after they were counted Monday to Friday), then reminds the
assignee of cases whose deadline is near (once per deadline) and escalates to the credit centre
the open cases past their deadline (once). Idempotent: running it twice on a day changes nothing
the second time.
"""

from __future__ import annotations

from datetime import timedelta

from xinyong.common.schedule import scheduled

from . import services


@scheduled("cases.deadlines", every=timedelta(hours=1), title="办件期限提醒与逾期督办")
def deadlines() -> dict:
    day = services.today()
    redated = services.cases_redate(day=day)
    return {"redated": redated, "reminded": services.cases_remind(day=day), "escalated": services.cases_escalate(day=day)}
