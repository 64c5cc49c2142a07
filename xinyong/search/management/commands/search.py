import json
import sys

from django.core.management.base import BaseCommand

from xinyong.search import indexer
from xinyong.search.services import search_rebuild, search_update
from xinyong.security.services import Actor


class Command(BaseCommand):
    help = "信用主体检索索引：rebuild（全量重建）| update（应用变更流水）| stats（索引规模）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "update", "stats"])
        parser.add_argument("--json", action="store_true", help="机器可读的 JSON 输出")

    def handle(self, action, json=False, **options):  # noqa: A002
        if action == "rebuild":
            def progress(n):
                if sys.stderr.isatty():
                    sys.stderr.write(f"\r已读取 {n:,} 个组织……")

            summary = search_rebuild(actor=Actor.system("xinyong search rebuild"), progress=progress)
            if sys.stderr.isatty():
                sys.stderr.write("\n")
            text = (
                f"检索索引已重建：组织 {summary['organizations']:,} 个，依法公示的个人 {summary['individuals']:,} 个，"
                f"精确键 {summary['keys']:,} 条，二元组倒排 {summary['postings']:,} 条，用时 {summary['seconds']} 秒"
                f"（已对应变更流水至 #{summary['feed_position']}）"
            )
        elif action == "update":
            summary = search_update()
            if summary.get("rebuilt"):
                text = f"检索索引首次建立：{summary['organizations'] + summary['individuals']:,} 个主体，用时 {summary['seconds']} 秒"
            else:
                text = (
                    f"已应用变更流水 {summary['events']:,} 条：涉及主体 {summary['subjects']:,} 个，更新 {summary['changed']:,} 个，"
                    f"移出 {summary['removed']:,} 个（已读至 #{summary['feed_position']}）"
                )
        else:
            summary = indexer.index_stats()
            behind = summary["feed_latest"] - summary["feed_position"]
            text = (
                f"检索索引：主体 {summary['entries']:,} 个（组织 {summary['organizations']:,}，个人 {summary['individuals']:,}），"
                f"精确键 {summary['keys']:,} 条，二元组倒排 {summary['postings']:,} 条（{summary['grams']:,} 个不同二元组）；"
                f"变更流水已读至 #{summary['feed_position']}，最新 #{summary['feed_latest']}"
                + (f"，待处理约 {behind:,} 条" if behind > 0 else "，已是最新")
            )
        self.stdout.write(_dumps(summary) if json else text)


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
