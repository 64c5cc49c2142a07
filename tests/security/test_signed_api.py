"""Signed requests of department systems (issue 7, item 5): what a department system sees when it
signs right, and when a request is replayed, stale, signed over another body or path, made with
a revoked or expired key or without the scope, or too frequent; every request and refusal is in
the request log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import assert_error_shape
from xinyong.security import signing
from xinyong.security.keys import apikey_revoke, forget_key
from xinyong.security.models import ApiKey, ApiNonce, ApiRequest
from xinyong.security.services import Actor

BATCHES = "/api/v1/batches"
RECORDS = "/api/v1/batches/records"


def api_settings(settings, **values):
    settings.XINYONG = {**settings.XINYONG, "API": {**settings.XINYONG["API"], **values}}


def send(method: str, path: str, body: bytes = b"", headers: dict | None = None, content_type: str = "application/json"):
    client = Client()
    extra = signing.as_wsgi(headers or {})
    if method == "GET":
        return client.get(path, **extra)
    return client.post(path, body, content_type=content_type, **extra)


def test_the_worked_example_of_docs_api_md():
    secret, key_id = "kY2v0m1Jm3r0aQZ8pLx4T7cW9eR2uI5oN6bV1mK3sDf", "xy_3f9c2a7b1d4e5f60"
    body = b'{"item": "penalty.gsj", "records": []}'
    headers = signing.sign_request(f"{key_id}.{secret}", "post", "/api/v1/batches/records", body, timestamp=1796000000, nonce="q3J8wZ0bX5nV2cT7mL9dR4")
    assert headers[signing.HEADER_BODY_DIGEST] == "c2c7505b82058558ec008937d4248e55088c242a6f1043bed6ca2a7f7a95de13"
    assert headers[signing.HEADER_SIGNATURE] == "819124275f717a93e52bdf0408970c6928bb0a07b7e222cbb709aed1f9a78eb7"
    doc = (signing.__file__.rsplit("/xinyong/", 1)[0] + "/docs/api.md")
    text = open(doc, encoding="utf-8").read()
    assert headers[signing.HEADER_SIGNATURE] in text and headers[signing.HEADER_BODY_DIGEST] in text


def test_a_signed_request_is_accepted_and_logged(make_key, penalty_row):
    key, token = make_key()
    body = json.dumps({"item": "penalty.gsj", "records": [penalty_row()]}, ensure_ascii=False).encode()
    response = send("POST", RECORDS, body, signing.sign_request(token, "POST", RECORDS, body))
    assert response.status_code == 201, response.content
    assert response.json()["accepted"] == 1
    log = ApiRequest.objects.get()
    assert (log.key_id, log.auth, log.status, log.code, log.method, log.path) == (key.pk, "signed", 201, "", "POST", RECORDS)
    assert log.department_id == key.department_id


def test_a_signature_over_a_different_body_is_refused(make_key, penalty_row):
    _, token = make_key()
    signed = json.dumps({"item": "penalty.gsj", "records": [penalty_row()]}, ensure_ascii=False).encode()
    sent = signed.replace("罚款人民币2万元".encode(), "罚款人民币1元".encode())
    headers = signing.sign_request(token, "POST", RECORDS, signed)
    assert_error_shape(send("POST", RECORDS, sent, headers), 401, "body_altered")
    del headers[signing.HEADER_BODY_DIGEST]  # without the optional digest header: just invalid
    headers[signing.HEADER_NONCE] += "x"
    headers[signing.HEADER_SIGNATURE] = signing.sign_request(token, "POST", RECORDS, signed, timestamp=int(headers[signing.HEADER_TIMESTAMP]), nonce=headers[signing.HEADER_NONCE])[signing.HEADER_SIGNATURE]
    assert_error_shape(send("POST", RECORDS, sent, headers), 401, "signature_invalid")
    assert not ApiNonce.objects.exists()  # nothing of a refused signature is kept
    assert list(ApiRequest.objects.order_by("id").values_list("code", flat=True)) == ["body_altered", "signature_invalid"]


def test_a_signature_for_another_path_or_query_is_refused(make_key):
    _, token = make_key()
    headers = signing.sign_request(token, "GET", f"{BATCHES}?page=1")
    assert_error_shape(send("GET", f"{BATCHES}?page=2", headers=headers), 401, "signature_invalid")
    headers = signing.sign_request(token, "GET", "/api/v1/batches/abc")
    assert_error_shape(send("GET", BATCHES, headers=headers), 401, "signature_invalid")
    headers = signing.sign_request(token, "POST", BATCHES)
    assert_error_shape(send("GET", BATCHES, headers=headers), 401, "signature_invalid")


def test_a_replayed_request_is_refused(make_key):
    _, token = make_key()
    headers = signing.sign_request(token, "GET", f"{BATCHES}?page_size=5")
    assert send("GET", f"{BATCHES}?page_size=5", headers=headers).status_code == 200
    body = assert_error_shape(send("GET", f"{BATCHES}?page_size=5", headers=headers), 401, "nonce_replayed")
    assert "重放" in body["message"]
    assert ApiNonce.objects.count() == 1


def test_stale_and_future_timestamps_are_refused(make_key, settings):
    api_settings(settings, SIGNATURE_WINDOW_SECONDS=300)
    _, token = make_key()
    now = int(time.time())
    for ts in (now - 310, now + 310):  # well past the window, whatever second the server reads
        body = assert_error_shape(send("GET", BATCHES, headers=signing.sign_request(token, "GET", BATCHES, timestamp=ts)), 401, "timestamp_stale")
        assert "校准系统时钟" in body["message"]
    assert send("GET", BATCHES, headers=signing.sign_request(token, "GET", BATCHES, timestamp=now - 250)).status_code == 200


def test_revoked_expired_and_unknown_keys_are_refused(make_key):
    _, revoked = make_key(revoked=True)
    assert_error_shape(send("GET", BATCHES, headers=signing.sign_request(revoked, "GET", BATCHES)), 401, "key_revoked")
    _, expired = make_key(expired=True)
    assert_error_shape(send("GET", BATCHES, headers=signing.sign_request(expired, "GET", BATCHES)), 401, "key_expired")
    unknown = assert_error_shape(send("GET", BATCHES, headers=signing.sign_request("xy_0000000000000000.secret", "GET", BATCHES)), 401, "signature_invalid")
    _, real = make_key()
    wrong = assert_error_shape(send("GET", BATCHES, headers=signing.sign_request(real + "x", "GET", BATCHES)), 401, "signature_invalid")
    assert unknown["message"] == wrong["message"]  # an unknown key id and a wrong secret look the same


def test_a_key_revoked_here_is_refused_at_once_and_one_revoked_elsewhere_within_the_cache_bound(make_key, settings):
    api_settings(settings, KEY_CACHE_SECONDS=0.5)
    here, token_here = make_key()
    there, token_there = make_key(name="另一个系统")
    for token in (token_here, token_there):  # both keys read, and kept, by this process
        assert send("GET", BATCHES, headers=signing.sign_request(token, "GET", BATCHES)).status_code == 200
    apikey_revoke(key=here, actor=Actor.system("测试"))  # through the platform's service: at once
    assert_error_shape(send("GET", BATCHES, headers=signing.sign_request(token_here, "GET", BATCHES)), 401, "key_revoked")
    # revoked by another server process: this one still holds the key as it read it, for at most
    # XINYONG_API_KEY_CACHE_SECONDS
    ApiKey.objects.filter(pk=there.pk).update(revoked_at=timezone.now())
    assert send("GET", BATCHES, headers=signing.sign_request(token_there, "GET", BATCHES)).status_code == 200
    time.sleep(0.6)
    assert_error_shape(send("GET", BATCHES, headers=signing.sign_request(token_there, "GET", BATCHES)), 401, "key_revoked")


def test_a_key_without_the_scope_is_forbidden(make_key):
    _, token = make_key(scopes=("catalog",))
    body = assert_error_shape(send("GET", BATCHES, headers=signing.sign_request(token, "GET", BATCHES)), 403, "scope_missing")
    assert body["fields"] == {"scope": "ingest"}
    log = ApiRequest.objects.get()
    assert (log.status, log.code, log.auth) == (403, "scope_missing", "signed")


@pytest.mark.parametrize(
    ("drop", "broken", "field"),
    [
        (signing.HEADER_NONCE, None, signing.HEADER_NONCE),
        (None, (signing.HEADER_NONCE, "short"), signing.HEADER_NONCE),
        (None, (signing.HEADER_TIMESTAMP, "yesterday"), signing.HEADER_TIMESTAMP),
        (None, (signing.HEADER_SIGNATURE, "zz"), signing.HEADER_SIGNATURE),
    ],
    ids=["no-nonce", "short-nonce", "bad-timestamp", "bad-signature"],
)
def test_malformed_signature_headers_say_which(make_key, drop, broken, field):
    _, token = make_key()
    headers = signing.sign_request(token, "GET", BATCHES)
    if drop:
        del headers[drop]
    if broken:
        headers[broken[0]] = broken[1]
    body = assert_error_shape(send("GET", BATCHES, headers=headers), 401, "signature_malformed")
    assert field in body["fields"]


def test_bearer_only_is_refused_when_signatures_are_required(make_key, client_for, settings):
    _, token = make_key()
    api_settings(settings, BEARER_ALLOWED=True)
    assert client_for(token, bearer=True).get(BATCHES).status_code == 200
    assert ApiRequest.objects.get().auth == "bearer"
    api_settings(settings, BEARER_ALLOWED=False)
    body = assert_error_shape(client_for(token, bearer=True).get(BATCHES), 401, "signature_required")
    assert "签名" in body["message"]
    assert client_for(token).get(BATCHES).status_code == 200  # signed: still fine


def test_production_settings_require_signatures():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "xinyong.settings.production", "XINYONG_SECRET_KEY": "x" * 50}
    env.pop("XINYONG_API_BEARER_ALLOWED", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.XINYONG['API']['BEARER_ALLOWED'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_per_key_rate_limit(make_key, settings):
    api_settings(settings, KEY_RATE="3/m")
    _, token = make_key()
    _, other = make_key(name="另一个系统")
    answers = [send("GET", BATCHES, headers=signing.sign_request(token, "GET", BATCHES)).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    limited = send("GET", BATCHES, headers=signing.sign_request(token, "GET", BATCHES))
    body = assert_error_shape(limited, 429, "rate_limited")
    # a sliding window: after a burst the wait can pass the minute, never two (tests/common/test_ratelimit.py)
    assert 0 < int(limited["Retry-After"]) <= 120 and "3/m" in body["message"]
    assert send("GET", BATCHES, headers=signing.sign_request(other, "GET", BATCHES)).status_code == 200  # per key
    key = ApiKey.objects.get(key_id=token.split(".")[0])
    ApiKey.objects.filter(pk=key.pk).update(rate_limit="100/m")  # a key's own limit wins (set elsewhere:
    forget_key(key.key_id)  # in this process once XINYONG_API_KEY_CACHE_SECONDS have passed)
    assert send("GET", BATCHES, headers=signing.sign_request(token, "GET", BATCHES)).status_code == 200
    assert ApiRequest.objects.filter(code="rate_limited", status=429).count() == 1


def test_every_request_and_refusal_is_logged_and_old_lines_are_purged(make_key, settings):
    from xinyong.common.schedule import run_job

    _, token = make_key()
    send("GET", BATCHES, headers=signing.sign_request(token, "GET", BATCHES))
    send("GET", BATCHES)
    send("GET", BATCHES, headers={"Authorization": "Bearer nonsense"})
    assert list(ApiRequest.objects.order_by("id").values_list("status", "code", "auth")) == [
        (200, "", "signed"), (401, "auth_required", "none"), (401, "auth_malformed", "bearer"),
    ]
    assert send("GET", "/api/v1/catalog/items").status_code == 200  # public operation: not a key request
    assert ApiRequest.objects.count() == 3
    ApiRequest.objects.filter(code="auth_required").update(at=timezone.now() - timedelta(days=400))
    ApiNonce.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    ended, live = SessionStore(), SessionStore()
    ended["x"] = live["x"] = 1
    ended.set_expiry(1)
    ended.save()
    live.save()
    Session.objects.filter(session_key=ended.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert run_job("security.purge") == {"nonces": 1, "requests": 1, "sessions": 1}
    assert ApiRequest.objects.count() == 2
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_a_signed_upload_larger_than_the_memory_limit_is_read_once(make_key, client_for, penalty_row, settings):
    """The body of a big multipart upload is hashed on the way into a spooled file, which the
    upload parser then reads: signed uploads of any size work."""
    import csv
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    rows = [penalty_row() for _ in range(8)]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    assert len(data) > 2048
    _, token = make_key()
    response = client_for(token).post(BATCHES, {"item": "penalty.gsj", "file": SimpleUploadedFile("big.csv", data, content_type="text/csv")})
    assert response.status_code in (201, 202), response.content
    assert response.json()["accepted"] == 8 or response.status_code == 202
