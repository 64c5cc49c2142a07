"""Files at rest (common/filestore.py): sealed with the field keys, read back whole, chunk by
chunk; plain files of before still served; rotation; any tampering is a DamagedFile whose log
line names the file, never its content; `xinyong files encrypt | rekey | check`."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from xinyong.common import filestore
from xinyong.common.crypto import encrypt

ID_NUMBER = "220102198807154417"
PDF = ("%PDF-1.4\n1 0 obj<</Title(身份证复印件 张秀兰 " + ID_NUMBER + ")>>endobj\ntrailer<<>>\n%%EOF\n").encode()
BIG = PDF + os.urandom(filestore.CHUNK_BYTES * 2 + 12345) + b"MARKER-AT-THE-END"  # three chunks


def on_disk(path: Path) -> bytes:
    return path.read_bytes()


def test_sealed_on_disk_and_given_back_whole(tmp_path):
    path = filestore.write(tmp_path / "a" / "doc", PDF)
    raw = on_disk(path)
    assert raw.startswith(filestore.MAGIC)
    for clear in (ID_NUMBER.encode(), "张秀兰".encode(), b"%PDF"):
        assert clear not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert filestore.read(path) == PDF and filestore.verify(path) == len(PDF)
    assert [p.name for p in path.parent.iterdir()] == ["doc"]  # no temporary file left behind


def test_a_large_file_streams_in_chunks(tmp_path):
    path = filestore.write(tmp_path / "big", BIG)
    parts = list(filestore.chunks(path))
    assert len(parts) == 3 and max(len(p) for p in parts) == filestore.CHUNK_BYTES
    assert b"".join(parts) == BIG and b"MARKER-AT-THE-END" not in on_disk(path)
    with filestore.open_file(path) as fh:
        assert fh.size == len(BIG) and fh.read() == BIG


def test_a_plain_file_of_before_is_read_as_it_is(tmp_path):
    legacy = tmp_path / "legacy.pdf"
    legacy.write_bytes(PDF)
    assert not filestore.is_sealed(legacy)
    assert filestore.read(legacy) == PDF
    with filestore.open_file(legacy) as fh:
        assert fh.read() == PDF


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _tamper(path: Path, how: str, other: Path) -> None:
    lines = _lines(path)
    if how == "flip":
        token = bytearray(lines[2])
        token[40] = ord("A") if token[40] != ord("A") else ord("B")
        lines[2] = bytes(token)
    elif how == "drop_middle":
        del lines[2]
    elif how == "drop_last":
        del lines[-1]
    elif how == "swap":
        lines[1], lines[2] = lines[2], lines[1]
    elif how == "cut":
        lines[-1] = lines[-1][:-30]
    elif how == "graft":  # a chunk of another sealed file
        lines[2] = _lines(other)[2]
    elif how == "append":
        lines.append(lines[-1])
    elif how == "header":
        lines[0] = filestore.MAGIC + b"0" * 32 + b"\n"
    path.write_bytes(b"".join(lines))


@pytest.mark.parametrize("how", ["flip", "drop_middle", "drop_last", "swap", "cut", "graft", "append", "header"])
def test_any_tampering_is_a_damaged_file_logged_without_content(tmp_path, caplog, how):
    path = filestore.write(tmp_path / "doc", BIG)
    other = filestore.write(tmp_path / "other", BIG)
    _tamper(path, how, other)
    with caplog.at_level(logging.DEBUG), pytest.raises(filestore.DamagedFile) as exc:
        filestore.open_file(path)
    assert exc.value.status == 500 and "文件无法读取" in exc.value.message
    logged = [r for r in caplog.records if r.name == "xinyong.common.filestore"]
    assert logged and logged[0].levelname == "ERROR" and logged[0].file == "doc"
    text = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert ID_NUMBER not in text and "张秀兰" not in text


def test_old_files_still_read_after_a_new_key_and_rekey_moves_them(tmp_path, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    path = filestore.write(tmp_path / "doc", BIG)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert filestore.read(path) == BIG and not filestore.under_primary_key(path)
    assert filestore.rekey_in_place(path) is True
    assert filestore.under_primary_key(path) and filestore.rekey_in_place(path) is False
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key removed: the file reads
    assert filestore.read(path) == BIG
    settings.FIELD_ENCRYPTION_KEYS = [old]  # only the old key: it does not
    with pytest.raises(filestore.DamagedFile):
        filestore.read(path)


# ---------------------------------------------------------------------- xinyong files
@pytest.fixture
def folders(tmp_path, settings):
    roots = {name: tmp_path / name for name in ("cases", "consents", "commitments", "batches", "media")}
    roots["letters"] = roots["media"] / "accounts" / "letters"  # the authorization letters' file storage
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(roots["media"])}}}
    settings.XINYONG = {
        **settings.XINYONG, "BATCH_DIR": str(roots["batches"]),
        "CASES": {**settings.XINYONG["CASES"], "FILES_DIR": str(roots["cases"])},
        "ACCESS": {**settings.XINYONG["ACCESS"], "FILES_DIR": str(roots["consents"])},
        "COMMITMENTS": {**settings.XINYONG["COMMITMENTS"], "FILES_DIR": str(roots["commitments"])},
    }
    return roots


def files(action: str) -> dict:
    out = io.StringIO()
    call_command("files", action, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_files_encrypt_seals_plain_files_once_and_rekey_moves_them_to_the_new_key(folders, settings):
    from xinyong.ingestion.errorfile import read_error_file
    from xinyong.security.models import AuditEntry

    csv_text = "\ufeff【行号】,【错误字段】,【错误原因】,姓名,身份证号\n3,身份证号,校验位错误,张秀兰," + ID_NUMBER + "\n"
    plain = {
        folders["cases"] / ("a" * 40): PDF,
        folders["consents"] / "consent-7-abc.pdf": PDF + b"consent",
        folders["commitments"] / "c0ffee.pdf": PDF + b"commitment",
        folders["letters"] / "2026" / "11" / "letter-3-abc.pdf": PDF + b"letter",
        folders["batches"] / "b1" / "errors.csv": csv_text.encode(),
    }
    for path, data in plain.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    legacy_enc = folders["batches"] / "b2" / "errors.csv.enc"  # the error files of before the sealed format
    legacy_enc.parent.mkdir(parents=True)
    legacy_enc.write_text(encrypt(csv_text) + "\n", encoding="ascii")
    sealed = filestore.write(folders["cases"] / ("b" * 40), BIG)
    (folders["batches"] / "b1" / "upload.csv").write_bytes(b"left alone")

    first = files("encrypt")
    assert first["ok"] and {k: (v["files"], v["changed"], v["unchanged"]) for k, v in first["stores"].items()} == {
        "cases": (2, 1, 1), "consents": (1, 1, 0), "commitments": (1, 1, 0), "letters": (1, 1, 0), "error_files": (2, 2, 0),
    }
    for path, data in plain.items():
        raw = path.read_bytes()
        assert raw.startswith(filestore.MAGIC) and ID_NUMBER.encode() not in raw and b"%PDF" not in raw
        assert oct(path.stat().st_mode & 0o777) == "0o600" and filestore.read(path) == data
    assert filestore.read(sealed) == BIG
    assert read_error_file(folders["batches"] / "b1" / "errors.csv") == read_error_file(legacy_enc) == csv_text.lstrip("\ufeff")
    assert (folders["batches"] / "b1" / "upload.csv").read_bytes() == b"left alone"
    assert AuditEntry.objects.filter(action="files.encrypt").count() == 1

    before = {p: p.read_bytes() for p in [*plain, legacy_enc, sealed]}
    second = files("encrypt")
    assert sum(v["changed"] for v in second["stores"].values()) == 0
    assert {p: p.read_bytes() for p in before} == before  # nothing rewritten

    old = settings.FIELD_ENCRYPTION_KEYS[0]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    assert filestore.read(sealed) == BIG  # the old files read under the new key list
    moved = files("rekey")
    assert sum(v["changed"] for v in moved["stores"].values()) == 7
    assert sum(v["changed"] for v in files("rekey")["stores"].values()) == 0
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    checked = files("check")
    assert checked["ok"] and sum(v["damaged"] for v in checked["stores"].values()) == 0
    assert filestore.read(sealed) == BIG and read_error_file(legacy_enc) == csv_text.lstrip("\ufeff")


@pytest.mark.django_db
def test_files_check_names_a_damaged_file_and_fails(folders):
    path = filestore.write(folders["consents"] / "consent-1-x.pdf", BIG)
    _tamper(path, "flip", path)
    err = io.StringIO()
    with pytest.raises(CommandError, match="consent-1-x.pdf") as exc:
        call_command("files", "check", stdout=io.StringIO(), stderr=err)
    assert "无法读取" in str(exc.value) and ID_NUMBER not in str(exc.value)
    assert "书面授权书：共 1 个" in err.getvalue()


@given(st.text(min_size=0, max_size=80))
def test_a_stored_name_never_points_outside_its_folder(stored):
    """Whatever a row holds (a name, an earlier version's full path, '..', junk), the document is
    looked for directly in the configured folder, or nowhere."""
    folder = Path("/srv/xinyong/files")
    place = filestore.stored_at(folder, stored)
    assert place is None or (place.parent == folder and place.name not in ("", ".", ".."))


def test_a_stored_name_or_an_old_full_path_is_found_in_todays_folder():
    assert filestore.stored_at("/new/files", "ab12.pdf") == Path("/new/files/ab12.pdf")
    assert filestore.stored_at("/new/files", "/old/var/commitment-files/ab12.pdf") == Path("/new/files/ab12.pdf")
    assert filestore.stored_at("/new/files", "") is None and filestore.stored_at("/new/files", "a/..") is None
