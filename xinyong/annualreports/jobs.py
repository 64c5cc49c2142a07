"""Scheduled job of annual reports.

`annual_reports.daily` — once a day: after the listing window of a report year has closed
(30 June + 10 working days, definitions/rules.yaml), list every enterprise that has not filed on
the abnormal operations list (set-based, idempotent); move those listed for 3 years to the
serious violation list through its due process.
"""

from __future__ import annotations

from datetime import timedelta

from xinyong.common.schedule import scheduled

from . import services


@scheduled("annual_reports.daily", every=timedelta(days=1), title="未报年度报告列入经营异常名录")
def annual_reports_daily() -> dict:
    return {"abnormal": services.abnormal_list_missing(), "serious": services.serious_escalate()}
