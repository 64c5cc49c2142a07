"""schemathesis over the whole OpenAPI document (/api/v1/...), in-process through Django's WSGI
application. Every request is signed as a department system signs it (HMAC over method, path and
query, body digest, timestamp, nonce: `xinyong.security.signing.sign_request`) by a WSGI wrapper
that sees the request exactly as it goes on the wire, with a key holding every scope. Whatever
schemathesis sends: no server error, and every response is documented for its operation with the
documented content type and body (schemathesis's own checks).

Bounded and deterministic: a few examples per operation, derandomized."""

from __future__ import annotations

import io

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from xinyong.security.signing import as_wsgi, sign_request

MAX_EXAMPLES = 25  # per operation; the whole file runs in well under a minute


class SigningApp:
    """A WSGI wrapper: signs each request with `token` (when set) over the body and the path as
    Django will see them, then hands it to the application."""

    def __init__(self, app):
        self.app = app
        self.token: str | None = None

    def __call__(self, environ, start_response):
        if self.token:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            path = WSGIRequest(dict(environ, **{"wsgi.input": io.BytesIO(body)})).get_full_path()
            environ.update(as_wsgi(sign_request(self.token, environ["REQUEST_METHOD"], path, body)))
        return self.app(environ, start_response)


APP = SigningApp(get_wsgi_application())
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", APP).include(path_regex=r"^/api/v1/")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture
def keep_connection():
    """Calling the WSGI application directly sends request_started/finished, whose handler closes
    the test's database connection (inside its transaction); Django's test client disconnects it
    for the same reason."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def signed(make_key, keep_connection):
    """Requests signed by a key of 220100-GSJ with every scope."""
    from xinyong.security.keys import SCOPES

    APP.token = make_key("220100-GSJ", scopes=tuple(SCOPES))[1]
    yield APP.token
    APP.token = None


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_no_server_error_and_documented_responses(case, signed):
    response = case.call()
    assert response.status_code < 500, (case.operation.label, response.status_code, response.text[:500])
    case.validate_response(response, checks=CHECKS)


def test_the_signing_wrapper_signs_what_the_server_verifies(db, make_key, keep_connection):
    """Not a vacuous run: the wrapper's signatures are accepted (a key-only operation answers
    200), and without it the same call is refused (401)."""
    operation = schema["/api/v1/batches"]["GET"]
    APP.token = make_key("220100-GSJ", scopes=("ingest",))[1]
    try:
        assert operation.Case().call().status_code == 200
    finally:
        APP.token = None
    assert operation.Case().call().status_code == 401


def test_every_operation_is_covered():
    """The whole document, in one place: every operation of the API is exercised here."""
    from xinyong.api import api

    documented = {f"{method.upper()} {path}" for path, ops in api.get_openapi_schema()["paths"].items() for method in ops}
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert labels == documented
    assert len(labels) >= 20
