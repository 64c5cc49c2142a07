"""The catalog on the API: open information a department system's maintainers read to build
their feed (items, fields, rules, templates, departments). No credentials needed."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.api.conftest import assert_error_shape

ITEMS = "/api/v1/catalog/items"


def test_items_are_listed_with_owner_and_links(anon_client, catalog):
    body = anon_client.get(ITEMS).json()
    assert body["count"] == len(catalog.items) == len(body["items"])
    assert body["version"] == catalog.version and body["digest"] == catalog.digest
    penalty = next(i for i in body["items"] if i["code"] == "penalty.gsj")
    assert penalty["owner"] == "GSJ" and penalty["nature_label"] == "不良" and penalty["reporting_deadline_working_days"] == 7
    assert penalty["url"] == f"{ITEMS}/penalty.gsj" and penalty["template_url"] == f"{ITEMS}/penalty.gsj/template.xlsx"


def test_items_filtered_by_owner_system_or_department(anon_client, catalog):
    owned = anon_client.get(ITEMS, {"owner": "gsj"}).json()["items"]
    assert owned and {i["owner"] for i in owned} == {"GSJ"}
    assert {i["code"] for i in owned} == {i.code for i in catalog.items.values() if i.owner == "GSJ"}
    for_dept = anon_client.get(ITEMS, {"department": "220100-SW"}).json()["items"]
    assert "tax_rating" in {i["code"] for i in for_dept} and "penalty.gsj" not in {i["code"] for i in for_dept}
    assert_error_shape(anon_client.get(ITEMS, {"department": "999999-XX"}), 404, "unknown_department")


def test_item_definition_is_the_catalogs_with_rules_in_chinese(anon_client, catalog):
    body = anon_client.get(f"{ITEMS}/penalty.gsj").json()
    expected = catalog.items["penalty.gsj"].as_dict()
    for key, value in expected.items():
        if key != "fields":
            assert body[key] == value, key
    assert [{k: v for k, v in f.items() if k != "rules"} for f in body["fields"]] == expected["fields"]
    uscc = next(f for f in body["fields"] if f["name"] == "uscc")
    assert uscc["label"] == "统一社会信用代码" and "18位" in uscc["rules"]
    assert body["owner_name"] and body["legal_basis"] and body["publication_title"]


def test_unknown_item_is_404(anon_client):
    assert_error_shape(anon_client.get(f"{ITEMS}/nope.nope"), 404, "unknown_item")
    assert_error_shape(anon_client.get(f"{ITEMS}/nope.nope/template.xlsx"), 404, "unknown_item")


def test_template_is_an_excel_file_with_the_items_headers(anon_client, catalog):
    response = anon_client.get(f"{ITEMS}/penalty.gsj/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    headers = [c.value for c in book["数据"][1]]
    assert headers == [f.label for f in catalog.items["penalty.gsj"].fields]


def test_department(anon_client):
    body = anon_client.get("/api/v1/departments/220100-GSJ").json()
    assert body["name"] == "长春市市场监督管理局"
    assert (body["system"], body["level"], body["level_label"], body["region"]["code"], body["parent"]) == ("GSJ", "city", "市级", "220100", "220000-GSJ")
    assert "penalty.gsj" in body["items"] and "tax_rating" not in body["items"]
    assert_error_shape(anon_client.get("/api/v1/departments/999999-XX"), 404, "unknown_department")


def test_catalog_needs_no_credentials(anon_client, client_for, make_key):
    assert anon_client.get(ITEMS).status_code == 200
    assert client_for(make_key(scopes=("ingest",))[1]).get(ITEMS).status_code == 200
