"""xinyong audit verify [--json] | export FILE | verify-export FILE [--public-key B64] | checkpoint | public-key"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinyong.security import chain
from xinyong.security.selectors import audit_export, audit_verify, verify_export
from xinyong.security.services import audit_checkpoint


class Command(BaseCommand):
    help = (
        "审计日志哈希链：verify（校验链与签名检查点，指出被改动、删除、插入、调序的条目）| "
        "export FILE（导出条目与检查点，供第三方校验）| verify-export FILE | checkpoint（立即签署检查点）| public-key"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{verify,export,verify-export,checkpoint,public-key}")
        verify = sub.add_parser("verify", help="校验数据库中的审计日志")
        verify.add_argument("--json", action="store_true", help="机器可读的 JSON 输出")
        verify.add_argument("--against", help="一个较早的导出文件：被改动的条目同时列出哪些字段与导出时不同")
        export = sub.add_parser("export", help="导出审计日志（JSON Lines）")
        export.add_argument("file")
        vexp = sub.add_parser("verify-export", help="不连数据库，校验一个导出文件")
        vexp.add_argument("file")
        vexp.add_argument("--public-key", action="append", default=[], help="信任的签名公钥（base64），可多次给出；默认用导出文件头中的公钥")
        vexp.add_argument("--json", action="store_true")
        sub.add_parser("checkpoint", help="立即为链头签署检查点")
        sub.add_parser("public-key", help="显示审计签名公钥（base64），交给第三方校验者")

    def handle(self, *args, action, **options):
        if action == "verify":
            self._report(audit_verify(against=Path(options["against"]) if options["against"] else None), options["json"])
        elif action == "verify-export":
            try:
                report = verify_export(Path(options["file"]), public_keys=options["public_key"])
            except (OSError, ValueError) as exc:
                raise CommandError(f"无法读取导出文件：{exc}") from None
            self._report(report, options["json"])
        elif action == "export":
            header = audit_export(Path(options["file"]))
            self.stderr.write(f"已导出 {header['entries']} 条审计日志、{header['checkpoints']} 个检查点到 {options['file']}")
            self.stdout.write(json.dumps({"entries": header["entries"], "checkpoints": header["checkpoints"], "public_keys": header["public_keys"]}, ensure_ascii=False))
        elif action == "checkpoint":
            made = audit_checkpoint(force=True)
            self.stdout.write(json.dumps({"checkpoint": made.seq if made else None, "hash": made.hash if made else None}))
        else:
            self.stdout.write(chain.public_key_text())

    def _report(self, report: chain.Report, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        elif report.ok:
            self.stdout.write(f"审计日志完整：{report.entries} 条，{report.checkpoints} 个签名检查点，链头序号 {report.head_seq}，哈希 {report.head_hash}")
        else:
            for p in report.problems:
                self.stdout.write(f"[{p.code}] {p.message}")
        if not report.ok:
            more = "（仅列出前若干处）" if report.truncated else ""
            raise CommandError(f"审计日志校验失败：发现 {len(report.problems)} 处问题{more}")
