"""The API's documentation works offline and is complete: what a department system's
maintainers read instead of the source. Plus the error shape for what no operation handles."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from django.test import Client

from tests.api.conftest import assert_error_shape
from tests.api.test_batches import csv_upload
from xinyong.ingestion.models import Batch

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
EXPECTED = {
    ("post", "/api/v1/batches"),
    ("get", "/api/v1/batches"),
    ("post", "/api/v1/batches/records"),
    ("get", "/api/v1/batches/{batch}"),
    ("get", "/api/v1/batches/{batch}/errors"),
    ("get", "/api/v1/catalog/items"),
    ("get", "/api/v1/catalog/items/{code}"),
    ("get", "/api/v1/catalog/items/{code}/template.xlsx"),
    ("get", "/api/v1/departments/{code}"),
    ("get", "/api/v1/subjects/{key}"),
    ("get", "/api/v1/subjects/{code}/records"),
    ("post", "/api/v1/subjects/records/query"),
    ("get", "/api/v1/search"),
    ("post", "/api/v1/reports"),
    ("get", "/api/v1/reports/verify"),
    ("post", "/api/v1/reports/verify"),
    ("post", "/api/v1/checks"),
    ("post", "/api/v1/checks/bulk"),
    ("post", "/api/v1/checks/bulk/file"),
    ("post", "/api/v1/checks/feedback"),
    ("post", "/api/v1/checks/{check}/feedback"),
    ("post", "/api/v1/annual-reports"),
    ("post", "/api/v1/commitments"),
    ("post", "/api/v1/commitments/{code}/outcome"),
}


def test_docs_page_loads_from_local_files_only(db):
    client = Client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
    assert "swagger-ui-bundle.js" in " ".join(assets)


def test_openapi_lists_every_operation_in_chinese_with_documented_errors(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operations = {(m, p): op for p, ops in schema["paths"].items() for m, op in ops.items()}
    assert set(operations) == EXPECTED
    assert CJK.search(schema["info"]["title"]) and CJK.search(schema["info"]["description"])
    error = schema["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"code", "message", "fields"} and set(error["required"]) >= {"code", "message"}
    for (method, path), op in operations.items():
        where = f"{method.upper()} {path}"
        assert CJK.search(op.get("summary", "")) and CJK.search(op.get("description", "")), where
        assert op.get("tags") and all(CJK.search(t) for t in op["tags"]), where
        responses = {int(k): v for k, v in op["responses"].items()}
        assert any(200 <= s < 300 for s in responses), where
        for status, documented in responses.items():
            assert CJK.search(documented["description"]), (where, status)
            if status >= 400:
                assert documented["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}, (where, status)
        assert 500 in responses, where
        if op.get("security"):
            assert {401, 403} <= set(responses), where
        if method == "post":
            assert {413, 422} <= set(responses), where
        for param in op.get("parameters", []):
            assert param["in"] == "path" or CJK.search(param.get("description", "")), (where, param["name"])
    assert "ApiKeyAuth" in schema["components"]["securitySchemes"]


def test_unknown_paths_and_wrong_methods_answer_in_the_error_shape(anon_client):
    assert_error_shape(anon_client.client.get("/api/v2/anything"), 404, "unknown_path")
    response = anon_client.client.delete("/api/v1/batches")
    assert_error_shape(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert_error_shape(anon_client.client.put("/api/v1/catalog/items/penalty.gsj"), 405, "method_not_allowed")


def test_an_unexpected_failure_is_500_with_a_generic_message_and_logged(api_client, penalty_row, settings, tmp_path, caplog):
    # the batch folder is misconfigured: a file where a directory should be
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.XINYONG = {**settings.XINYONG, "BATCH_DIR": str(blocker)}
    with caplog.at_level(logging.ERROR, logger="xinyong.api"):
        response = api_client.post("/api/v1/batches", {"item": "penalty.gsj", "file": csv_upload([penalty_row()])})
    body = assert_error_shape(response, 500, "internal_error")
    assert str(tmp_path) not in response.content.decode() and "Error" not in body["message"]
    assert any(r.exc_info for r in caplog.records if r.name == "xinyong.api")
    assert Batch.objects.count() == 0


def test_every_error_code_is_documented():
    """Each code the API can answer with — ours, those of batch_submit, and those a batch can fail
    with (file-level refusals of the readers and the pipeline) — has a row in docs/api.md."""
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\|\s*`([a-z0-9_]+)`\s*\|", doc, flags=re.MULTILINE))
    codes = {"invalid_input", "file_rejected", "forbidden", "not_found", "conflict", "bad_request", "unauthorized", "payload_too_large"}
    for source in ["xinyong/api.py", "xinyong/security/keys.py", "xinyong/security/auth.py", "xinyong/ingestion/api.py", "xinyong/catalog/api.py", "xinyong/ingestion/services.py", "xinyong/measures/api.py", "xinyong/measures/services.py"]:
        text = (ROOT / source).read_text(encoding="utf-8")
        codes |= set(re.findall(r'code="([a-z0-9_]+)"', text))
        codes |= set(re.findall(r'error_response\([^,]+, \d+, "([a-z0-9_]+)"', text))
    for source in ["xinyong/ingestion/readers.py", "xinyong/ingestion/pipeline.py", "xinyong/ingestion/validation.py"]:
        text = (ROOT / source).read_text(encoding="utf-8")
        codes |= set(re.findall(r'(?:FileRejected|_finish)\((?:(?!FileRejected\(|_finish\().){0,600}?code="([a-z0-9_]+)"', text, flags=re.DOTALL))
    assert {"not_xlsx", "missing_columns", "conflict", "body_not_utf8", "key_revoked"} <= codes  # the scan finds them
    assert codes - documented == set()


def test_the_records_example_in_the_docs_is_accepted(api_client):
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    body = re.search(r'"\$API/batches/records" <<\'EOF\'\n(.*?)\nEOF\n', doc, flags=re.DOTALL).group(1)
    response = api_client.post_json("/api/v1/batches/records", body.encode("utf-8"))
    assert response.status_code == 201, response.content
    assert (response.json()["accepted"], response.json()["rejected"]) == (2, 0)
