"""The 双公示 pages: the latest public decisions, newest first, filterable by type, penalty
category, department, region and decision date, paginated; a decision page with its public
fields; bad filter input answered with a clear message, never a 500; hostile text escaped."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.test import override_settings

from xinyong.publicity import selectors
from xinyong.publicity.selectors import DecisionFilters, DecisionQuery, latest_decisions
from xinyong.records.models import Record

from .conftest import licensing_row, row_of


@pytest.fixture
def decisions(ingest, penalty_row, uscc, id_number):
    """Penalties and licences of three departments in two cities, and what the public must not
    see: a minor penalty (not published), a withdrawn one, a penalty on an individual."""
    changchun, jilin = uscc("220102"), uscc("220202")
    ingest([
        penalty_row(doc="长市监罚〔2026〕1号", code=changchun, 处罚决定日期="2026-11-02", 处罚类别="罚款；没收违法所得"),
        penalty_row(doc="长市监罚〔2026〕2号", code=changchun, 处罚决定日期="2026-10-20", 处罚类别="警告", 失信严重程度="轻微"),
        penalty_row(doc="长市监罚〔2026〕3号", code=changchun, 处罚决定日期="2026-09-15", 处罚类别="没收非法财物"),
        penalty_row(doc="长市监罚〔2026〕4号", 行政相对人名称="王小明", 行政相对人类别="自然人", 统一社会信用代码="", 法定代表人="", 证件类型="身份证", 证件号码=id_number(), 处罚决定日期="2026-11-05"),
    ])
    ingest([penalty_row(doc="吉市监罚〔2026〕7号", code=jilin, 行政相对人名称="吉林市江城食品有限公司", 处罚决定日期="2026-11-10")], dept_code="220200-GSJ")
    ingest([penalty_row(doc="长市监罚〔2026〕3号", code=changchun, 处罚决定日期="2026-09-15", 处罚类别="没收非法财物", 撤销原因="行政复议撤销")], mode="withdraw")
    ingest([licensing_row(changchun, "长市监许〔2026〕11号", "2026-11-12")], item="licensing.gsj")
    ingest([licensing_row(jilin, "吉市卫许〔2026〕5号", "2026-08-01", 许可机关="吉林市卫生健康委员会")], item="licensing.wsj", dept_code="220200-WSJ")
    return {"changchun": changchun, "jilin": jilin}


def docs(response) -> list[str]:
    html = response.content.decode()
    return [d for d in ALL_DOCS if d in html]


ALL_DOCS = ["长市监许〔2026〕11号", "吉市监罚〔2026〕7号", "长市监罚〔2026〕4号", "长市监罚〔2026〕1号", "长市监罚〔2026〕2号", "长市监罚〔2026〕3号", "吉市卫许〔2026〕5号"]


def test_the_latest_public_decisions_newest_first(decisions, client):
    response = client.get("/shuanggongshi/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = docs(response)
    # minor (not published) and withdrawn decisions are not shown
    assert "长市监罚〔2026〕2号" not in shown and "长市监罚〔2026〕3号" not in shown
    order = [html.index(d) for d in ["长市监许〔2026〕11号", "吉市监罚〔2026〕7号", "长市监罚〔2026〕4号", "长市监罚〔2026〕1号", "吉市卫许〔2026〕5号"]]
    assert order == sorted(order)
    assert "共 5 条" in html
    row = row_of(html, "长市监罚〔2026〕1号")
    assert "行政处罚" in row and "长春市市场监督管理局" in row and "2026-11-02" in row
    assert f'href="/subjects/{decisions["changchun"]}/"' in row


def test_latest_decisions_feeds_the_home_page(decisions):
    latest = latest_decisions(limit=3)
    assert [r.document_no for r in latest] == ["长市监许〔2026〕11号", "吉市监罚〔2026〕7号", "长市监罚〔2026〕4号"]
    assert [r.document_no for r in latest_decisions(kind="licensing", limit=10)] == ["长市监许〔2026〕11号", "吉市卫许〔2026〕5号"]
    assert latest[0].subject.name and latest[0].department.name  # joined: no query per row


def test_an_individual_is_shown_masked_without_a_link(decisions, client):
    html = client.get("/shuanggongshi/").content.decode()
    row = row_of(html, "长市监罚〔2026〕4号")
    assert "王*明" in row and "王小明" not in html
    assert "/subjects/" not in row
    record = Record.objects.get(document_no="长市监罚〔2026〕4号")
    detail = client.get(f"/shuanggongshi/{record.id}/").content.decode()
    assert "王*明" in detail and "王小明" not in detail
    assert record.subject.id_masked[-4:] not in detail  # no ID number, not even masked


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "licensing"}, ["长市监许〔2026〕11号", "吉市卫许〔2026〕5号"]),
        ({"type": "penalty"}, ["吉市监罚〔2026〕7号", "长市监罚〔2026〕4号", "长市监罚〔2026〕1号"]),
        ({"category": "没收违法所得"}, ["长市监罚〔2026〕1号"]),
        ({"category": "罚款"}, ["吉市监罚〔2026〕7号", "长市监罚〔2026〕4号", "长市监罚〔2026〕1号"]),
        ({"system": "WSJ"}, ["吉市卫许〔2026〕5号"]),
        ({"dept": "220200-GSJ"}, ["吉市监罚〔2026〕7号"]),
        ({"region": "220200"}, ["吉市监罚〔2026〕7号", "吉市卫许〔2026〕5号"]),
        ({"region": "220100", "type": "penalty"}, ["长市监罚〔2026〕4号", "长市监罚〔2026〕1号"]),
        ({"region": "220102"}, []),  # no decision by a 南关区 department
        ({"decided_from": "2026-11-05", "decided_to": "2026-11-10"}, ["吉市监罚〔2026〕7号", "长市监罚〔2026〕4号"]),
    ],
)
def test_filters(decisions, client, params, expected):
    response = client.get("/shuanggongshi/", params)
    assert response.status_code == 200
    assert docs(response) == expected
    if not expected:
        assert "没有符合筛选条件的公示信息" in response.content.decode()


def test_the_department_select_offers_the_chosen_systems_departments(decisions, client):
    html = client.get("/shuanggongshi/", {"system": "GSJ"}).content.decode()
    assert '<option value="220200-GSJ">吉林市市场监督管理局</option>' in html
    assert "220200-WSJ" not in html
    assert "请先选择条线并筛选" in client.get("/shuanggongshi/").content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"dept": "999999-XYZ"}, "未知的部门编码“999999-XYZ”"),
        ({"system": "NOPE"}, "未知的部门条线“NOPE”"),
        ({"region": "110000"}, "未知的地区代码“110000”"),
        ({"type": "fine"}, "未知的类型“fine”"),
        ({"decided_from": "2026-02-30"}, "日期无效"),
        ({"decided_to": "2026-13-01"}, "日期无效"),
        ({"decided_from": "0001-01-01"}, "日期超出可查询的范围"),
        ({"decided_from": "2026-11-10", "decided_to": "2026-11-01"}, "结束日期不能早于开始日期"),
        ({"type": "licensing", "category": "罚款"}, "处罚类别只适用于行政处罚"),
    ],
)
def test_bad_filters_get_a_clear_message(decisions, client, params, message):
    response = client.get("/shuanggongshi/", params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "筛选条件有误" in html
    assert 'role="alert"' in html


@pytest.mark.parametrize(
    ("page", "status", "message"),
    [
        ("abc", 404, "页码应为正整数"),
        ("0", 404, "页码应为正整数"),
        ("-3", 404, "页码应为正整数"),
        ("９", 404, "页码应为正整数"),
        ("99999999999999999999999", 404, "页码应为正整数"),
        ("999999", 404, "第999,999页不存在：共1页"),
    ],
)
def test_bad_page_numbers_get_a_clear_message(decisions, client, page, status, message):
    response = client.get("/shuanggongshi/", {"page": page})
    assert response.status_code == status
    assert message in response.content.decode()


def test_pages_and_the_capped_count(ingest, penalty_row, client):
    ingest([penalty_row(doc=f"长市监罚〔2026〕{n}号", 处罚决定日期=date(2026, 11, 1 + n % 20).isoformat()) for n in range(1, 8)])
    listings = {**settings.XINYONG["LISTINGS"], "PAGE_SIZE": 3, "MAX_RESULTS": 5}
    with override_settings(XINYONG={**settings.XINYONG, "LISTINGS": listings}):
        first = client.get("/shuanggongshi/").content.decode()
        assert "共 5+ 条" in first and 'aria-label="第2页"' in first and 'rel="next"' in first
        second = client.get("/shuanggongshi/", {"page": "2"}).content.decode()
        assert "本页第 4–5 条" in second
        beyond = client.get("/shuanggongshi/", {"page": "3"})
        assert beyond.status_code == 404
        assert "只能翻看前5条结果（2页），请增加筛选条件缩小范围" in beyond.content.decode()
    # every decision appears once across the pages, newest first
    query = DecisionQuery(DecisionFilters(), day=date(2026, 11, 30))
    seen = [r.document_no for off in range(0, 7, 2) for r in query.fetch(off, 2)]
    assert len(seen) == len(set(seen)) == 7
    assert query.count(100) == 7 and query.count(4) == 4


def test_a_decision_page_shows_every_public_field_and_nothing_else(decisions, client):
    record = Record.objects.get(document_no="长市监罚〔2026〕1号")
    response = client.get(f"/shuanggongshi/{record.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ["行政处罚决定书文号", "长市监罚〔2026〕1号", "违法行为类型", "虚假宣传", "处罚依据", "罚款；没收违法所得", "罚款金额（万元）", "处罚机关", "数据来源单位", "2026-11-02", "公示截止"]:
        assert text in html, text
    for hidden in ["来源记录编号", "备注", "_enc"]:
        assert hidden not in html


@pytest.mark.parametrize("which", ["withdrawn", "minor", "not_a_decision", "unknown", "huge"])
def test_a_decision_that_is_not_public_is_not_found(decisions, client, ingest, which):
    if which == "withdrawn":
        pk = Record.objects.get(document_no="长市监罚〔2026〕3号").id
    elif which == "minor":
        pk = Record.objects.get(document_no="长市监罚〔2026〕2号").id
    elif which == "not_a_decision":
        from tests.sanctions.conftest import tax_row

        ingest([tax_row("长春市甲公司", decisions["changchun"], 2025, "A")], item="tax_rating", dept_code="220100-SW")
        pk = Record.objects.get(item_code="tax_rating").id
    elif which == "unknown":
        pk = 987654
    else:
        pk = 10**30
    response = client.get(f"/shuanggongshi/{pk}/")
    assert response.status_code == 404


def test_hostile_text_is_escaped(ingest, penalty_row, client):
    ingest([penalty_row(doc="长市监罚〔2026〕<b>5</b>号", 行政相对人名称="<script>alert(1)</script>有限公司", 违法事实="<img src=x onerror=alert(2)>")])
    html = client.get("/shuanggongshi/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;有限公司" in html
    assert "<b>5</b>" not in html
    record = Record.objects.get(item_code="penalty.gsj")
    detail = client.get(f"/shuanggongshi/{record.id}/").content.decode()
    assert "<img src=x" not in detail and "&lt;img src=x onerror=alert(2)&gt;" in detail
    # and in the filter form: a value sent back is escaped too
    response = client.get("/shuanggongshi/", {"dept": '"><script>alert(3)</script>'})
    assert response.status_code == 400
    assert "<script>alert(3)" not in response.content.decode()


def test_the_penalty_categories_come_from_the_catalog():
    categories = selectors.penalty_categories()
    assert categories[:3] == ["警告", "通报批评", "罚款"]


def test_the_region_filter_names_each_prefecture_as_it_is_called(client, db):
    html = client.get("/shuanggongshi/").content.decode()
    assert "长春市（全市）" in html and "延边朝鲜族自治州（全州）" in html
    assert "长白山保护开发区管理委员会（全区）" in html and "（全市）</option>" not in html.split("延边朝鲜族自治州（")[1][:5]
