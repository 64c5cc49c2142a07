import json
import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from xinyong.common.filestore import DamagedFile
from xinyong.ingestion.errorfile import error_file_checked
from xinyong.ingestion.models import Batch
from xinyong.ingestion.pipeline import read_progress


class Command(BaseCommand):
    help = "查看报送批次：xinyong batch status ID [--follow]；xinyong batch errors ID [--out FILE] 输出拒收行文件（CSV，静态加密存放，在此解密）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "errors"])
        parser.add_argument("batch", help="批次号或批次标识（UUID）")
        parser.add_argument("--follow", action="store_true", help="持续显示进度直到完成")
        parser.add_argument("--out", help="errors：写入此文件（默认输出到标准输出）")

    def handle(self, action, batch, follow, out=None, **options):
        def load():
            query = Batch.objects.select_related("department")
            try:
                return query.get(public_id=batch) if "-" in batch else query.get(pk=int(batch))
            except (Batch.DoesNotExist, ValueError):
                raise CommandError(f"找不到批次 {batch}") from None

        b = load()
        if action == "errors":
            if b.error_path is None or not b.error_path.is_file():
                raise CommandError(f"批次 {b.id} 没有拒收行文件")
            self._errors(b, out)
            return
        while follow and not b.done:
            p = read_progress(b)
            self.stderr.write(f"\r{b.get_status_display()} 已处理 {p.get('total', 0):,} 行", ending="")
            time.sleep(1)
            b = load()
        summary = b.summary()
        summary["progress"] = read_progress(b)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _errors(self, b: Batch, out: str | None) -> None:
        """The decrypted error file (to FILE, mode 0600, or standard output), checked whole before
        anything is written; the read is audited like a download, once the destination is open."""
        from xinyong.security.services import Actor, audit_log

        try:  # read through first: a damaged file is an error before anything is written
            _, chunks = error_file_checked(b.error_path)
        except DamagedFile as exc:
            raise CommandError(exc.message) from None
        fh = sys.stdout.buffer
        if out:
            try:
                fh = os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
            except OSError as exc:
                raise CommandError(f"不能写入 {out}：{exc.strerror}") from None
        audit_log(actor=Actor.system("xinyong batch errors"), action="batch.errors.read", object_type="batch", object_id=b.id,
                  purpose="命令行导出拒收行文件", detail={"batch": str(b.public_id), "rejected": b.rejected})
        try:
            for chunk in chunks:
                fh.write(chunk)
        finally:
            if out:
                fh.close()
            else:
                fh.flush()
        if out:
            self.stderr.write(f"已写入 {out}（{b.rejected} 行拒收）")
