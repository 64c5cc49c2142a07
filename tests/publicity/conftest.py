"""Fixtures for the 双公示 pages: decisions sent through the one ingestion pipeline, received on
days the tests choose (a controlled clock), seen on 2026-11-30."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
VIEWED = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(VIEWED)


@pytest.fixture
def receive(ingest, time_machine):
    """Submit rows as if the department sent them on `day` (the reporting deadline is judged on
    the day the platform receives a decision), then come back to the viewing day."""

    def run(rows, *, day: str, **kwargs):
        time_machine.move_to(at(day))
        try:
            batch = ingest(rows, **kwargs)
        finally:
            time_machine.move_to(VIEWED)
        assert batch.accepted == len(rows), (batch.status, batch.message, list(batch.row_errors.values_list("message", flat=True)[:5]))
        return batch

    return run


def licensing_row(code: str, doc: str, decided: str, **over) -> dict:
    row = {
        "行政相对人名称": "长春市某某商贸有限公司",
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": code,
        "法定代表人": "李四",
        "许可机关": "长春市市场监督管理局",
        "许可机关统一社会信用代码": "11220100MB1957950T",
        "行政许可决定文书名称": "食品经营许可决定书",
        "行政许可决定文书号": doc,
        "许可类别": "普通",
        "许可证书名称": "食品经营许可证",
        "许可编号": "JY1220102" + doc[-4:-1].rjust(7, "0"),
        "许可内容": "预包装食品销售",
        "许可决定日期": decided,
        "有效期自": decided,
        "有效期至": "2031-03-01",
        "当前状态": "有效",
        "数据来源单位": "长春市市场监督管理局",
        "数据来源单位统一社会信用代码": "11220100MB1957950T",
    }
    row.update(over)
    return row


def row_of(html: str, needle: str) -> str:
    """The table row (<tr>…</tr>) of a page that contains `needle`."""
    at_ = html.index(needle)
    return html[html.rindex("<tr", 0, at_) : html.index("</tr>", at_)]
