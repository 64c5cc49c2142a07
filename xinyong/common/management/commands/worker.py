import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from xinyong.common.schedule import run_due_jobs
from xinyong.ingestion.services import batch_recover_stale


def _scheduler(stop: threading.Event, interval: float) -> None:
    """Run due scheduled jobs, checking every `interval` seconds, until stopped."""
    while not stop.is_set():
        close_old_connections()
        try:
            run_due_jobs()
        finally:
            close_old_connections()
        stop.wait(interval)


class Command(BaseCommand):
    help = "运行后台任务（大文件报送）和定时任务：xinyong worker [--once] [--no-schedule]"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="处理完队列中的任务并运行一次到期的定时任务后退出")
        parser.add_argument("--no-schedule", action="store_true", help="不运行定时任务")
        parser.add_argument("--schedule-interval", type=float, default=60.0, help="检查定时任务的间隔（秒）")

    def handle(self, once, no_schedule, schedule_interval, **options):
        recovered = batch_recover_stale()
        if recovered:
            self.stderr.write(f"已将 {recovered} 个中断的批次标记为失败")
        args = ["--interval", "1"]
        if once:
            call_command("db_worker", *args, "--batch", "--no-startup-delay")
            if not no_schedule:
                run_due_jobs()
            return
        stop = threading.Event()
        thread = None
        if not no_schedule:
            thread = threading.Thread(target=_scheduler, args=(stop, schedule_interval), name="xinyong-scheduler", daemon=True)
            thread.start()
        try:
            call_command("db_worker", *args)
        finally:
            stop.set()
            if thread:
                thread.join(timeout=5)
            time.sleep(0)
