"""POST /api/v1/commitments and /api/v1/commitments/{code}/outcome: a department system records a
commitment and its breach; responses match the OpenAPI document; one error shape."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import CheckedClient
from xinyong.api import api
from xinyong.catalog.models import Department
from xinyong.commitments.models import Commitment
from xinyong.security.keys import apikey_create
from xinyong.security.services import Actor

from .helpers import enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_may(time_machine):
    time_machine.move_to(datetime(2026, 5, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


def client(code: str = "220100-ZJT", scopes=("ingest",)) -> CheckedClient:
    _, token = apikey_create(department=Department.objects.get(code=code), name="审批系统", scopes=scopes, actor=Actor.system("test"))
    return CheckedClient(api.get_openapi_schema(), token)


def body(firm, **over):
    data = {"subject": firm.uscc, "template": "licensing.approval", "case_no": "API-2026-1", "statement": True, "request_id": "r-1"}
    data.update(over)
    return data


def test_a_system_records_a_commitment_and_its_breach():
    firm = enterprise()
    c = client()
    r = c.post_json("/api/v1/commitments", body(firm))
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["code"].startswith("22010020260506") and out["department"] == "220100-ZJT" and out["valid_until"] == "2029-05-06"
    assert Commitment.objects.get(code=out["code"]).door == "api"
    # replayed request id, then the same case under a new id
    again = c.post_json("/api/v1/commitments", body(firm))
    assert again.status_code == 409 and again.json()["code"] == "replayed"
    dup = c.post_json("/api/v1/commitments", body(firm, request_id="r-2"))
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_commitment"
    # another department's system cannot record the outcome
    other = client("220100-HBT").post_json(f"/api/v1/commitments/{out['code']}/outcome", {"outcome": "breached", "facts": "x", "document_no": "y"})
    assert other.status_code == 403 and other.json()["code"] == "not_accepting_department"
    breach = c.post_json(f"/api/v1/commitments/{out['code']}/outcome", {"outcome": "breached", "facts": "承诺不实", "document_no": "长建认〔2026〕7号"})
    assert breach.status_code == 200 and breach.json()["status"] == "breached" and breach.json()["breach_record"]
    closed = c.post_json(f"/api/v1/commitments/{out['code']}/outcome", {"outcome": "fulfilled", "facts": "x"})
    assert closed.status_code == 409


def test_bad_input_in_the_error_shape():
    firm = enterprise()
    c = client()
    for data, code in [
        (body(firm, template="nope"), "unknown_template"),
        (body(firm, statement=False), "invalid_commitment"),
        (body(firm, case_no="<script>"), "invalid_commitment"),
        (body(firm, subject="91220101MA0000000X"), "unknown_subject"),
        (body(firm, template="import_export.certification"), "invalid_commitment"),
    ]:
        r = c.post_json("/api/v1/commitments", data)
        assert r.status_code == 422, (data, r.content)
        assert r.json()["code"] == code and set(r.json()) == {"code", "message", "fields"}
    assert c.post_json("/api/v1/commitments/22010020260506999999/outcome", {"outcome": "fulfilled", "facts": "x"}).status_code == 404
    assert not Commitment.objects.exists()
