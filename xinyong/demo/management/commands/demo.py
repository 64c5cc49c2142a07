"""`xinyong demo`: generate the demo province and load it through the ingestion pipeline."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import unicodedata
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xinyong.demo.generator import (
    API_KEY_DEPARTMENT,
    DEMO_PASSWORD,
    DEMO_USERS,
    MIN_SUBJECTS,
    demo_api_key,
    demo_generate,
    demo_load,
    demo_users_ensure,
)

USERS_TEXT = "\n".join(f"  {u:<15} {DEMO_PASSWORD}  {label}" for u, _, label in DEMO_USERS)
HELP = f"""生成并载入演示省份数据（吉林省9个市州及长白山的企业、个体工商户、合作社、事业单位、社会组织和自然人），
经与各部门相同的归集流程（batch_submit，渠道“演示数据”）逐批报送。

  xinyong demo --subjects 5000 --seed 2014            # make demo 的默认规模，约1分钟
  xinyong demo --subjects 200 --seed 7 --as-of 2026-06-30 --out var/demo/s7

同一种子、同一基准日（--as-of，默认今天）生成的文件逐字节相同。每个数据文件含少量问题行（校验位错误、
日期晚于今天或不存在、缺必填项、重复行、超长、只有名称无代码），以及只填旧工商注册号的记录（进入待人工关联）。

数据库中已有信用主体时：加 --if-empty 则什么也不做（make demo 使用）；否则拒绝执行，除非加 --force。

