"""Fixtures for the lists: rows of the items the lists derive from, sent through the one
ingestion pipeline as the departments send them, on a clock the tests control."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

TODAY = date(2026, 11, 30)  # a Monday
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _clock(time_machine):
    """Every test of the lists runs on 2026-11-30."""
    time_machine.move_to(NOW)


def org_debtor(name: str, code: str, case_no: str, published: str = "2026-06-01", until: str = "", **over) -> dict:
    row = {
        "失信被执行人名称": name,
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": code,
        "法定代表人或负责人姓名": "王经理",
        "案号": case_no,
        "执行法院": "长春市南关区人民法院",
        "执行依据文号": "（2025）吉0102民初88号",
        "作出执行依据单位": "长春市南关区人民法院",
        "生效法律文书确定的义务": "支付货款及利息",
        "被执行人的履行情况": "全部未履行",
        "失信被执行人行为具体情形": "有履行能力而拒不履行生效法律文书确定义务",
        "发布时间": published,
        "失信期限至": until,
    }
    row.update(over)
    return row


def person_debtor(name: str, id_number: str, case_no: str, published: str = "2026-06-01", until: str = "", **over) -> dict:
    row = org_debtor(name, "", case_no, published, until, **over)
    row.update({"行政相对人类别": "自然人", "证件号码": id_number, "法定代表人或负责人姓名": ""})
    row.pop("统一社会信用代码")
    return row


def tax_row(name: str, code: str, year: int, grade: str, **over) -> dict:
    row = {
        "纳税人名称": name,
        "纳税人识别号": code,
        "评价年度": str(year),
        "纳税信用级别": grade,
        "评定日期": f"{year + 1}-04-20",
        "有效期至": f"{year + 2}-03-31",
        "评定机关": "国家税务总局长春市税务局",
    }
    row.update(over)
    return row


def env_row(name: str, code: str, year: int, grade: str, **over) -> dict:
    row = {
        "企业名称": name,
        "统一社会信用代码": code,
        "评价年度": str(year),
        "环境信用等级": grade,
        "评价日期": f"{year + 1}-06-15",
        "评价机关": "长春市生态环境局",
    }
    row.update(over)
    return row


def ip_row(subject: dict, doc: str, severity: str = "严重", decided: str = "2026-05-20", **over) -> dict:
    row = {
        **subject,
        "侵权类型": "商标",
        "侵权假冒事实": "销售假冒注册商标的商品",
        "决定文书号": doc,
        "处理结果": "没收侵权商品，罚款人民币3万元",
        "决定日期": decided,
        "失信严重程度": severity,
        "处理机关": "长春市知识产权局",
        "处理机关统一社会信用代码": "11220100MB1957950T",
        "数据来源单位": "长春市知识产权局",
        "数据来源单位统一社会信用代码": "11220100MB1957950T",
    }
    row.update(over)
    return row


def misconduct_row(subject: dict, doc: str, decided: str = "2026-04-10", **over) -> dict:
    subject = {("当事人姓名或名称" if k == "行政相对人名称" else k): v for k, v in subject.items() if k != "证件类型"}
    row = {
        **subject,
        "失信行为类型": "抄袭剽窃",
        "失信行为事实": "在项目申报材料中抄袭他人成果",
        "处理决定文号": doc,
        "处理措施": "取消项目申报资格三年",
        "处理决定日期": decided,
        "失信严重程度": "严重",
        "处理单位": "吉林省科学技术厅",
    }
    row.update(over)
    return row


def org(name: str, code: str) -> dict:
    return {"行政相对人名称": name, "行政相对人类别": "法人及非法人组织", "统一社会信用代码": code, "法定代表人": "李四"}


def person(name: str, id_number: str) -> dict:
    return {"行政相对人名称": name, "行政相对人类别": "自然人", "证件类型": "身份证", "证件号码": id_number}


def accepted(batch, n: int = 1):
    assert batch.accepted == n, (batch.status, batch.accepted, batch.rejected, list(batch.row_errors.values_list("message", flat=True)[:5]))
    return batch
