"""Backups with an integrity check, and the restore drill (issue 7, item 8): back up, change the
data and the stored documents, restore, the data is back, an attachment downloads with its
original bytes, and the audit chain verifies; a backup with one altered byte (database or
document), a forged manifest, a missing or an extra file is refused with a clear message. Runs on
SQLite (online backup API) and, in CI's PostgreSQL stage, on PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from xinyong.cases import services as case_services
from xinyong.common import filestore
from xinyong.security import chain
from xinyong.security.keys import apikey_create, apikey_revoke
from xinyong.security.models import ApiKey, AuditEntry
from xinyong.security.selectors import audit_verify
from xinyong.security.services import Actor

ID_NUMBER = "220102198807154417"
EVIDENCE = ("%PDF-1.4\n1 0 obj<</Title(居民身份证复印件 刘淑芬 " + ID_NUMBER + ")>>endobj\ntrailer<<>>\n%%EOF\n").encode()
DATABASES = {"database.sqlite3", "database.pgdump"}


def signed_manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["manifest"]


def run(*args) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return json.loads(out.getvalue().strip().splitlines()[-1]), str(exc)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


@pytest.fixture
def stores(tmp_path, settings) -> dict[str, Path]:
    """Every store of files in folders of this test: a restore makes them equal to the backup's."""
    live = tmp_path / "live"
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(live / "media")}}}
    settings.XINYONG = {
        **settings.XINYONG, "BATCH_DIR": str(live / "batches"),
        **{app: {**settings.XINYONG[app], "FILES_DIR": str(live / app.lower())} for app in ("CASES", "ACCESS", "COMMITMENTS")},
    }
    return {"cases": live / "cases", "consents": live / "access", "commitments": live / "commitments",
            "letters": live / "media" / "accounts" / "letters", "error_files": live / "batches"}


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.django_db(transaction=True)
def test_restore_drill(catalog_loaded, dept, operator, stores, tmp_path):
    actor = Actor.system("演练")
    kept, _ = apikey_create(department=dept(), name="保留的系统", actor=actor)
    reviewer = operator("220100-GSJ")
    case, _ = case_services.case_open(kind="objection", title="异议", body="处罚对象不是本人", actor=actor, department=dept(), applicant_name="刘淑芬",
                                      uploads=[SimpleUploadedFile("身份证复印件.pdf", EVIDENCE, content_type="application/pdf")])
    att = case.attachments.get()
    attachment = stores["cases"] / att.stored_name
    letter = filestore.write(stores["letters"] / "2026" / "11" / "letter-1-0123.pdf", b"%PDF-1.4 letter " + ID_NUMBER.encode())
    legacy = stores["consents"] / "consent-1-0123.pdf"  # plain, stored before encryption at rest: copied as it is
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"%PDF-1.4 a signed paper consent")
    error_file = filestore.write(stores["error_files"] / "b1" / "errors.csv.enc", ("3,身份证号,校验位错误," + ID_NUMBER).encode())
    (stores["error_files"] / "b1" / "progress.json").write_text("{}", encoding="utf-8")  # not an error file: not backed up

    backup = tmp_path / "backup-1"
    summary, notes = run("backup", str(backup))
    assert summary["ok"] and "已备份" in notes and "存储的文件 4 个" in notes
    manifest = signed_manifest(backup)
    # the command's line sums the files up; each with its hash is in the folder's manifest.json
    assert summary["manifest"] == str(backup / "manifest.json") and summary["documents"] == manifest["documents"]
    assert summary["files"] == {"count": 5, "bytes": sum(f["bytes"] for f in manifest["files"].values())}
    documents = {f"documents/cases/{att.stored_name}": attachment, "documents/letters/2026/11/letter-1-0123.pdf": letter,
                 "documents/consents/consent-1-0123.pdf": legacy, "documents/error_files/b1/errors.csv.enc": error_file}
    [database] = set(manifest["files"]) & DATABASES
    assert set(manifest["files"]) == {database, *documents}
    assert manifest["documents"] == {"cases": 1, "consents": 1, "commitments": 0, "letters": 1, "error_files": 1}
    for name, live in documents.items():  # copied as they are: still encrypted, never decrypted
        copy = (backup / name).read_bytes()
        assert copy == live.read_bytes() and manifest["files"][name] == {"sha256": hashlib.sha256(copy).hexdigest(), "bytes": len(copy)}
        assert (ID_NUMBER.encode() not in copy) and oct((backup / name).stat().st_mode & 0o777) == "0o600"
    entries_at_backup = AuditEntry.objects.count()
    assert manifest["audit_head"]["seq"] == AuditEntry.objects.order_by("-seq").first().seq

    # after the backup: a new key, the kept one revoked; the attachment lost, a letter overwritten,
    # a document added
    apikey_create(department=dept(), name="备份后的系统", actor=actor)
    apikey_revoke(key=kept, actor=actor, reason="演练")
    assert ApiKey.objects.count() == 2
    attachment.unlink()
    filestore.write(letter, b"another letter")
    later = filestore.write(stores["cases"] / ("f" * 40), b"added after the backup")

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup), stdout=io.StringIO())
    result, notes = run("restore", str(backup), "--yes")
    assert result["ok"] and result["audit"]["ok"], result
    assert "审计日志完整" in notes and "存储的文件：恢复 2 个，未变 2 个，删除备份之后新增的 1 个" in notes
    assert result["documents"]["cases"] == {"files": 1, "restored": 1, "unchanged": 0, "removed": 1}
    assert list(ApiKey.objects.values_list("name", "revoked_at")) == [("保留的系统", None)]
    assert AuditEntry.objects.count() == entries_at_backup + 1  # the restore itself is recorded
    assert AuditEntry.objects.order_by("-seq").first().action == "backup.restore"
    assert audit_verify().ok
    assert not later.exists() and (stores["error_files"] / "b1" / "progress.json").exists()
    assert filestore.read(letter) == b"%PDF-1.4 letter " + ID_NUMBER.encode()
    assert oct(attachment.stat().st_mode & 0o777) == "0o600" and not [p for p in stores["cases"].iterdir() if p.name.startswith(".")]
    browser = Client()
    browser.force_login(reviewer)
    download = browser.get(f"/dept/cases/{case.pk}/files/{att.public_id}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == EVIDENCE

    # one altered byte anywhere, in the database copy or in a document: refused, nothing touched
    apikey_create(department=dept(), name="恢复后的系统", actor=actor)
    added = filestore.write(stores["cases"] / ("e" * 40), b"added after the restore")
    for name in (database, f"documents/cases/{att.stored_name}"):
        tampered = tmp_path / f"backup-tampered-{len(name)}"
        shutil.copytree(backup, tampered)
        flip(tampered / name)
        result, message = run("restore", str(tampered), "--yes")
        assert result == {"ok": False, "code": "backup_file_altered", "message": result["message"], "fields": {"file": name}}
        assert f"备份文件 {name} 已被改动" in message and "拒绝恢复" in message and "[backup_file_altered]" in message
    assert ApiKey.objects.filter(name="恢复后的系统").exists() and added.exists()
    assert audit_verify().ok

    # a document missing from the backup, or one more than it lists
    missing = tmp_path / "backup-missing"
    shutil.copytree(backup, missing)
    (missing / "documents/letters/2026/11/letter-1-0123.pdf").unlink()
    result, message = run("restore", str(missing), "--yes")
    assert result["code"] == "backup_file_missing" and "letter-1-0123.pdf" in message
    extra = tmp_path / "backup-extra"
    shutil.copytree(backup, extra)
    (extra / "documents" / "cases" / ("d" * 40)).write_bytes(b"planted")
    result, message = run("restore", str(extra), "--yes")
    assert result["code"] == "backup_file_unlisted" and "d" * 40 in message
    assert added.exists() and not (stores["cases"] / ("d" * 40)).exists()


@pytest.mark.django_db(transaction=True)
def test_a_forged_manifest_or_an_extra_file_is_refused(catalog_loaded, stores, tmp_path):
    backup = tmp_path / "b"
    run("backup", str(backup))
    name = next(iter(signed_manifest(backup)["files"]))

    forged = tmp_path / "forged"
    shutil.copytree(backup, forged)
    data = bytearray((forged / name).read_bytes())
    data[-1] ^= 0xFF
    (forged / name).write_bytes(bytes(data))
    signed = json.loads((forged / "manifest.json").read_text(encoding="utf-8"))
    signed["manifest"]["files"][name]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()  # the attacker fixes the hash
    (forged / "manifest.json").write_text(json.dumps(signed), encoding="utf-8")
    result, message = run("restore", str(forged), "--yes")
    assert result["code"] == "backup_signature_invalid" and "签名无效" in message

    extra = tmp_path / "extra"
    shutil.copytree(backup, extra)
    (extra / "payload.sql").write_text("DROP TABLE x;", encoding="utf-8")
    result, message = run("restore", str(extra), "--yes")
    assert result["code"] == "backup_file_unlisted" and "payload.sql" in message

    result, message = run("restore", str(tmp_path / "nowhere"), "--yes")
    assert result["code"] == "backup_manifest_missing"

    result, message = run("backup", str(backup))  # not an empty folder
    assert result["code"] == "backup_target_not_empty"


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_before_the_documents_restores_the_database_and_leaves_the_files(catalog_loaded, dept, stores, tmp_path):
    """A backup written before documents were included (manifest v 1: the database only) still
    restores; the stored files are left as they are, and the output says so."""
    kept = filestore.write(stores["cases"] / ("c" * 40), EVIDENCE)
    backup = tmp_path / "v1"
    run("backup", str(backup))
    manifest = signed_manifest(backup)
    shutil.rmtree(backup / "documents")
    old = {key: value for key, value in manifest.items() if key != "documents"}
    old.update(v=1, files={name: value for name, value in manifest["files"].items() if name in DATABASES})
    key_id, signature = chain.sign(old)
    (backup / "manifest.json").write_text(json.dumps({"manifest": old, "key_id": key_id, "signature": signature}), encoding="utf-8")
    apikey_create(department=dept(), name="备份后的系统", actor=Actor.system("演练"))

    result, notes = run("restore", str(backup), "--yes")
    assert result["ok"] and result["documents"] is None and "该备份不含存储的文件" in notes
    assert not ApiKey.objects.exists() and filestore.read(kept) == EVIDENCE


def test_a_copy_of_a_wal_database_is_one_file_and_restoring_it_writes_nothing_beside_it(tmp_path):
    """The platform's SQLite runs in WAL mode: its copy must not need (or create) -wal/-shm files,
    which would make the backup folder differ from its manifest."""
    import sqlite3

    from xinyong.security.backup import sqlite_copy, sqlite_load

    live = sqlite3.connect(tmp_path / "live.sqlite3")
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("CREATE TABLE t (v TEXT)")
    live.execute("INSERT INTO t VALUES ('保留')")
    live.commit()
    folder = tmp_path / "backup"
    folder.mkdir()
    sqlite_copy(live, folder / "database.sqlite3")
    assert (folder / "database.sqlite3").read_bytes()[18:20] == b"\x01\x01"  # not WAL
    live.execute("DELETE FROM t")
    live.commit()
    sqlite_load(folder / "database.sqlite3", live)
    assert live.execute("SELECT v FROM t").fetchall() == [("保留",)]
    assert sorted(p.name for p in folder.iterdir()) == ["database.sqlite3"]
    live.close()
