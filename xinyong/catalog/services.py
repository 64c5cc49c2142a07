"""Loading the catalog into the database (`xinyong catalog sync`).

A change that would orphan stored records is refused as a whole, and nothing is changed: an item
removed (or renamed) while records of it exist, a field removed (or renamed) while records hold
values for it, a department removed while it has records or batches. An item removed with no
records is retired (kept, marked inactive); a department removed with nothing stored is
deactivated. Loading the same catalog twice changes nothing (idempotent).
"""

from __future__ import annotations

from django.db import transaction

from xinyong.common.errors import CatalogError
from xinyong.ingestion.models import Batch
from xinyong.records.models import Record
from xinyong.security.services import Actor, audit_log

from .models import CatalogItem, CatalogLoad, Department, Region
from .registry import Catalog, get_catalog


def catalog_check_orphans(catalog: Catalog) -> list[str]:
    """Reasons why loading `catalog` would orphan stored records (empty: safe)."""
    problems: list[str] = []
    for loaded in CatalogItem.objects.filter(active=True):
        item = catalog.items.get(loaded.code)
        count = Record.objects.filter(item_code=loaded.code).count() if item is None else 0
        if item is None and count:
            problems.append(f"信息项“{loaded.name}”（{loaded.code}）已从目录中删除，但仍有{count}条记录")
            continue
        if item is None:
            continue
        old_fields = {f["name"]: f["label"] for f in loaded.definition.get("fields", [])}
        removed = set(old_fields) - set(item.field_map)
        for name in sorted(removed):
            n = Record.objects.filter(item_code=loaded.code, data__has_key=name).count()
            if n:
                problems.append(f"信息项“{loaded.name}”删除了字段“{old_fields[name]}”（{name}），但有{n}条记录含有该字段的值")
    existing = dict(Department.objects.filter(active=True).values_list("code", "name"))
    for code in sorted(set(existing) - set(catalog.departments)):
        n = Record.objects.filter(department__code=code).count()
        if n:
            problems.append(f"部门“{existing[code]}”（{code}）已从目录中删除，但仍有它报送的{n}条记录")
        elif Batch.objects.filter(department__code=code).exists():
            problems.append(f"部门“{existing[code]}”（{code}）已从目录中删除，但仍有它的报送批次")
    return problems


def catalog_sync(*, catalog: Catalog | None = None, actor: Actor | None = None) -> dict:
    """Load `catalog` (default: the configured YAML) into the database; returns what changed.
    Raises CatalogError (code "catalog_orphans", one line per problem) and changes nothing when
    the change would orphan stored records."""
    catalog = catalog or get_catalog()
    summary = {"regions": 0, "departments_added": 0, "departments_updated": 0, "departments_retired": 0, "items_added": 0, "items_updated": 0, "items_retired": 0}
    with transaction.atomic():
        # checked inside the transaction that loads, so nothing changes when it is refused
        problems = catalog_check_orphans(catalog)
        if problems:
            raise CatalogError("目录变更会使已存储的记录失去依据，已拒绝载入（数据库中的目录未作任何改动）：\n" + "\n".join(problems), code="catalog_orphans")
        for code in sorted(catalog.regions, key=lambda c: (catalog.regions[c].level != "province", catalog.regions[c].level == "county", c)):
            r = catalog.regions[code]
            Region.objects.update_or_create(code=code, defaults={"name": r.name, "short": r.short, "level": r.level, "parent_id": r.parent, "gb2260": r.gb2260})
            summary["regions"] += 1
        existing = {d.code: d for d in Department.objects.all()}
        order = sorted(catalog.departments.values(), key=lambda d: ({"province": 0, "city": 1, "county": 2}[d.level], d.code))
        ids: dict[str, int] = {code: d.id for code, d in existing.items()}
        for d in order:
            fields = {"name": d.name, "short_name": d.short_name, "system": d.system or "", "level": d.level, "region_id": d.region, "parent_id": ids.get(d.parent) if d.parent else None, "now_name": d.now, "kind": d.kind, "active": True}
            current = existing.get(d.code)
            if current is None:
                obj = Department.objects.create(code=d.code, **fields)
                ids[d.code] = obj.id
                summary["departments_added"] += 1
            elif any(getattr(current, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(current, k, v)
                current.save()
                summary["departments_updated"] += 1
        removed = set(existing) - set(catalog.departments)
        summary["departments_retired"] = Department.objects.filter(code__in=removed, active=True).update(active=False)
        loaded = {c.code: c for c in CatalogItem.objects.all()}
        for item in catalog.items.values():
            definition = item.as_dict()
            current = loaded.get(item.code)
            fields = {"name": item.name, "owner": item.owner, "nature": item.nature, "disclosure": item.disclosure, "definition": definition, "catalog_digest": catalog.digest, "active": True}
            if current is None:
                CatalogItem.objects.create(code=item.code, **fields)
                summary["items_added"] += 1
            elif current.definition != definition or not current.active:
                for k, v in fields.items():
                    setattr(current, k, v)
                current.save()
                summary["items_updated"] += 1
        retired = CatalogItem.objects.filter(active=True).exclude(code__in=list(catalog.items))
        summary["items_retired"] = retired.update(active=False)
        load = CatalogLoad.objects.create(version=catalog.version, digest=catalog.digest, summary=summary)
        audit_log(actor=actor or Actor.system("目录载入"), action="catalog_sync", object_type="catalog_load", object_id=load.pk, detail={"digest": catalog.digest, **summary})
    return summary


def catalog_in_sync() -> bool:
    catalog = get_catalog()
    last = CatalogLoad.objects.order_by("-id").first()
    return bool(last and last.digest == catalog.digest)
