"""GET /api/v1/subjects/{key}: documented in OpenAPI, the same 404 for what is not public, and
one rate limit (scope "file") shared with the pages, so that a client walking through thousands
of files is throttled whichever door it uses."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.portal.conftest import debtor_row, org, penalty
from xinyong.api import api
from xinyong.subjects.models import Subject

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def firm(send, uscc):
    code = uscc("220102")
    send("penalty.gsj", [penalty(org("长春市鼎信物流有限公司", code), "长市监罚〔2026〕41号")], "220100-GSJ")
    return code


@pytest.fixture
def low_limit(settings):
    settings.XINYONG = {**settings.XINYONG, "RATE_LIMITS": {**settings.XINYONG["RATE_LIMITS"], "file": "3/m"}}


def test_the_operation_is_in_the_openapi_document_in_chinese():
    schema = api.get_openapi_schema()
    op = schema["paths"]["/api/v1/subjects/{key}"]["get"]
    assert CJK.search(op["summary"]) and CJK.search(op["description"]) and op["tags"] == ["信用档案"]
    responses = {int(k): v for k, v in op["responses"].items()}
    assert set(responses) == {200, 404, 429, 500}
    for status in (404, 429, 500):
        assert responses[status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
        assert CJK.search(responses[status]["description"]), status
    assert "security" not in op  # public: no credentials


def test_the_api_answers_by_uscc_and_by_person_key(api_client, firm, send, id_number):
    data = api_client.get(f"/api/v1/subjects/{firm}").json()
    assert data["basics"]["code"] == firm and data["facts_total"] == 1
    number = id_number("220102")
    send("dishonest_debtor", [debtor_row("刘德胜", id_number=number)], "220100-FY")
    person = Subject.objects.get(kind="individual")
    data = api_client.get(f"/api/v1/subjects/p-{person.public_id}").json()
    assert data["key"] == f"p-{person.public_id}" and data["url"] == f"/subjects/p/{person.public_id}/"
    assert data["basics"]["code"] == number[:6] + "********" + number[-4:] and data["basics"]["is_individual"] is True
    for key in ("91220102MA00000000", "p-00000000-0000-0000-0000-000000000000", "p-nonsense", "%3Cscript%3E"):
        response = api_client.get(f"/api/v1/subjects/{key}")
        assert response.status_code == 404 and response.json()["code"] == "subject_not_found", key


def test_pages_and_api_share_one_rate_limit_per_client(firm, low_limit):
    client = Client(REMOTE_ADDR="203.0.113.7")
    assert client.get(f"/subjects/{firm}/").status_code == 200
    assert client.get("/subjects/p/00000000-0000-0000-0000-000000000000/").status_code == 404  # counted too: no free probing
    assert client.get(f"/api/v1/subjects/{firm}").status_code == 200
    page = client.get(f"/subjects/{firm}/")
    assert page.status_code == 429 and int(page["Retry-After"]) > 0
    assert "访问过于频繁" in page.content.decode() and "长春市鼎信物流有限公司" not in page.content.decode()
    api_answer = client.get(f"/api/v1/subjects/{firm}")
    assert api_answer.status_code == 429 and api_answer.json()["code"] == "rate_limited" and api_answer["Retry-After"]
    # another client is not affected; nor are the other pages of the same client
    assert Client(REMOTE_ADDR="203.0.113.8").get(f"/subjects/{firm}/").status_code == 200
    assert client.get("/").status_code == 200


def test_a_throttled_api_answer_matches_the_documented_error_shape(api_client, firm, low_limit):
    for _ in range(3):
        api_client.get(f"/api/v1/subjects/{firm}")
    response = api_client.get(f"/api/v1/subjects/{firm}")  # checked against openapi.json by the client
    assert response.status_code == 429 and set(response.json()) == {"code", "message", "fields"}
