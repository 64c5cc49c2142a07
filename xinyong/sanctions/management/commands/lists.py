"""`xinyong lists rebuild|update|show`: derived list entries (sanctions.services)."""

from __future__ import annotations

import json
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from xinyong.catalog.registry import get_catalog
from xinyong.sanctions import selectors, services
from xinyong.security.services import Actor


class Command(BaseCommand):
    help = (
        "信用名单：rebuild（依据全部信用记录重建自动列入的名单条目）| update（按变更流水更新，定时任务 lists.update 所做的事）"
        " | show（各名单当前公开的条目数）"
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "update", "show"])
        parser.add_argument("--day", default=None, help="按哪一天判断公示期（YYYY-MM-DD，默认今天）")
        parser.add_argument("--json", action="store_true", help="机器可读的 JSON 输出")

    def handle(self, action, day=None, json=False, **options):  # noqa: A002
        try:
            on = date.fromisoformat(day) if day else None
        except ValueError:
            raise CommandError(f"--day 应为 YYYY-MM-DD，实为“{day}”") from None
        started = time.monotonic()
        if action == "show":
            counts = selectors.list_counts(on)
            if json:
                self.stdout.write(_dumps(counts))
                return
            lists = get_catalog().lists
            for code, n in counts.items():
                self.stdout.write(f"  {code:24} {lists[code].name:20} {n:>8,}")
            return
        if action == "rebuild":
            summary = services.lists_rebuild(day=on, actor=Actor.system("xinyong lists rebuild"))
        else:
            summary = services.lists_update(day=on)
        summary["seconds"] = round(time.monotonic() - started, 2)
        if json:
            self.stdout.write(_dumps(summary))
            return
        what = "重建" if summary.get("rebuilt") else "更新"
        self.stdout.write(
            f"名单已{what}（{summary['day']}）：新列入 {summary['added']:,}，重新列入 {summary['relisted']:,}，"
            f"信息更新 {summary['updated']:,}，移出 {summary['removed']:,}"
            + (f"；认定的条目期满或依据失效移出 {summary['designations_ended']:,}" if summary.get("designations_ended") else "")
            + (f"；处理变更流水 {summary['events']:,} 条" if "events" in summary else "")
            + (f"；自动列入的条目共 {summary['listed']:,} 条" if summary.get("listed") is not None else "")
            + f"；用时 {summary['seconds']}s"
        )


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
