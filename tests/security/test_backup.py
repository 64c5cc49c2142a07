"""Backups with an integrity check, and the restore drill (issue 7, item 8): back up, change the
data, restore, the data is back and the audit chain verifies; a backup with one altered byte, a
forged manifest or an extra file is refused with a clear message. Runs on SQLite (online backup
API) and, in CI's PostgreSQL stage, on PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from xinyong.security.keys import apikey_create, apikey_revoke
from xinyong.security.models import ApiKey, AuditEntry
from xinyong.security.selectors import audit_verify
from xinyong.security.services import Actor


def run(*args) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return json.loads(out.getvalue().strip().splitlines()[-1]), str(exc)
    return json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_restore_drill(catalog_loaded, dept, tmp_path):
    actor = Actor.system("演练")
    kept, _ = apikey_create(department=dept(), name="保留的系统", actor=actor)
    backup = tmp_path / "backup-1"
    manifest, notes = run("backup", str(backup))
    assert manifest["ok"] and "已备份" in notes
    assert set(manifest["files"]) == {"database.sqlite3"} or set(manifest["files"]) == {"database.pgdump"}
    entries_at_backup = AuditEntry.objects.count()
    assert manifest["audit_head"]["seq"] == AuditEntry.objects.order_by("-seq").first().seq

    # after the backup: a new key, the kept one revoked
    apikey_create(department=dept(), name="备份后的系统", actor=actor)
    apikey_revoke(key=kept, actor=actor, reason="演练")
    assert ApiKey.objects.count() == 2

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup), stdout=io.StringIO())
    result, notes = run("restore", str(backup), "--yes")
    assert result["ok"] and result["audit"]["ok"], result
    assert "审计日志完整" in notes
    assert list(ApiKey.objects.values_list("name", "revoked_at")) == [("保留的系统", None)]
    assert AuditEntry.objects.count() == entries_at_backup + 1  # the restore itself is recorded
    assert AuditEntry.objects.order_by("-seq").first().action == "backup.restore"
    assert audit_verify().ok

    # one altered byte anywhere in the database copy: refused, the database untouched
    apikey_create(department=dept(), name="恢复后的系统", actor=actor)
    tampered = tmp_path / "backup-tampered"
    shutil.copytree(backup, tampered)
    name = next(iter(manifest["files"]))
    data = bytearray((tampered / name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (tampered / name).write_bytes(bytes(data))
    result, message = run("restore", str(tampered), "--yes")
    assert result == {"ok": False, "code": "backup_file_altered", "message": result["message"], "fields": {"file": name}}
    assert f"备份文件 {name} 已被改动" in message and "拒绝恢复" in message and "[backup_file_altered]" in message
    assert ApiKey.objects.filter(name="恢复后的系统").exists()
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_forged_manifest_or_an_extra_file_is_refused(catalog_loaded, tmp_path):
    backup = tmp_path / "b"
    manifest, _ = run("backup", str(backup))
    name = next(iter(manifest["files"]))

    forged = tmp_path / "forged"
    shutil.copytree(backup, forged)
    data = bytearray((forged / name).read_bytes())
    data[-1] ^= 0xFF
    (forged / name).write_bytes(bytes(data))
    signed = json.loads((forged / "manifest.json").read_text(encoding="utf-8"))
    import hashlib

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
