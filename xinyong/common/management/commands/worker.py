from django.core.management import call_command
from django.core.management.base import BaseCommand

from xinyong.ingestion.services import batch_recover_stale


class Command(BaseCommand):
    help = "运行后台任务（大文件报送、定时任务）：xinyong worker [--once]"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="处理完队列中的任务后退出")

    def handle(self, once, **options):
        recovered = batch_recover_stale()
        if recovered:
            self.stderr.write(f"已将 {recovered} 个中断的批次标记为失败")
        args = ["--interval", "1"]
        if once:
            args.append("--batch")
        call_command("db_worker", *args)
