"""A damaged error file is found before its download starts (issue 7 item 6): the department page
gives the Chinese error page (500) instead of a CSV cut off midway, and records no download; an
intact file of several chunks, and one in the format of before the sealed one, download whole."""

from __future__ import annotations

import logging
from pathlib import Path

from xinyong.common import filestore
from xinyong.common.crypto import encrypt
from xinyong.ingestion.errorfile import read_error_file
from xinyong.ingestion.models import Batch
from xinyong.security.models import AuditEntry


def rejected_batch(upload, penalty_row) -> tuple[Batch, Path]:
    upload([penalty_row(), penalty_row(统一社会信用代码="91220101MA1234567X"), penalty_row(统一社会信用代码="91220101MA7654321X")])
    batch = Batch.objects.get()
    assert batch.rejected == 2
    return batch, batch.error_path


def reseal_in_small_chunks(path: Path) -> bytes:
    """The same content, sealed in chunks of 40 bytes (a large file's shape, cheaply): returns it."""
    content = filestore.read(path)
    with filestore.open_private(path) as fh:
        writer = filestore.SealedWriter(fh, chunk_bytes=40)
        writer.write(content)
        writer.close()
    assert len(path.read_bytes().splitlines()) > 4
    return content


def flip_in_line(path: Path, index: int) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    token = bytearray(lines[index])
    token[30] = ord("A") if token[30] != ord("A") else ord("B")
    lines[index] = bytes(token)
    path.write_bytes(b"".join(lines))


def test_an_error_file_of_several_chunks_downloads_whole_with_its_length(upload, penalty_row, op_client):
    batch, path = rejected_batch(upload, penalty_row)
    content = reseal_in_small_chunks(path)
    response = op_client.get(f"/dept/batches/{batch.public_id}/errors.csv")
    assert response.status_code == 200 and response["Content-Length"] == str(len(content))
    assert b"".join(response.streaming_content) == content


def test_a_chunk_altered_near_the_end_gives_the_error_page_not_half_a_csv(upload, penalty_row, op_client, caplog):
    batch, path = rejected_batch(upload, penalty_row)
    reseal_in_small_chunks(path)
    flip_in_line(path, -2)  # the first chunks are intact: a check of the beginning only would pass
    with caplog.at_level(logging.ERROR):
        response = op_client.get(f"/dept/batches/{batch.public_id}/errors.csv")
    assert response.status_code == 500 and not response.streaming
    page = response.content.decode()
    assert "文件无法读取" in page and "Traceback" not in page and "Content-Disposition" not in response
    assert "91220101MA1234567X" not in page
    assert [r.reason for r in caplog.records if r.name == "xinyong.common.filestore"] == ["token"]
    assert not AuditEntry.objects.filter(action="batch.errors.download").exists()  # nothing was given


def test_an_error_file_of_before_the_sealed_format_downloads_and_a_damaged_one_is_refused(upload, penalty_row, op_client):
    batch, path = rejected_batch(upload, penalty_row)
    text = read_error_file(path)
    lines = text.splitlines(keepends=True)
    path.write_text("".join(encrypt(line) + "\n" for line in ["\ufeff" + lines[0], *lines[1:]]), encoding="ascii")  # one bare token per line
    response = op_client.get(f"/dept/batches/{batch.public_id}/errors.csv")
    assert response.status_code == 200 and b"".join(response.streaming_content).decode("utf-8-sig") == text

    flip_in_line(path, -1)
    response = op_client.get(f"/dept/batches/{batch.public_id}/errors.csv")
    assert response.status_code == 500 and "文件无法读取" in response.content.decode()


def test_the_command_refuses_a_damaged_error_file_before_writing_anything(upload, penalty_row, tmp_path):
    from django.core.management import CommandError, call_command

    batch, path = rejected_batch(upload, penalty_row)
    reseal_in_small_chunks(path)
    flip_in_line(path, -2)
    out = tmp_path / "errors.csv"
    before = AuditEntry.objects.filter(action="batch.errors.read").count()
    try:
        call_command("batch", "errors", str(batch.public_id), "--out", str(out))
    except CommandError as exc:
        assert "文件无法读取" in str(exc)
    else:
        raise AssertionError("a damaged error file was written out")
    assert not out.exists()  # no half file left behind
    assert AuditEntry.objects.filter(action="batch.errors.read").count() == before
