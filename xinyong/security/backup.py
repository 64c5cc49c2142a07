"""Backups with an integrity check, and their restore (`xinyong backup DIR`, `xinyong restore DIR`).

A backup is a folder:

    database.sqlite3 | database.pgdump   a consistent copy of the database: SQLite's online backup
                                         API; PostgreSQL's pg_dump, custom format (one snapshot)
    documents/<store>/<path>             the stored files (security/stores.py: case attachments,
                                         consents, commitment documents, authorization letters,
                                         error files), copied as they are: encrypted at rest with
                                         the field keys, never decrypted here
    manifest.json                        {"manifest": {format, v, created_at, vendor, files:
                                         {name: {sha256, bytes}}, documents: {store: count},
                                         audit_head: {seq, hash}}, "key_id", "signature"}: Ed25519
                                         over the canonical form of "manifest"
                                         (chain.canonical_bytes), with the audit key

Before the copy the backup is written to the audit chain and a checkpoint signs the chain's
head, so a restored database verifies up to its own backup. The documents are copied after the
database, so that every document the copied database names is in the backup (a document added
meanwhile is one more file, harmless). Restore checks the signature, then every file's SHA-256
and size, refuses a file that is not listed or a listed one that is missing; only then restores
the database, puts the documents back (each store made equal to the backup's: files added since
are removed), records the restore in the audit chain, and verifies the chain (`audit verify`).
A backup of before the documents were included (v 1) restores the database only. The key files
are not in the backup: keep them apart (docs/operations.md, "Keys").
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection
from django.utils import timezone

from xinyong.common import filestore
from xinyong.common.errors import XinyongError

from . import chain
from .models import AuditEntry
from .selectors import audit_verify
from .services import Actor, audit_checkpoint, audit_log
from .stores import Store, stores

FORMAT = "xinyong-backup"
MANIFEST = "manifest.json"
FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
DOCUMENTS = "documents"  # documents/<store>/<path in the store>
VERSION = 2  # 1: the database only


class BackupRefused(XinyongError):
    status = 422
    code = "backup_refused"

    def __init__(self, message: str, *, code: str, file: str | None = None):
        super().__init__(message, code=code, fields={"file": file} if file else {})
        self.file = file


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> dict:
    """Copy a file byte for byte into a new file of mode 0600; its SHA-256 and size, taken of what
    was written."""
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as fin, filestore.open_private(target, exclusive=True) as fout:
        while chunk := fin.read(1024 * 1024):
            digest.update(chunk)
            fout.write(chunk)
            size += len(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return {"sha256": digest.hexdigest(), "bytes": size}


def _vendor() -> str:
    if connection.vendor not in FILES:
        raise BackupRefused(f"不支持的数据库：{connection.vendor}", code="backup_unsupported_database")
    return connection.vendor


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    env = dict(os.environ)
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"), ("PGDATABASE", "NAME")):
        if s.get(key):
            env[var] = str(s[key])
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupRefused(
            f"本机找不到 {name}（PostgreSQL 客户端程序）：请安装与数据库服务器同一主版本的 postgresql-client，并把它放到 PATH 上",
            code="pg_tools_missing",
        )
    return path


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True, check=False)  # noqa: S603 (our own argument list)
    if done.returncode != 0:
        raise BackupRefused(f"{what}失败（退出码 {done.returncode}）：{done.stderr.strip()[-500:]}", code="backup_tool_failed")


def sqlite_copy(source: sqlite3.Connection, path: Path) -> None:
    """SQLite's online backup of a live database into one self-contained file (rollback journal,
    not WAL: opening the copy later must not create -wal/-shm files beside it)."""
    dst = sqlite3.connect(path)
    try:
        source.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()


def sqlite_load(path: Path, target: sqlite3.Connection) -> None:
    """Copy a backup file into the live database, page by page, without writing beside the file."""
    src = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        src.backup(target)
    finally:
        src.close()


def backup_create(target: Path, *, actor: Actor) -> dict:
    """Write a backup into `target` (a new or empty folder); returns the signed manifest."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupRefused(f"备份目录 {target} 不是空的：请指定一个新目录", code="backup_target_not_empty")
    vendor = _vendor()
    if vendor == "postgresql":
        _pg_tool("pg_dump")
    if connection.in_atomic_block:
        raise BackupRefused("不能在事务中备份", code="backup_in_transaction")
    target.mkdir(parents=True, exist_ok=True)
    name = FILES[vendor]
    audit_log(actor=actor, action="backup.create", object_type="backup", object_id=target.name, detail={"vendor": vendor})
    audit_checkpoint()
    head = AuditEntry.objects.order_by("-seq").values("seq", "hash").first() or {"seq": 0, "hash": chain.GENESIS}
    if vendor == "sqlite":
        connection.ensure_connection()
        sqlite_copy(connection.connection, target / name)
    else:
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={target / name}"], "pg_dump 备份")
    files = {name: {"sha256": _sha256(target / name), "bytes": (target / name).stat().st_size}}
    documents = {}
    for store in stores():  # after the database: every document it names is there
        documents[store.name] = 0
        for relative, path in store.files():
            entry = f"{DOCUMENTS}/{store.name}/{relative}"
            try:
                files[entry] = _copy(path, target / entry)
            except FileNotFoundError:  # removed since it was listed (a discarded upload)
                continue
            documents[store.name] += 1
    manifest = {
        "format": FORMAT, "v": VERSION, "created_at": chain.format_at(timezone.now()), "vendor": vendor,
        "files": dict(sorted(files.items())), "documents": documents, "audit_head": head,
    }
    key_id, signature = chain.sign(manifest)
    (target / MANIFEST).write_text(json.dumps({"manifest": manifest, "key_id": key_id, "signature": signature}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def backup_verify(source: Path) -> dict:
    """The manifest of a backup whose signature and files are intact, or BackupRefused saying
    which file (or the manifest) is wrong."""
    source = Path(source)
    try:
        signed = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        manifest, key_id, signature = signed["manifest"], signed["key_id"], signed["signature"]
        files = manifest["files"]
    except FileNotFoundError:
        raise BackupRefused(f"{source} 不是备份目录：缺少 {MANIFEST}", code="backup_manifest_missing", file=MANIFEST) from None
    except (ValueError, KeyError, TypeError):
        raise BackupRefused(f"备份清单 {MANIFEST} 无法读取（被改动或损坏）", code="backup_manifest_invalid", file=MANIFEST) from None
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"备份清单 {MANIFEST} 不是信用平台的备份清单", code="backup_manifest_invalid", file=MANIFEST)
    if not chain.signature_valid(manifest, key_id, signature, chain.trusted_keys()):
        raise BackupRefused(
            f"备份清单签名无效：{MANIFEST} 被改动，或不是用本平台的审计签名密钥签署的（密钥 {str(key_id)[:16]}）",
            code="backup_signature_invalid", file=MANIFEST,
        )
    _check_layout(manifest)
    present = {p.relative_to(source).as_posix() for p in source.rglob("*") if not p.is_dir()} - {MANIFEST}
    for name in sorted(present - set(files)):
        raise BackupRefused(f"备份目录中有清单未列出的文件：{name}", code="backup_file_unlisted", file=name)
    for name, expected in sorted(files.items()):
        path = source / name
        if not path.is_file() or path.is_symlink():
            raise BackupRefused(f"备份文件缺失：{name}", code="backup_file_missing", file=name)
        if path.stat().st_size != expected["bytes"] or _sha256(path) != expected["sha256"]:
            raise BackupRefused(f"备份文件 {name} 已被改动：SHA-256 与签名清单不符，拒绝恢复", code="backup_file_altered", file=name)
    return manifest


def _documents(manifest: dict) -> dict[Store, dict[str, dict]]:
    """The stores a backup carries, each with its files {path in the store: {sha256, bytes}}."""
    known = {store.name: store for store in stores()}
    carried: dict[Store, dict[str, dict]] = {known[name]: {} for name in manifest.get("documents", {})}
    by_name = {store.name: store for store in carried}
    for name, expected in manifest["files"].items():
        if name.startswith(f"{DOCUMENTS}/"):
            _, store_name, relative = name.split("/", 2)
            carried[by_name[store_name]][relative] = expected
    return carried


def _check_layout(manifest: dict) -> None:
    """The manifest names the database of its vendor and, under documents/, only files of the
    stores it carries, each a path that belongs in its store (no "..", no hidden file)."""
    invalid = BackupRefused(f"备份清单 {MANIFEST} 的内容不符合备份格式", code="backup_manifest_invalid", file=MANIFEST)
    documents, files = manifest.get("documents", {}), manifest["files"]
    if not isinstance(documents, dict) or not isinstance(files, dict) or FILES.get(manifest.get("vendor")) not in files:
        raise invalid
    known = {store.name: store for store in stores()}
    for store_name in documents:
        if store_name not in known:
            raise BackupRefused(f"备份中有本平台不认识的文件类别：{store_name}（备份来自更新的版本？）", code="backup_manifest_invalid", file=MANIFEST)
    for name in files:
        if name == FILES[manifest["vendor"]]:
            continue
        parts = name.split("/", 2)
        if len(parts) != 3 or parts[0] != DOCUMENTS or parts[1] not in documents or not known[parts[1]].owns(parts[2]):
            raise invalid


def _stage(source: Path, carried: dict[Store, dict[str, dict]]) -> tuple[list[tuple[Path, Path]], dict[str, dict[str, int]]]:
    """Copy the documents that differ from the live ones into temporary files beside their place
    (nothing live is changed yet); the (temporary, final) pairs and the counts per store."""
    staged: list[tuple[Path, Path]] = []
    counts: dict[str, dict[str, int]] = {}
    try:
        for store, files in carried.items():
            c = counts[store.name] = {"files": len(files), "restored": 0, "unchanged": 0, "removed": 0}
            for relative, expected in sorted(files.items()):
                final = store.root / relative
                if final.is_file() and final.stat().st_size == expected["bytes"] and _sha256(final) == expected["sha256"]:
                    c["unchanged"] += 1
                    continue
                temp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.restore")
                staged.append((temp, final))
                if _copy(source / f"{DOCUMENTS}/{store.name}/{relative}", temp) != expected:  # changed since it was verified
                    raise BackupRefused(f"备份文件 {DOCUMENTS}/{store.name}/{relative} 已被改动：SHA-256 与签名清单不符，拒绝恢复",
                                        code="backup_file_altered", file=f"{DOCUMENTS}/{store.name}/{relative}")
                c["restored"] += 1
    except BaseException:
        _unstage(staged)
        raise
    return staged, counts


def _unstage(staged: list[tuple[Path, Path]]) -> None:
    for temp, _ in staged:
        temp.unlink(missing_ok=True)


def _place(staged: list[tuple[Path, Path]], carried: dict[Store, dict[str, dict]], counts: dict[str, dict[str, int]]) -> None:
    """Put the staged documents in place, and remove from each store carried the files the backup
    does not have (added after the backup: the restored database does not know them)."""
    for temp, final in staged:
        os.replace(temp, final)
    for store, files in carried.items():
        for relative, path in store.files():
            if relative not in files:
                path.unlink(missing_ok=True)
                counts[store.name]["removed"] += 1


def backup_restore(source: Path, *, actor: Actor) -> tuple[dict, chain.Report, dict[str, dict[str, int]] | None]:
    """Verify the backup, replace the database and the stored documents with it, record the
    restore, verify the chain. Returns the manifest, the chain's report and the documents' counts
    per store (None for a backup without documents: the stores are left as they are). Stop the
    web server and the worker first: the database and the files are replaced under them."""
    source = Path(source)
    manifest = backup_verify(source)
    vendor = _vendor()
    if manifest["vendor"] != vendor:
        raise BackupRefused(f"这是 {manifest['vendor']} 数据库的备份，当前数据库是 {vendor}", code="backup_wrong_database")
    if connection.in_atomic_block:
        raise BackupRefused("不能在事务中恢复", code="backup_in_transaction")
    carried = _documents(manifest)
    staged, counts = _stage(source, carried)  # the slow part, before anything live changes
    path = source / FILES[vendor]
    try:
        if vendor == "sqlite":
            connection.ensure_connection()
            sqlite_load(path, connection.connection)
        else:
            tool = _pg_tool("pg_restore")
            connection.close()
            _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--no-comments", "--single-transaction",
                  "--exit-on-error", f"--dbname={connection.settings_dict['NAME']}", str(path)], "pg_restore 恢复")
    except BaseException:
        _unstage(staged)
        raise
    _place(staged, carried, counts)
    documents = counts if "documents" in manifest else None
    audit_log(actor=actor, action="backup.restore", object_type="backup", object_id=source.name[:64],
              detail={"created_at": manifest["created_at"], "audit_head": manifest["audit_head"], "documents": documents})
    return manifest, audit_verify(), documents
