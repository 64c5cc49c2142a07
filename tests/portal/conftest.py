"""Fixtures for the public portal: rows of each kind of information, sent through the one
ingestion pipeline (as departments send them), and a clean rate-limit counter per test."""

from __future__ import annotations

import pytest

AUTHORITY = {"处罚机关": "长春市市场监督管理局", "处罚机关统一社会信用代码": "11220100MB1957950T"}
SOURCE = {"数据来源单位": "长春市市场监督管理局", "数据来源单位统一社会信用代码": "11220100MB1957950T"}


def org(name: str, code: str, legal_rep: str = "张三") -> dict:
    return {"行政相对人名称": name, "行政相对人类别": "法人及非法人组织", "统一社会信用代码": code, "法定代表人": legal_rep}


def person(name: str, id_number: str) -> dict:
    return {"行政相对人名称": name, "行政相对人类别": "自然人", "证件类型": "身份证", "证件号码": id_number}


def registration_row(code: str, **over) -> dict:
    row = {
        "主体名称": "吉林省北辰食品有限公司",
        "统一社会信用代码": code,
        "主体类型": "有限责任公司（自然人投资或控股）",
        "法定代表人": "赵立新",
        "注册资本（万元）": "500",
        "成立日期": "2012-05-18",
        "登记机关": "长春市南关区市场监督管理局",
        "住所": "吉林省长春市南关区人民大街1000号",
        "经营范围": "食品生产；食品销售",
        "登记状态": "存续",
    }
    row.update(over)
    return row


def licensing_row(subject: dict, **over) -> dict:
    row = {
        **subject,
        "许可机关": "长春市市场监督管理局",
        "许可机关统一社会信用代码": "11220100MB1957950T",
        "行政许可决定文书名称": "食品经营许可决定书",
        "行政许可决定文书号": "长市监许〔2026〕11号",
        "许可类别": "普通",
        "许可证书名称": "食品经营许可证",
        "许可编号": "JY12201020000011",
        "许可内容": "预包装食品销售",
        "许可决定日期": "2026-03-02",
        "有效期自": "2026-03-02",
        "有效期至": "2031-03-01",
        "当前状态": "有效",
        **SOURCE,
    }
    row.update(over)
    return row


def penalty(subject: dict, doc: str, **over) -> dict:
    row = {
        **subject,
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


def honour_row(subject: dict, **over) -> dict:
    row = {
        **subject,
        "荣誉名称": "吉林省守合同重信用企业",
        "表彰内容": "连续三年守合同重信用",
        "表彰文号": "吉市监发〔2026〕8号",
        "授予机关": "吉林省市场监督管理厅",
        "认定机关级别": "省级",
        "授予日期": "2026-06-01",
        "有效期至": "2028-05-31",
        **SOURCE,
    }
    row.update(over)
    return row


def commitment_row(subject: dict, serial: str = "000001", **over) -> dict:
    row = {
        **subject,
        "承诺编码": f"22010220260301{serial}",
        "承诺类型": "审批替代型",
        "承诺事由": "食品经营许可告知承诺",
        "承诺内容": "本单位承诺所提交材料真实有效",
        "违诺责任": "承担相应法律责任",
        "承诺日期": "2026-03-01",
        "有效期至": "2029-02-28",
        "履约状态": "履约中",
        "公开类型": "公开",
        "受理单位": "长春市市场监督管理局",
        **SOURCE,
    }
    row.update(over)
    return row


def tax_row(name: str, code: str, **over) -> dict:
    row = {
        "纳税人名称": name,
        "纳税人识别号": code,
        "评价年度": "2025",
        "纳税信用级别": "A",
        "评价得分": "97.50",
        "评定日期": "2026-04-15",
        "有效期至": "2027-04-14",
        "评定机关": "国家税务总局长春市税务局",
    }
    row.update(over)
    return row


def debtor_row(subject_name: str, *, id_number: str | None = None, code: str | None = None, case: str = "（2026）吉0102执123号", **over) -> dict:
    row = {
        "失信被执行人名称": subject_name,
        "行政相对人类别": "自然人" if id_number else "法人及非法人组织",
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
    if id_number:
        row["证件号码"] = id_number
    if code:
        row["统一社会信用代码"] = code
        row["法定代表人或负责人姓名"] = "赵立新"
    row.update(over)
    return row


def enforcement_row(subject_name: str, code: str, case: str = "（2026）吉0102执200号", **over) -> dict:
    row = {
        "被执行人名称": subject_name,
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": code,
        "法定代表人": "赵立新",
        "案号": case,
        "执行法院": "长春市南关区人民法院",
        "立案日期": "2026-08-10",
        "执行标的（元）": "150000",
        "案件状态": "执行中",
    }
    row.update(over)
    return row


def traffic_row(name: str, id_number: str, **over) -> dict:
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
def api_client(db):
    """A client whose /api/v1/ responses are checked against the OpenAPI document."""
    from tests.api.conftest import CheckedClient
    from xinyong.api import api

    return CheckedClient(api.get_openapi_schema())
