import json
import time

from django.core.management.base import BaseCommand, CommandError

from xinyong.ingestion.models import Batch
from xinyong.ingestion.pipeline import read_progress


class Command(BaseCommand):
    help = "查看报送批次：xinyong batch status ID [--follow]"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status"])
        parser.add_argument("batch", help="批次号或批次标识（UUID）")
        parser.add_argument("--follow", action="store_true", help="持续显示进度直到完成")

    def handle(self, action, batch, follow, **options):
        def load():
            query = Batch.objects.select_related("department")
            try:
                return query.get(public_id=batch) if "-" in batch else query.get(pk=int(batch))
            except (Batch.DoesNotExist, ValueError):
                raise CommandError(f"找不到批次 {batch}") from None

        b = load()
        while follow and not b.done:
            p = read_progress(b)
            self.stderr.write(f"\r{b.get_status_display()} 已处理 {p.get('total', 0):,} 行", ending="")
            time.sleep(1)
            b = load()
        out = b.summary()
        out["progress"] = read_progress(b)
        self.stdout.write(json.dumps(out, ensure_ascii=False))
