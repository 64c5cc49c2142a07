"""xinyong restore DIR: verify a backup's signed manifest, restore the database and the stored
documents, verify the audit chain."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinyong.security.backup import BackupRefused, backup_restore
from xinyong.security.management.commands.backup import command_actor


class Command(BaseCommand):
    help = "从备份目录恢复数据库和存储的文件（案件附件、授权书、承诺书、拒收行文件等）：先校验签名清单和每个文件的 SHA-256（有一个字节不符即拒绝），恢复后校验审计日志。请先停止网站和后台任务。"

    def add_arguments(self, parser):
        parser.add_argument("dir", help="备份目录（xinyong backup 生成）")
        parser.add_argument("--yes", action="store_true", help="确认用备份覆盖当前数据库和存储的文件")

    def handle(self, *args, dir, yes=False, **options):  # noqa: A002 (the argument's name)
        if not yes:
            raise CommandError("恢复会用备份覆盖当前数据库和存储的文件的全部内容（备份之后新增的文件会被删除）：确认无误后加 --yes 重新运行")
        try:
            manifest, report, documents = backup_restore(Path(dir), actor=command_actor())
        except BackupRefused as exc:
            self.stdout.write(json.dumps({"ok": False, **exc.as_dict()}, ensure_ascii=False))
            raise CommandError(f"{exc.message} [{exc.code}]") from None
        self.stdout.write(json.dumps({"ok": report.ok, "restored": manifest["created_at"], "documents": documents, "audit": report.as_dict()}, ensure_ascii=False))
        if not report.ok:
            raise CommandError(f"已恢复，但审计日志校验失败：{report.problems[0].message}")
        if documents is None:
            files = "该备份不含存储的文件（旧格式的备份），文件未改动"
        else:
            files = "存储的文件：恢复 {} 个，未变 {} 个，删除备份之后新增的 {} 个".format(
                *(sum(c[k] for c in documents.values()) for k in ("restored", "unchanged", "removed")))
        self.stderr.write(f"已恢复 {manifest['created_at']} 的备份；{files}；审计日志完整（{report.entries} 条）")
