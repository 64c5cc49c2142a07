"""API fixtures: keys of department systems, and a client that checks every response against
the OpenAPI document (the status is documented for the operation; a JSON body matches the
documented schema: required fields present, no undocumented fields, types right)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django.utils import timezone
from django.utils.encoding import escape_uri_path, iri_to_uri

from xinyong.api import api
from xinyong.security.keys import apikey_create, apikey_revoke
from xinyong.security.services import Actor
from xinyong.security.signing import as_wsgi, sign_request


def wire_path(path: str) -> str:
    """The path and query as they go on the wire (percent-encoded), which is what is signed."""
    base, sep, query = path.partition("?")
    return escape_uri_path(base) + (sep + iri_to_uri(query) if sep else "")


@pytest.fixture(scope="session")
def openapi():
    return api.get_openapi_schema()


@pytest.fixture
def make_key(db, dept):
    """make_key(dept_code="220100-GSJ", scopes=("ingest", "catalog"), expired=False, revoked=False) → (key, token)"""

    def make(dept_code: str = "220100-GSJ", *, scopes=("ingest", "catalog"), expired: bool = False, revoked: bool = False, name: str = "案件系统"):
        key, token = apikey_create(department=dept(dept_code), name=name, scopes=scopes, actor=Actor.system("test"))
        if expired:
            key.expires_at = timezone.now() - timedelta(minutes=1)
            key.save(update_fields=["expires_at"])
        if revoked:
            apikey_revoke(key=key, actor=Actor.system("test"))
        return key, token

    return make


@pytest.fixture
def token(make_key):
    return make_key()[1]


class CheckedClient:
    """Django's test client; each response under /api/v1/ is checked against openapi.json.

    With a token, every request is signed (`xinyong.security.signing.sign_request`, as a
    department system does); `bearer=True` sends the bare bearer token instead (the transition,
    XINYONG_API_BEARER_ALLOWED). Explicit auth headers in `headers` are sent as they are."""

    def __init__(self, schema: dict, token: str | None = None, *, bearer: bool = False):
        self.schema = schema
        self.client = Client()
        self.token = token
        self.bearer = bearer

    def _headers(self, method: str, path: str, body: bytes, headers):
        out = dict(headers or {})
        if self.token and not any(k in out for k in ("HTTP_AUTHORIZATION", "HTTP_X_XINYONG_KEY", "HTTP_X_XINYONG_SIGNATURE")):
            if self.bearer:
                out["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
            else:
                out.update(as_wsgi(sign_request(self.token, method, wire_path(path), body)))
        return out

    def get(self, path, data=None, headers=None, **extra):
        if data:
            path = f"{path}{'&' if '?' in path else '?'}{urlencode(data, doseq=True)}"
        return self._check("get", path, self.client.get(path, **self._headers("GET", path, b"", headers), **extra))

    def post(self, path, data=None, content_type=None, headers=None, **extra):
        if content_type:
            body = data.encode("utf-8") if isinstance(data, str) else (data or b"")
        else:  # a form, as Django's client would send it (multipart)
            body, content_type = encode_multipart(BOUNDARY, data or {}), f"multipart/form-data; boundary={BOUNDARY}"
        response = self.client.post(path, body, content_type=content_type, **self._headers("POST", path, body, headers), **extra)
        return self._check("post", path, response)

    def post_json(self, path, body, headers=None):
        raw = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False)
        return self.post(path, raw, content_type="application/json", headers=headers)

    def _check(self, method, path, response):
        operation = find_operation(self.schema, method, path)
        if operation is None:  # not an operation: must still be our error shape
            assert_error_shape(response)
            return response
        responses = operation["responses"]
        assert str(response.status_code) in {str(k) for k in responses}, f"{method.upper()} {path}: status {response.status_code} not documented"
        documented = responses.get(response.status_code) or responses.get(str(response.status_code))
        content = documented.get("content", {})
        ctype = response.get("Content-Type", "").split(";")[0]
        assert ctype in content, f"{method.upper()} {path}: {ctype} not documented for {response.status_code}"
        if ctype == "application/json":
            check_schema(self.schema, content[ctype]["schema"], response.json(), f"{method.upper()} {path} {response.status_code}")
        return response


def find_operation(schema: dict, method: str, path: str):
    path = path.split("?")[0]
    for template, ops in schema["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method in ops:
            # a literal path wins over a templated one (/batches/records vs /batches/{batch})
            literal = [t for t in schema["paths"] if t == path and method in schema["paths"][t]]
            return schema["paths"][literal[0]][method] if literal else ops[method]
    return None


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


_TYPES = {"string": str, "integer": int, "boolean": bool, "object": dict, "array": list, "number": (int, float), "null": type(None)}


def check_schema(schema: dict, node: dict, value, where: str) -> None:
    """A small JSON-schema check for what our schemas use ($ref, anyOf, object, array, enum)."""
    node = _resolve(schema, node)
    if "anyOf" in node:
        errors = []
        for option in node["anyOf"]:
            try:
                check_schema(schema, option, value, where)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{where}: {value!r} matches none of {errors}")
    kind = node.get("type")
    if kind:
        expected = _TYPES[kind]
        assert isinstance(value, expected) and not (kind == "integer" and isinstance(value, bool)), f"{where}: {value!r} is not {kind}"
    if "enum" in node:
        assert value in node["enum"], f"{where}: {value!r} not in {node['enum']}"
    if kind == "object" and "properties" in node:
        props = node["properties"]
        missing = [k for k in node.get("required", []) if k not in value]
        assert not missing, f"{where}: missing {missing}"
        extra = [k for k in value if k not in props]
        assert not extra, f"{where}: undocumented {extra}"
        for k, v in value.items():
            check_schema(schema, props[k], v, f"{where}.{k}")
    if kind == "array" and "items" in node:
        for i, v in enumerate(value):
            check_schema(schema, node["items"], v, f"{where}[{i}]")


def assert_error_shape(response, status: int | None = None, code: str | None = None) -> dict:
    if status is not None:
        assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert isinstance(body["fields"], dict)
    assert re.search(r"[\u4e00-\u9fff]", body["message"]), f"message not Chinese: {body['message']}"
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def api_client(openapi, token):
    return CheckedClient(openapi, token)


@pytest.fixture
def anon_client(db, openapi):
    return CheckedClient(openapi)


@pytest.fixture
def client_for(db, openapi):
    def make(token: str | None, *, bearer: bool = False):
        return CheckedClient(openapi, token, bearer=bearer)

    return make
