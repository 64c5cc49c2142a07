"""The check's floors (bench-only, xinyong/common/bench.py): what bench/check.py measures as the
least a single check can cost on the database served. `read` runs the check's first statement;
`write` also writes what a check writes before answering (nonce, Check row, request log line),
through the check's own closing path."""

import json

import pytest

from tests.api.conftest import assert_error_shape
from xinyong.measures.models import Check
from xinyong.security.models import ApiNonce, ApiRequest

pytestmark = pytest.mark.django_db


def _post(client, path: str, body, key: str | None = None):
    headers = {"HTTP_X_XINYONG_KEY": key} if key else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data=data, content_type="application/json", **headers)


def _counts():
    return Check.objects.count(), ApiNonce.objects.count(), ApiRequest.objects.count()


def test_read_floor_finds_the_subject_and_writes_nothing(client, bench_endpoints, company, listed):
    found = company()
    on_list = company(name="长春市某某失信企业有限公司")
    listed(on_list, "serious_violation")
    before = _counts()
    body = {"uscc": found.uscc, "case_no": "FLOOR-1", "matter": "tendering"}
    answer = _post(client, "/bench/floor/read", body).json()
    assert answer["found"] is True and answer["listed_or_graded"] is False
    assert _post(client, "/bench/floor/read", {**body, "uscc": on_list.uscc}).json()["listed_or_graded"] is True
    assert _post(client, "/bench/floor/read", {**body, "uscc": "91220000MA00000000"}).json()["found"] is False
    assert _counts() == before


def test_write_floor_writes_what_a_check_writes(client, bench_endpoints, company, check_key):
    subject = company()
    key_id = check_key().split(".")[0]
    before = _counts()
    for n in range(2):  # a fresh nonce each time: the same request can be sent again
        response = _post(client, "/bench/floor/write", {"uscc": subject.uscc, "case_no": f"FLOOR-{n}", "matter": "tendering"}, key_id)
        assert response.status_code == 200, response.content
    assert _counts() == (before[0] + 2, before[1] + 2, before[2] + 2)
    row = Check.objects.order_by("-id").first()
    assert (row.case_no, row.matter, row.subject_id, row.key.key_id, row.hits) == ("FLOOR-1", "tendering", subject.pk, key_id, 0)
    assert ApiRequest.objects.order_by("-id").first().path == "/bench/floor/write"


@pytest.mark.parametrize(
    ("body", "key", "code"),
    [
        ("not json", "x", "bad_request"),
        ({"uscc": "91220000MA00000000"}, "x", "bad_request"),  # no case_no, matter
        ({"uscc": "9" * 40, "case_no": "C", "matter": "tendering"}, "x", "bad_request"),
        ({"uscc": ["a"], "case_no": "C", "matter": "tendering"}, "x", "bad_request"),
        ({"uscc": "91220000MA00000000", "case_no": "C" * 101, "matter": "tendering"}, "x", "bad_request"),
        ({"uscc": "", "case_no": "C", "matter": "tendering"}, "x", "bad_request"),
        ("", "x", "bad_request"),
        ({"uscc": "91220000MA00000000", "case_no": "C", "matter": "tendering"}, "xy_0000000000000000", "unknown_key"),
        ({"uscc": "91220000MA00000000", "case_no": "C", "matter": "tendering"}, None, "unknown_key"),
    ],
)
def test_write_floor_refuses_bad_requests_and_writes_nothing(client, bench_endpoints, body, key, code):
    before = _counts()
    assert_error_shape(_post(client, "/bench/floor/write", body, key), 400, code)
    assert _counts() == before


def test_floors_take_post_only(client, bench_endpoints):
    assert client.get("/bench/floor/read").status_code == 405
    assert client.get("/bench/floor/write").status_code == 405


def test_floors_take_the_checks_path_through_the_middleware(client, bench_endpoints, company, check_key):
    """As a check: the response middleware of every API answer, not the page middleware (so that
    the floor costs what the check's own path costs)."""
    from unittest import mock

    from django.contrib.sessions.middleware import SessionMiddleware

    subject, key_id = company(), check_key().split(".")[0]
    with mock.patch.object(SessionMiddleware, "process_request", side_effect=AssertionError("page middleware")):
        for path in ("/bench/floor/read", "/bench/floor/write"):
            response = _post(client, path, {"uscc": subject.uscc, "case_no": "FLOOR-L", "matter": "tendering"}, key_id)
            assert response.status_code == 200 and response["X-Frame-Options"] == "DENY"
        with pytest.raises(AssertionError, match="page middleware"):
            client.get("/bench/bare")  # the baseline goes through every middleware
