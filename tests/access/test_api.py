"""The query API: a key with the scope "query" acts for its department under the same rule as the
page; every response checked against the OpenAPI document."""

from __future__ import annotations

from datetime import date

import pytest

from tests.access.conftest import GAT, GSJ, SW
from tests.api.conftest import CheckedClient, make_key, openapi  # noqa: F401 (fixtures)
from xinyong.records.selectors import today
from xinyong.security.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(openapi, make_key):  # noqa: F811
    key, token = make_key(GSJ, scopes=("query",), name="许可审批系统")
    return CheckedClient(openapi, token)


def test_an_organization_s_records_with_class_basis_and_withheld_count(api, subject_factory, uscc, record_factory, grant_right):
    firm = subject_factory(uscc=uscc())
    public = record_factory(firm, item="penalty.gsj", dept_code=GSJ, disclosure="public")
    rating = record_factory(firm, item="tax_rating", dept_code=SW)
    record_factory(firm, item="research_misconduct", dept_code="220000-KJT")
    right = grant_right(GSJ)
    response = api.get(f"/api/v1/subjects/{firm.uscc}/records", {"purpose": "licensing", "details": "许可申请 XK-1"})
    assert response.status_code == 200, response.content
    body = response.json()
    got = {r["id"]: (r["disclosure"], r["basis"], r["basis_id"]) for r in body["records"]}
    assert got == {public.pk: ("public", "public", None), rating.pk: ("authorized", "right", right.pk)}
    assert body["withheld"] == {"authorized": 1} and "另有 1 条授权查询信息" in body["withheld_message"]
    entry = AuditEntry.objects.get(action="access.query")
    assert entry.actor_type == "key" and entry.actor_label.endswith("/许可审批系统") and entry.purpose == "行政许可审查：许可申请 XK-1"
    assert entry.object_type == "query_right" and entry.object_id == str(right.pk) and entry.detail["items"] == ["tax_rating"]


def test_individuals_by_id_number_in_the_body_and_the_same_404_for_unknown_and_private(api, subject_factory, id_number, record_factory, give_consent):
    number = id_number()
    person = subject_factory(kind="individual", id_number=number, name="张三")
    violation = record_factory(person, item="traffic_violation", dept_code=GAT)
    private = api.post_json("/api/v1/subjects/records/query", {"id_number": number, "purpose": "licensing"})
    unknown = api.post_json("/api/v1/subjects/records/query", {"id_number": id_number(), "purpose": "licensing"})
    assert private.status_code == unknown.status_code == 404
    assert private.json() == unknown.json() and private.json()["code"] == "subject_not_found"
    consent = give_consent(person, items=("traffic_violation",), valid_from=today(), expires_on=date(2099, 1, 1))
    ok = api.post_json("/api/v1/subjects/records/query", {"id_number": number, "purpose": "licensing"})
    assert ok.status_code == 200
    body = ok.json()
    assert [(r["id"], r["basis"], r["basis_id"]) for r in body["records"]] == [(violation.pk, "consent", consent.pk)]
    assert number not in ok.content.decode() and body["subject_code"] == person.id_masked


def test_bad_input_and_missing_scope(api, openapi, make_key, subject_factory, uscc):  # noqa: F811
    firm = subject_factory(uscc=uscc())
    assert api.get(f"/api/v1/subjects/{firm.uscc}/records").status_code == 422  # purpose missing
    assert api.get(f"/api/v1/subjects/{firm.uscc}/records", {"purpose": "nonsense"}).json()["code"] == "purpose_required"
    assert api.get("/api/v1/subjects/not-a-code/records", {"purpose": "licensing"}).json()["code"] == "invalid_code"
    assert api.get("/api/v1/subjects/220102199003151234/records", {"purpose": "licensing"}).status_code == 422
    bad_id = api.post_json("/api/v1/subjects/records/query", {"id_number": "<script>", "purpose": "licensing"})
    assert bad_id.status_code == 422 and "<script>" not in bad_id.json()["message"]
    _, ingest_only = make_key(GSJ, scopes=("ingest",), name="报送系统")
    refused = CheckedClient(openapi, ingest_only).get(f"/api/v1/subjects/{firm.uscc}/records", {"purpose": "licensing"})
    assert refused.status_code == 403
    assert CheckedClient(openapi).get(f"/api/v1/subjects/{firm.uscc}/records", {"purpose": "licensing"}).status_code == 401
