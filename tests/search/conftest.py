"""Fixtures for the portal's search: subjects sent through the one ingestion pipeline (as
departments send them), the index kept by its own job, and a clean rate-limit counter per test."""

from __future__ import annotations

import pytest

AUTHORITY = {"处罚机关": "长春市市场监督管理局", "处罚机关统一社会信用代码": "11220100MB1957950T"}
SOURCE = {"数据来源单位": "长春市市场监督管理局", "数据来源单位统一社会信用代码": "11220100MB1957950T"}


def registration(name: str, code: str, **over) -> dict:
    row = {
        "主体名称": name,
        "统一社会信用代码": code,
        "主体类型": "有限责任公司（自然人投资或控股）",
        "法定代表人": "赵立新",
        "注册资本（万元）": "500",
        "成立日期": "2012-05-18",
        "登记机关": "长春市南关区市场监督管理局",
        "住所": "吉林省长春市南关区人民大街1000号",
        "登记状态": "存续",
    }
    row.update(over)
    return row


def penalty(name: str, code: str, doc: str, **over) -> dict:
    row = {
        "行政相对人名称": name,
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": code,
        "法定代表人": "张三",
        "行政处罚决定书文号": doc,
        "违法行为类型": "虚假宣传",
        "违法事实": "当事人在其网站发布虚假广告",
        "处罚依据": "《中华人民共和国广告法》第五十五条",
        "处罚类别": "罚款",
        "处罚内容": "罚款人民币2万元",
        "罚款金额（万元）": "2",
        "处罚决定日期": "2026-11-02",
        "失信严重程度": "一般",
        **AUTHORITY,
        **SOURCE,
    }
    row.update(over)
    return row


def debtor(name: str, id_number: str, case: str = "（2026）吉0102执123号", **over) -> dict:
    row = {
        "失信被执行人名称": name,
        "行政相对人类别": "自然人",
        "证件号码": id_number,
        "案号": case,
        "执行法院": "长春市南关区人民法院",
        "执行依据文号": "（2025）吉0102民初456号",
        "作出执行依据单位": "长春市南关区人民法院",
        "生效法律文书确定的义务": "偿还借款本金及利息",
        "被执行人的履行情况": "全部未履行",
        "失信被执行人行为具体情形": "有履行能力而拒不履行生效法律文书确定义务",
        "发布时间": "2026-09-01",
        "失信期限至": "2028-08-31",
    }
    row.update(over)
    return row


def traffic(name: str, id_number: str, **over) -> dict:
    row = {
        "姓名": name,
        "公民身份号码": id_number,
        "决定书编号": "2201021000123456",
        "违法日期": "2026-10-01",
        "违法地点": "长春市人民大街与解放大路交汇处",
        "违法行为代码": "1625",
        "违法行为": "驾驶机动车违反道路交通信号灯通行",
        "记分": "6",
        "罚款金额（元）": "200",
        "处理日期": "2026-10-08",
        "处理机关": "长春市公安局交通警察支队",
    }
    row.update(over)
    return row


@pytest.fixture
def orgs(send, uscc):
    """orgs("name", ...) → their USCCs: registered by the market regulator, one batch."""

    def make(*names: str, region: str = "220102") -> list[str]:
        codes = [uscc(region) for _ in names]
        send("registration.gsj", [registration(n, c) for n, c in zip(names, codes, strict=True)], "220100-GSJ")
        return codes

    return make


@pytest.fixture
def update_index(db):
    """Run the index's scheduled job as the worker does (the first run rebuilds)."""
    from xinyong.search.jobs import update_index

    def run(**kw):
        return update_index(**kw)

    return run
