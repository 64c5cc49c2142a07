"""双公示 decisions are published within 7 working days of the decision (发改办财金〔2018〕790号),
counted on the working-day calendar (calendar.yaml: public holidays and make-up working days).
Scenarios with concrete dates, through the deadline rule and through the whole pipeline with a
controlled day of receipt, as the page shows them."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.catalog.registry import get_catalog
from xinyong.common.calendar import calendar
from xinyong.publicity import selectors
from xinyong.records.models import Record
from xinyong.records.publication import reporting_deadline

from .conftest import licensing_row, row_of


@pytest.mark.parametrize(
    ("decided", "deadline", "why"),
    [
        # National Day 10-01..10-07 off; Saturday 10-10 is a make-up working day:
        # 9-29, 9-30, 10-9, 10-10 (Sat), 10-12, 10-13 → the 7th working day after 9-28 is 10-13
        (date(2026, 9, 28), date(2026, 10, 13), "国庆节与10月10日调休上班"),
        # Spring Festival 2-15..2-23 off; 2-14 (Sat) and 2-28 (Sat) worked
        (date(2026, 2, 12), date(2026, 2, 28), "春节与两个调休上班的周六"),
        (date(2025, 12, 30), date(2026, 1, 9), "元旦跨年"),
        (date(2026, 11, 2), date(2026, 11, 11), "没有节假日的一周半"),
    ],
)
def test_the_reporting_deadline_is_the_seventh_working_day_after_the_decision(decided, deadline, why):
    item = get_catalog().items["penalty.gsj"]
    assert reporting_deadline(item, decided, calendar()) == deadline, why


def test_a_penalty_decided_before_national_day_is_on_time_on_13_october_and_late_on_14_october(receive, penalty_row, client):
    receive([penalty_row(doc="长市监罚〔2026〕928号", 处罚决定日期="2026-09-28")], day="2026-10-13")
    receive([penalty_row(doc="长市监罚〔2026〕929号", 处罚决定日期="2026-09-28")], day="2026-10-14")
    on_time = Record.objects.get(document_no="长市监罚〔2026〕928号")
    late = Record.objects.get(document_no="长市监罚〔2026〕929号")
    assert (on_time.report_deadline, on_time.on_time) == (date(2026, 10, 13), True)
    assert (late.report_deadline, late.on_time) == (date(2026, 10, 13), False)

    page = client.get("/shuanggongshi/").content.decode()
    assert "按时公示" in row_of(page, "长市监罚〔2026〕928号")
    assert "超期公示" in row_of(page, "长市监罚〔2026〕929号")
    assert "2026-10-14公示，时限2026-10-13" in row_of(page, "长市监罚〔2026〕929号")
    detail = client.get(f"/shuanggongshi/{on_time.id}/").content.decode()
    assert "按时公示" in detail and "即2026-10-13前" in detail
    detail = client.get(f"/shuanggongshi/{late.id}/").content.decode()
    assert "超期公示" in detail


def test_a_licence_decided_before_the_spring_festival_is_on_time_on_the_working_saturday_28_february(receive, uscc):
    code = uscc()
    receive([licensing_row(code, "长市监许〔2026〕212号", "2026-02-12")], day="2026-02-28", item="licensing.gsj")
    receive([licensing_row(code, "长市监许〔2026〕213号", "2026-02-12")], day="2026-03-02", item="licensing.gsj")
    on_time = Record.objects.get(document_no="长市监许〔2026〕212号")
    late = Record.objects.get(document_no="长市监许〔2026〕213号")
    assert (on_time.report_deadline, on_time.on_time) == (date(2026, 2, 28), True)
    assert late.on_time is False


def test_the_departments_timeliness_figures(receive, penalty_row, client):
    receive(
        [penalty_row(doc=f"长市监罚〔2026〕{n}号", 处罚决定日期="2026-11-02") for n in range(1, 4)],
        day="2026-11-06",
    )
    receive([penalty_row(doc="长市监罚〔2026〕9号", 处罚决定日期="2026-11-02")], day="2026-11-20")
    receive(
        [penalty_row(doc="南关监罚〔2026〕1号", 处罚决定日期="2026-11-03")],
        day="2026-11-04",
        dept_code="220102-GSJ",
    )
    report = selectors.timeliness(day=date(2026, 11, 30))
    by_dept = {t.department_code: t for t in report.rows}
    assert (by_dept["220100-GSJ"].total, by_dept["220100-GSJ"].on_time, by_dept["220100-GSJ"].percent) == (4, 3, "75.0%")
    assert (by_dept["220102-GSJ"].total, by_dept["220102-GSJ"].on_time) == (1, 1)
    assert (report.total, report.on_time, report.percent) == (5, 4, "80.0%")
    assert report.rows[0].department_code == "220100-GSJ"  # most decisions first

    page = client.get("/shuanggongshi/").content.decode()
    assert "各部门公示时效" in page and "75.0%" in page and "80.0%" in page
    # the figures follow the department filter
    one = client.get("/shuanggongshi/", {"dept": "220102-GSJ"}).content.decode()
    assert "100.0%" in one and "75.0%" not in one
