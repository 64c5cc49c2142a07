import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xinyong.catalog.registry import get_catalog
from xinyong.ingestion.template import build_csv_template, build_template


class Command(BaseCommand):
    help = "写出信息项的报送模板：xinyong template --item CODE [--out FILE] [--format xlsx|csv]"

    def add_arguments(self, parser):
        parser.add_argument("--item", required=True)
        parser.add_argument("--out", help="输出文件（默认 <信息项>.xlsx）")
        parser.add_argument("--format", default="xlsx", choices=["xlsx", "csv"])

    def handle(self, item, out, format, **options):  # noqa: A002
        catalog = get_catalog()
        it = catalog.item(item)
        if it is None:
            raise CommandError(f"未知的信息项编码：{item}")
        data = build_template(it, catalog) if format == "xlsx" else build_csv_template(it)
        target = out or f"{it.code}.{format}"
        if target == "-":
            sys.stdout.buffer.write(data)
            return
        Path(target).write_bytes(data)
        self.stdout.write(f"已写出模板：{target}")