演示账号（密码相同，仅供演示，切勿用于生产）：
{USERS_TEXT}
另为 {API_KEY_DEPARTMENT} 创建一个接口密钥（令牌只在载入结束时显示一次）。
"""


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


class ProgressBar:
    """A plain-text progress bar on stderr: redrawn in place on a terminal, a line per 10%
    otherwise (logs, CI)."""

    def __init__(self, total: int, feeds: int, *, stream=None, enabled: bool = True):
        self.total = max(total, 1)
        self.feeds = feeds
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.monotonic()
        self.last_step = -1
        self.last_draw = 0.0

    def update(self, done: int, feed, index: int) -> None:
        if not self.enabled:
            return
        share = min(done / self.total, 1.0)
        elapsed = time.monotonic() - self.started
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw < 0.1 and done < self.total:
                return
            self.last_draw = now
            filled = int(share * 30)
            label = f"{feed.item_code} {feed.dept_code}"
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {share * 100:5.1f}%  {done:,}/{self.total:,} 行  批次 {index + 1}/{self.feeds}  {elapsed:4.0f}s  {label:<32}")
            self.stream.flush()
        else:
            step = int(share * 10)
            if step > self.last_step:
                self.last_step = step
                self.stream.write(f"载入 {share * 100:3.0f}%  {done:,}/{self.total:,} 行  批次 {index + 1}/{self.feeds}  {elapsed:.0f}s\n")
                self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--subjects", type=int, default=5000, help=f"信用主体数（至少 {MIN_SUBJECTS}，默认 5000）")
        parser.add_argument("--seed", type=int, default=2014, help="随机种子（默认 2014）")
        parser.add_argument("--as-of", dest="as_of", default=None, help="基准日 YYYY-MM-DD（默认今天；各类日期由此倒推）")
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有信用主体时不做任何事")
        parser.add_argument("--force", action="store_true", help="数据库中已有信用主体时仍然载入")
        parser.add_argument("--out", default=None, help="保留生成的数据文件的目录（默认用临时目录，载入后删除）")
        parser.add_argument("--no-progress", action="store_true", help="不在 stderr 显示进度条")

    def handle(self, *args, subjects, seed, as_of, if_empty, force, out, no_progress, **options):
        from xinyong.catalog.models import CatalogItem, Department
        from xinyong.catalog.registry import get_catalog
        from xinyong.subjects.models import Subject

        if not settings.XINYONG.get("DEMO_ALLOWED", True):
            raise CommandError("生产环境不允许载入演示数据（演示账号的密码是公开的）；培训用的副本可设置 XINYONG_DEMO_ALLOWED=1")
        if not Department.objects.exists() or not CatalogItem.objects.filter(active=True).exists():
            raise CommandError("信息资源目录尚未载入数据库：请先运行 xinyong migrate 和 xinyong catalog sync")
        today = timezone.localdate()
        try:
            day = date.fromisoformat(as_of) if as_of else today
        except ValueError:
            raise CommandError(f"--as-of 应为 YYYY-MM-DD，实为“{as_of}”") from None
        if day > today:
            raise CommandError(f"基准日 {day} 晚于今天：各类决定日期不能晚于今天")
        if subjects < MIN_SUBJECTS:
            raise CommandError(f"--subjects 至少为 {MIN_SUBJECTS}")
        if Subject.objects.exists():
            if if_empty:
                self.stdout.write(f"数据库中已有 {Subject.objects.count():,} 个信用主体，未载入演示数据（--if-empty）")
                return
            if not force:
                raise CommandError("数据库中已有信用主体，拒绝载入演示数据；如确需在现有数据上再载入，请加 --force")

        started = time.monotonic()
        show = not no_progress and options.get("verbosity", 1) > 0
        quiet = logging.getLogger("xinyong")
        level = quiet.level
        if options.get("verbosity", 1) < 2:
            quiet.setLevel(logging.WARNING)  # one audit line per batch would drown the progress bar
        tmp = None
        try:
            if out:
                folder = Path(out)
            else:
                tmp = tempfile.TemporaryDirectory(prefix="xinyong-demo-")
                folder = Path(tmp.name)
            if show:
                sys.stderr.write(f"生成演示数据：{subjects:,} 个信用主体，种子 {seed}，基准日 {day}……\n")
            plan = demo_generate(subjects=subjects, seed=seed, as_of=day, out_dir=folder)
            generated = time.monotonic() - started
            if show:
                sys.stderr.write(f"已生成 {len(plan.feeds)} 个数据文件、{plan.total_rows:,} 行（{generated:.1f}s），开始报送……\n")
            users = demo_users_ensure()
            bar = ProgressBar(plan.total_rows, len(plan.feeds), enabled=show)
            result = demo_load(plan, users=users, on_progress=bar.update)
            bar.finish()
            key = demo_api_key(users=users)
            from xinyong.redress.demo import demo_cases_ensure

            demo_cases_ensure()  # objections (records marked 异议处理中) and a repair application
            from xinyong.tipoffs.demo import demo_tipoffs_ensure

            demo_tipoffs_ensure()  # tip-offs: one to route, one under joint verification, one unfounded
            from xinyong.agencies.demo import demo_agencies_ensure

            demo_agencies_ensure()  # credit service agencies, one complaint open and one closed
            from xinyong.commitments.demo import demo_commitments_ensure

            demo_commitments_ensure()  # a few signed credit commitments and one breach
            from xinyong.accounts.demo import demo_accounts_ensure

            self.subject_accounts = demo_accounts_ensure(password=DEMO_PASSWORD)  # /my/, printed below
            # bring everything that follows the change feed up to date (search index, lists...):
            # the scheduled jobs the worker would otherwise run within a minute
            from xinyong.common.schedule import run_due_jobs

            run_due_jobs()
        finally:
            quiet.setLevel(level)
            if tmp is not None:
                tmp.cleanup()
        elapsed = time.monotonic() - started
        self._report(get_catalog(), result, plan, key, elapsed, generated, folder if out else None)
        if result.failed:
            names = "、".join(f.filename for f, _ in result.failed[:5])
            raise CommandError(f"{len(result.failed)} 个批次处理失败：{names}")

    def _report(self, catalog, result, plan, key, elapsed, generated, folder) -> None:
        out = self.stdout
        rows = []
        for code, c in sorted(result.by_item().items()):
            item = catalog.items.get(code)
            name = item.name if item else code
            if item and item.family:
                name += f"（{catalog.systems[item.owner].name}）"
            rows.append((code, name, c["feeds"], c["rows"], c["accepted"], c["rejected"], c["to_review"], c["unchanged"]))
        head = ("信息项", "名称", "批次", "行数", "接收", "拒收", "待关联", "未变化")
        widths = [max(_width(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        line = "  ".join(_pad(h, widths[i], right=i >= 2) for i, h in enumerate(head))
        out.write(line)
        out.write("-" * _width(line))
        for r in rows:
            out.write("  ".join(_pad(f"{v:,}" if isinstance(v, int) else str(v), widths[i], right=i >= 2) for i, v in enumerate(r)))
        total = [sum(r[i] for r in rows) for i in range(2, len(head))]
        out.write("-" * _width(line))
        out.write("  ".join([_pad("合计", widths[0]), _pad("", widths[1])] + [_pad(f"{v:,}", widths[i + 2], right=True) for i, v in enumerate(total)]))
        out.write("")
        out.write(f"新建信用主体 {result.subjects_created:,} 个；批次 {len(result.batches)} 个；生成用时 {generated:.1f}s，报送用时 {result.seconds:.1f}s，总用时 {elapsed:.1f}s")
        if folder:
            out.write(f"数据文件及清单（manifest.json）保存在 {folder}")
        out.write("")
        out.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, dept, label in DEMO_USERS:
            out.write(f"  {username:<15} {label}" + (f"（{dept}）" if dept else ""))
        if getattr(self, "subject_accounts", None):
            out.write(f"“我的信用”主体账户（/my/login/，密码均为 {DEMO_PASSWORD}）：")
            for username, label in self.subject_accounts:
                out.write(f"  {username:<15} {label}")
        if key is not None:
            api_key, token = key
            out.write(f"接口密钥（{api_key.department.code} {api_key.name}；权限：{'、'.join(api_key.scopes)}；只显示这一次）：{token}")
            out.write("  请求须签名（HMAC，见 docs/api.md）；开发环境也接受 Authorization: Bearer <密钥>")
