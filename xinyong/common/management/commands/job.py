import json

from django.core.management.base import BaseCommand, CommandError

from xinyong.common.schedule import load_jobs, run_due_jobs, run_job


class Command(BaseCommand):
    help = "定时任务：xinyong job list | run NAME | due（运行所有到期任务）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "run", "due"])
        parser.add_argument("name", nargs="?")

    def handle(self, action, name=None, **options):
        jobs = load_jobs()
        if action == "list":
            for job in jobs.values():
                self.stdout.write(f"{job.name:32} 每 {job.every}  {job.title}")
        elif action == "run":
            if name not in jobs:
                raise CommandError(f"未知的任务：{name}（可用 xinyong job list 查看）")
            self.stdout.write(json.dumps(run_job(name), ensure_ascii=False, default=str))
        else:
            self.stdout.write(json.dumps(run_due_jobs(), ensure_ascii=False, default=str))
