"""The request path of a single check (POST /api/v1/checks): its requests skip the page
middleware (`security.middleware.ApiLeanPathMiddleware`) and store their nonce, the check's audit
rows and the request log line in one transaction (`security.middleware.finish`). What a
department system sees must not change: a replay, a bad signature, a bad code, a matter outside
the remit or too many requests are refused as before, each check is audited once, every request
is logged, and the answer carries the headers of every API answer."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client

from tests.api.conftest import assert_error_shape
from xinyong.evaluation.models import EvaluationResult
from xinyong.measures.models import Check, CheckHit
from xinyong.sanctions.models import ListEntry
from xinyong.security import signing
from xinyong.security.models import ApiKey, ApiNonce, ApiRequest
from xinyong.subjects.models import Subject

pytestmark = pytest.mark.django_db

CHECKS = "/api/v1/checks"


def signed(token: str, body: dict, *, path: str = CHECKS) -> tuple[bytes, dict]:
    raw = json.dumps(body, ensure_ascii=False).encode()
    return raw, signing.as_wsgi(signing.sign_request(token, "POST", path, raw))


def send(raw: bytes, headers: dict, *, path: str = CHECKS, **extra):
    return Client().post(path, raw, content_type="application/json", **headers, **extra)


@pytest.fixture
def listed_bidder(check_key, company, listed):
    """The finance department's check key and a bidder on the serious violation list (a
    tendering check of it triggers two measures)."""

    def make() -> tuple[str, Subject]:
        token = check_key("220000-CZT")
        bidder = company()
        listed(bidder, "serious_violation")
        return token, bidder

    return make


def tendering(bidder, case_no: str) -> dict:
    return {"matter": "tendering", "case_no": case_no, "uscc": bidder.uscc}


def log_lines() -> list[tuple]:
    return list(ApiRequest.objects.order_by("id").values_list("path", "status", "code", "auth"))


def test_a_check_stores_its_nonce_audit_row_and_log_line(listed_bidder, on_day):
    token, bidder = listed_bidder()
    with on_day():
        raw, headers = signed(token, tendering(bidder, "ZB-1"))
        response = send(raw, headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert {m["code"] for m in body["measures"]} == {"procurement_limit", "tendering_limit"}
    row = Check.objects.get()
    assert (str(row.public_id), row.case_no, row.subject_id, row.hits, row.digest) == (body["check"], "ZB-1", bidder.pk, 2, body["digest"])
    assert CheckHit.objects.filter(check_row=row).count() == 2
    assert ApiNonce.objects.filter(nonce=headers["HTTP_X_XINYONG_NONCE"]).count() == 1
    assert log_lines() == [(CHECKS, 200, "", "signed")]
    assert ApiRequest.objects.get().department_id == row.department_id


def test_a_replayed_check_is_refused_and_audited_once(listed_bidder, on_day):
    token, bidder = listed_bidder()
    with on_day():
        raw, headers = signed(token, tendering(bidder, "ZB-2"))
        assert send(raw, headers).status_code == 200
        body = assert_error_shape(send(raw, headers), 401, "nonce_replayed")
    assert "重放" in body["message"]
    assert Check.objects.count() == 1 and CheckHit.objects.count() == 2 and ApiNonce.objects.count() == 1
    assert log_lines() == [(CHECKS, 200, "", "signed"), (CHECKS, 401, "nonce_replayed", "signed")]


def test_a_refused_check_uses_up_its_nonce_and_writes_no_audit_row(check_key, company):
    token = check_key("220000-CZT")
    good = company().uscc
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    raw, headers = signed(token, {"matter": "tendering", "case_no": "ZB-3", "uscc": wrong})
    body = assert_error_shape(send(raw, headers), 422, "invalid_code")
    assert "校验位错误" in body["message"] and "uscc" in body["fields"]
    assert_error_shape(send(raw, headers), 401, "nonce_replayed")
    assert Check.objects.count() == 0
    assert log_lines() == [(CHECKS, 422, "invalid_code", "signed"), (CHECKS, 401, "nonce_replayed", "signed")]


def test_a_matter_outside_the_remit_and_a_bad_signature_are_refused(check_key, company):
    subject = company()
    token = check_key("220100-GSJ")
    raw, headers = signed(token, {"matter": "import_export", "case_no": "ZB-4", "uscc": subject.uscc})
    body = assert_error_shape(send(raw, headers), 403, "matter_outside_remit")
    assert "进出口管理" in body["message"]
    raw, headers = signed(token, {"matter": "licensing", "case_no": "ZB-5", "uscc": subject.uscc})
    altered = raw.replace(b"ZB-5", b"ZB-6")
    assert_error_shape(send(altered, headers), 401, "body_altered")
    headers["HTTP_X_XINYONG_SIGNATURE"] = "0" * 64
    assert_error_shape(send(raw, headers), 401, "signature_invalid")
    assert Check.objects.count() == 0
    assert ApiNonce.objects.count() == 1  # the one of the request that passed the signature check
    assert [(status, code) for _, status, code, _ in log_lines()] == [(403, "matter_outside_remit"), (401, "body_altered"), (401, "signature_invalid")]


def test_a_key_over_its_rate_is_refused_with_retry_after(check_key, company):
    token = check_key("220000-CZT")
    ApiKey.objects.update(rate_limit="1/m")
    subject = company()
    first = send(*signed(token, tendering(subject, "ZB-7")))
    assert first.status_code == 200
    second = send(*signed(token, tendering(subject, "ZB-8")))
    assert_error_shape(second, 429, "rate_limited")
    assert int(second["Retry-After"]) >= 1
    assert list(Check.objects.values_list("case_no", flat=True)) == ["ZB-7"]


def test_the_check_answers_with_the_headers_of_every_api_answer(check_key, company):
    token = check_key("220000-CZT")
    subject = company()
    check = send(*signed(token, tendering(subject, "ZB-9")))
    raw, headers = signed(token, {"matter": "tendering", "case_no": "ZB-9", "uscc": [subject.uscc]}, path=f"{CHECKS}/bulk")
    bulk = send(raw, headers, path=f"{CHECKS}/bulk")  # through the whole middleware stack
    assert check.status_code == bulk.status_code == 200
    for name in ("Content-Type", "Cache-Control", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy", "Permissions-Policy"):
        assert check.get(name) == bulk.get(name), name
    assert check["Cache-Control"] == "no-store" and check["X-Content-Type-Options"] == "nosniff"
    assert int(check["Content-Length"]) == len(check.content)


def test_a_check_for_another_host_is_refused(check_key, company):
    token = check_key("220000-CZT")
    raw, headers = signed(token, tendering(company(), "ZB-10"))
    assert send(raw, headers, HTTP_HOST="evil.example").status_code == 400
    assert Check.objects.count() == 0 and ApiNonce.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_check_and_its_replay_are_stored_as_in_one(catalog_loaded, listed_bidder, on_day):
    """As the server runs it (autocommit; on PostgreSQL the nonce, the audit rows and the log line
    go as one statement): the check is stored whole, its replay refused and logged, nothing of
    the replay written."""
    token, bidder = listed_bidder()
    with on_day():
        raw, headers = signed(token, tendering(bidder, "ZB-9"))
        first = send(raw, headers)
        assert first.status_code == 200, first.content
        assert_error_shape(send(raw, headers), 401, "nonce_replayed")
    row = Check.objects.get()
    assert (str(row.public_id), row.hits) == (first.json()["check"], 2)
    assert sorted(CheckHit.objects.filter(check_row=row).values_list("measure", "case_no", "subject_id", "at")) == [
        ("procurement_limit", "ZB-9", bidder.pk, row.at), ("tendering_limit", "ZB-9", bidder.pk, row.at),
    ]
    assert ApiNonce.objects.count() == 1
    assert log_lines() == [(CHECKS, 200, "", "signed"), (CHECKS, 401, "nonce_replayed", "signed")]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans of prepared statements: PostgreSQL's")
def test_a_single_check_reads_by_plans_made_once(check_key, company, uscc, listed, graded, on_day):
    """PostgreSQL plans a prepared statement for its values for five runs, then keeps one generic
    plan if it costs no more. A subject's entries and grades read by an array of subjects were
    planned again at every check (a fifth of the server's time per check); read by the one
    subject, they get the generic plan."""
    token = check_key("220000-HBT")
    # a province's tables, in miniature: many subjects with an entry and a grade each, analyzed
    # (on empty tables every plan costs the same)
    others = Subject.objects.bulk_create([Subject(kind="enterprise", uscc=uscc("220102"), name=f"企业{n}", name_key=f"企业{n}", region="220102") for n in range(400)])
    entry, grade = listed(others[0], "env_bad", dept_code="220000-HBT"), graded(others[0], "environmental", "环保不良企业")
    ListEntry.objects.bulk_create([ListEntry(**{**model_to_dict(entry, exclude=["id", "subject", "designating_department"]), "subject": s, "designating_department_id": entry.designating_department_id}) for s in others[1:]])
    EvaluationResult.objects.bulk_create([EvaluationResult(**{**model_to_dict(grade, exclude=["id", "subject", "run"]), "subject": s, "run_id": grade.run_id}) for s in others[1:]])
    with connection.cursor() as cur:
        cur.execute('ANALYZE "sanctions_listentry", "evaluation_evaluationresult", "subjects_subject"')
    polluter = company()
    listed(polluter, "env_bad", dept_code="220000-HBT")
    graded(polluter, "environmental", "环保不良企业")
    with on_day():
        for n in range(12):
            raw, headers = signed(token, {"matter": "daily_supervision", "case_no": f"JG-{n}", "uscc": polluter.uscc})
            answer = send(raw, headers)
            assert answer.status_code == 200, answer.content
            assert [r["type"] for r in answer.json()["measures"][0]["reasons"]] == ["list", "grade"]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s OR statement LIKE %s",
            ['%FROM "sanctions_listentry" t%', '%FROM "evaluation_evaluationresult" t%'],
        )
        plans = cur.fetchall()
    # prepared at the second run (settings: XINYONG_DB_PREPARE_THRESHOLD), then run ten times
    read = {("entries" if "sanctions_listentry" in s else "grades"): (g, c) for s, g, c in plans if g + c >= 10}
    assert set(read) == {"entries", "grades"}, plans
    assert all(custom <= 5 for _, custom in read.values()), read
