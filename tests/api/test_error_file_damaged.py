"""A damaged error file through the API (issue 7 item 6): the one error shape (500, file_damaged)
before anything of the CSV is sent, not a download cut off midway; an intact one has its length."""

from __future__ import annotations

from tests.api.conftest import assert_error_shape
from tests.api.test_batches import BATCHES, csv_upload
from tests.web.test_error_file_damaged import flip_in_line, reseal_in_small_chunks
from xinyong.ingestion.models import Batch
from xinyong.security.models import AuditEntry


def test_a_damaged_error_file_is_an_error_in_the_api_shape(api_client, penalty_row):
    bad = penalty_row(统一社会信用代码="91220101MA1234567X")
    body = api_client.post(BATCHES, {"item": "penalty.gsj", "file": csv_upload([penalty_row(), bad])}).json()
    path = Batch.objects.get(public_id=body["batch"]).error_path
    content = reseal_in_small_chunks(path)
    whole = api_client.get(body["errors_url"])
    assert whole.status_code == 200 and whole["Content-Length"] == str(len(content)) and b"".join(whole.streaming_content) == content

    flip_in_line(path, -2)
    error = assert_error_shape(api_client.get(body["errors_url"]), 500, "file_damaged")
    assert "文件无法读取" in error["message"] and "91220101MA1234567X" not in error["message"]
    assert AuditEntry.objects.filter(action="batch.errors.read").count() == 1  # the intact download only
