import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from xinyong.common.errors import FileRejected, XinyongError
from xinyong.ingestion.services import batch_submit, get_department
from xinyong.security.services import Actor


class Command(BaseCommand):
    help = "报送一个文件：xinyong ingest --dept CODE --item CODE FILE；输出一行 JSON 摘要"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dept", required=True, help="部门编码，如 220000-GSJ")
        parser.add_argument("--item", required=True, help="信息项编码，如 penalty.gsj")
        parser.add_argument("--mode", default="submit", choices=["submit", "correct", "withdraw"], help="报送 / 更正 / 撤销")
        parser.add_argument("--background", action="store_true", help="作为后台任务排队（由 xinyong worker 处理）")
        parser.add_argument("--no-progress", action="store_true", help="不在 stderr 显示进度")

    def handle(self, file, dept, item, mode, background, no_progress, **options):
        path = Path(file)
        show = not no_progress and sys.stderr.isatty()

        def progress(state):
            if show:
                sys.stderr.write(f"\r已处理 {state['total']:>10,} 行：接收 {state['accepted']:,}，拒收 {state['rejected']:,}，未变化 {state['unchanged']:,}")
                sys.stderr.flush()

        try:
            department = get_department(dept)
            batch = batch_submit(
                department=department, item_code=item, path=path, filename=path.name, door="cli",
                actor=Actor.system(f"cli:{department.code}"), mode=mode, copy=background,
                background=background, on_progress=progress,
            )
        except XinyongError as exc:
            self.stdout.write(json.dumps({"batch": None, "accepted": 0, "rejected": 0, "errors": None, "code": exc.code, "message": exc.message, "fields": exc.fields}, ensure_ascii=False))
            # a file refused as a whole (e.g. too large) is 1, like a batch that failed; a wrong
            # request (department, item, 一数一源, mode) is 2
            sys.exit(1 if isinstance(exc, FileRejected) else 2)
        if show:
            sys.stderr.write("\n")
        self.stdout.write(json.dumps(batch.summary(), ensure_ascii=False))
        if batch.status == "failed":
            sys.exit(1)
