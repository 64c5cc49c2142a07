"""The search page /search/ and GET /api/v1/search: usable without JavaScript and accessible,
hostile input shown as text, pagination links, the API in its OpenAPI document with its error
codes documented, and a client walking through thousands of searches throttled."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client

from tests.api.conftest import CheckedClient, assert_error_shape
from xinyong.api import api
from xinyong.demo.codes import spoil_check_digit

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def get(q=None, **params):
    if q is not None:
        params["q"] = q
    return Client().get("/search/", params)


def test_the_empty_page_is_a_labelled_search_form_with_a_hint(db):
    response = get()
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form class="search-form" role="search" method="get" action="/search/">' in html
    assert '<label for="q">' in html and 'id="q" name="q"' in html and 'aria-describedby="q-help"' in html
    assert "怎样查询" in html and "任意连续的两个字" in html
    assert html.index("<h1>") < html.index("<h2")


def test_results_are_a_list_with_headings_and_links_to_credit_files(orgs, update_index):
    [code] = orgs("通化市北辰食品有限公司")
    update_index()
    html = get("北辰").content.decode()
    assert '<ol class="search-results" start="1">' in html
    assert f'<h3><a href="/subjects/{code}/">通化市<mark>北辰</mark>食品有限公司</a></h3>' in html
    assert "统一社会信用代码" in html and code in html and "企业" in html and "存续" in html
    assert "共找到 <strong>1</strong> 条" in html
    assert "<title>“北辰”的查询结果 · 信用吉林</title>" in html


def test_bad_input_on_the_page(orgs, update_index):
    [code] = orgs("吉林省北辰食品有限公司")
    update_index()
    one = get("北").content.decode()
    assert "请至少输入两个字" in one and 'role="alert"' in one
    long = get("北" * 1000)
    assert long.status_code == 200
    html = long.content.decode()
    assert "查询内容过长（1,000个字符），最多60个字" in html and "北" * 61 not in html
    wrong = get(spoil_check_digit(code)).content.decode()
    assert "统一社会信用代码校验位错误" in wrong
    assert f'您要找的是不是：<a href="/subjects/{code}/">吉林省北辰食品有限公司</a>' in wrong
    assert "没有找到与“'; DROP TABLE search_searchentry; --”相符" not in get("'; DROP TABLE search_searchentry; --").content.decode()
    assert "&#x27;; DROP TABLE search_searchentry; --" in get("'; DROP TABLE search_searchentry; --").content.decode()
    assert get("北辰").status_code == 200  # the table is still there


def test_html_in_the_query_or_in_a_name_is_shown_as_text(orgs, update_index):
    orgs("长春市<script>alert(1)</script>商贸有限公司")
    update_index()
    html = get("<script>alert(1)</script>").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert "商贸有限公司" in html  # found, escaped


def test_pagination_links_keep_the_query_and_are_labelled(orgs, settings, update_index):
    orgs(*[f"吉林省华信{n}号商贸有限公司" for n in "一二三四五六七"])
    update_index()
    settings.XINYONG = {**settings.XINYONG, "SEARCH": {**settings.XINYONG["SEARCH"], "PAGE_SIZE": 3}}
    html = get("华信", page=2).content.decode()
    assert '<nav class="pagination" aria-label="查询结果分页">' in html
    assert 'href="?q=%E5%8D%8E%E4%BF%A1&amp;page=1" rel="prev"' in html
    assert 'href="?q=%E5%8D%8E%E4%BF%A1&amp;page=3" rel="next"' in html
    assert 'aria-current="page" aria-label="第 2 页，当前页"' in html
    assert '<ol class="search-results" start="4">' in html
    assert get("华信", page="abc").status_code == 200 and get("华信", page="-5").status_code == 200


def test_a_client_walking_through_searches_is_throttled(orgs, settings, update_index):
    orgs("吉林省北辰食品有限公司")
    update_index()
    settings.XINYONG = {**settings.XINYONG, "RATE_LIMITS": {**settings.XINYONG["RATE_LIMITS"], "search": "5/m"}}
    client = Client()
    statuses = [client.get("/search/", {"q": f"北辰{i}"}).status_code for i in range(5)]
    assert statuses == [200] * 5
    refused = client.get("/search/", {"q": "北辰"})
    assert refused.status_code == 429 and "访问过于频繁" in refused.content.decode() and refused["Retry-After"]
    api_refused = client.get("/api/v1/search", {"q": "北辰"})  # the same client, the same scope
    assert_error_shape(api_refused, 429, "rate_limited")
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get("/search/", {"q": "北辰"}).status_code == 200


# ---------------------------------------------------------------------------- API
def test_the_api_answers_like_the_page(orgs, send, update_index):
    [code] = orgs("通化市北辰食品有限公司")
    update_index()
    client = CheckedClient(api.get_openapi_schema())
    body = client.get("/api/v1/search", {"q": "北辰"}).json()
    assert (body["total"], body["more"], body["page"], body["pages"], body["mode"]) == (1, False, 1, 1, "name")
    [hit] = body["results"]
    assert hit == {
        "name": "通化市北辰食品有限公司", "kind": "enterprise", "kind_label": "企业", "code": code, "code_label": "统一社会信用代码",
        "region": "220102", "region_name": "长春市南关区", "status": "存续", "former_names": [], "url": f"/subjects/{code}/", "match": "partial",
    }
    assert client.get("/api/v1/search", {"q": code}).json()["results"][0]["match"] == "code"


def test_the_api_refuses_invalid_queries_with_422(orgs, update_index):
    [code] = orgs("吉林省北辰食品有限公司")
    update_index()
    client = CheckedClient(api.get_openapi_schema())
    assert_error_shape(client.get("/api/v1/search"), 422, "query_required")
    assert_error_shape(client.get("/api/v1/search", {"q": "北"}), 422, "query_too_short")
    assert_error_shape(client.get("/api/v1/search", {"q": "北" * 1000}), 422, "query_too_long")
    body = assert_error_shape(client.get("/api/v1/search", {"q": spoil_check_digit(code)}), 422, "uscc_invalid")
    assert body["fields"] == {"q": "统一社会信用代码校验位错误", "suggestion": code}
    assert_error_shape(client.get("/api/v1/search", {"q": "北辰", "page": "x"}), 422, "invalid_request")
    assert client.get("/api/v1/search", {"q": "<script>'; DROP TABLE x; --"}).json()["total"] == 0


def test_the_openapi_document_describes_the_search(db):
    schema = Client().get("/api/openapi.json").json()
    op = schema["paths"]["/api/v1/search"]["get"]
    assert CJK.search(op["summary"]) and CJK.search(op["description"]) and op["tags"] == ["信用主体检索"]
    assert "security" not in op  # public
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) == {"q", "page"} and all(CJK.search(p["description"]) for p in params.values())
    responses = {int(k): v for k, v in op["responses"].items()}
    assert {200, 422, 429, 500} <= set(responses)
    for status in (422, 429, 500):
        assert CJK.search(responses[status]["description"])
        assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}


def test_every_error_code_of_the_search_is_documented():
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\|\s*`([a-z0-9_]+)`\s*\|", doc, flags=re.MULTILINE))
    codes = set()
    for source in (ROOT / "xinyong" / "search").glob("*.py"):
        codes |= set(re.findall(r'code="([a-z0-9_]+)"', source.read_text(encoding="utf-8")))
    assert {"query_required", "query_too_short", "query_too_long", "uscc_invalid", "id_number_not_searchable"} <= codes
    assert codes - documented == set()
    assert "`GET /api/v1/search`" in doc
