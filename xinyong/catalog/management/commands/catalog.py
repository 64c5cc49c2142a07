import json

from django.core.management.base import BaseCommand, CommandError

from xinyong.catalog.registry import DISCLOSURES, NATURES, get_catalog, load_catalog
from xinyong.catalog.services import catalog_sync
from xinyong.common.errors import CatalogError


class Command(BaseCommand):
    help = "信用信息资源目录：list [--json] | show ITEM | check | sync"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "show", "check", "sync"])
        parser.add_argument("item", nargs="?")
        parser.add_argument("--json", action="store_true", help="机器可读的 JSON 输出")

    def handle(self, action, item=None, json=False, **options):  # noqa: A002
        try:
            catalog = load_catalog() if action == "check" else get_catalog()
        except CatalogError as exc:
            raise CommandError(exc.message) from exc
        if action == "list":
            if json:
                self.stdout.write(_dumps(catalog.as_dict()))
                return
            self.stdout.write(f"目录版本 {catalog.version}（{catalog.digest}）：{len(catalog.items)} 个信息项，{len(catalog.departments)} 个部门，{len(catalog.regions)} 个行政区划")
            for it in catalog.items.values():
                owner = catalog.systems[it.owner].province_name
                self.stdout.write(f"  {it.code:28} {it.name:24} {NATURES[it.nature]:2} {DISCLOSURES[it.disclosure]:4} 责任部门：{owner}")
        elif action == "show":
            if not item or item not in catalog.items:
                raise CommandError(f"未知的信息项编码：{item}")
            self.stdout.write(_dumps(catalog.items[item].as_dict()))
        elif action == "check":
            self.stdout.write(f"目录有效：{len(catalog.items)} 个信息项，{len(catalog.departments)} 个部门（{catalog.digest}）")
        else:
            try:
                summary = catalog_sync(catalog=catalog)
            except CatalogError as exc:
                raise CommandError(exc.message) from exc
            if json:
                self.stdout.write(_dumps(summary))
            else:
                self.stdout.write(
                    f"目录已载入（{catalog.digest}）：行政区划 {summary['regions']}，新增部门 {summary['departments_added']}，"
                    f"更新部门 {summary['departments_updated']}，停用部门 {summary['departments_retired']}，"
                    f"新增信息项 {summary['items_added']}，更新 {summary['items_updated']}，停用 {summary['items_retired']}"
                )


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
