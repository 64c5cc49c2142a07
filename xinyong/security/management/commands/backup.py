"""xinyong backup DIR: a consistent copy of the database and the stored documents, with a signed
manifest."""

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinyong.security.backup import MANIFEST, BackupRefused, backup_create
from xinyong.security.services import Actor


def command_actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor.system(f"命令行:{who}")


class Command(BaseCommand):
    help = "备份数据库（SQLite：在线备份；PostgreSQL：pg_dump）和存储的文件（加密原样复制）到一个新目录，附带签名的 SHA-256 清单"

    def add_arguments(self, parser):
        parser.add_argument("dir", help="备份目录（新目录或空目录）")

    def handle(self, *args, dir, **options):  # noqa: A002 (the argument's name)
        try:
            manifest = backup_create(Path(dir), actor=command_actor())
        except BackupRefused as exc:
            self.stdout.write(json.dumps({"ok": False, **exc.as_dict()}, ensure_ascii=False))
            raise CommandError(f"{exc.message} [{exc.code}]") from None
        database = next(name for name in manifest["files"] if "/" not in name)
        self.stderr.write(f"已备份到 {dir}：{database}，存储的文件 {sum(manifest['documents'].values())} 个；审计链头序号 {manifest['audit_head']['seq']}")
        # a summary: the manifest itself (every file with its hash) is manifest.json in the folder
        summary = {key: value for key, value in manifest.items() if key != "files"}
        summary["files"] = {"count": len(manifest["files"]), "bytes": sum(f["bytes"] for f in manifest["files"].values())}
        self.stdout.write(json.dumps({"ok": True, "dir": str(dir), "manifest": str(Path(dir) / MANIFEST), **summary}, ensure_ascii=False))
