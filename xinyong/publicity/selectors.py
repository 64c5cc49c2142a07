"""Reads for the 双公示 pages (publicity of licensing and penalty decisions).

A decision is a record of an item of kind `licensing` or `penalty` (行政许可, 行政处罚 of every
deciding system, and the IP office's infringement decisions) that the public may see
(`records.selectors.public_q`). Each carries its reporting deadline — 7 working days after the
decision on the working-day calendar (`records/publication.reporting_deadline`) — and whether the
platform received it by then (`Record.on_time`), both computed at ingestion.

Speed at millions of records: the latest decisions are read item by item, each on the
(item_code, decided_on) index walked backwards (an `item_code IN (...) ORDER BY decided_on`
over every decision item would sort them all), then merged: one UNION ALL query of per-item
subqueries with their own ORDER BY and LIMIT. Counts stop at a cap (`paging.paginate`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Concat

from xinyong.catalog.registry import Catalog, Item, get_catalog
from xinyong.common.masking import mask_person_name
from xinyong.records.models import Record
from xinyong.records.selectors import public_q, today

KINDS = {"licensing": "行政许可", "penalty": "行政处罚"}
CATEGORY_SEPARATOR = "；"  # how the pipeline stores a multi-choice enum (处罚类别)
# fields not repeated in a decision's field list: shown in its heading, or identifying data
# that stays off the public page (source ids)
_HEADING_ROLES = {"document_no", "decided_on", "source_id"}


def decision_items(kind: str | None = None) -> list[str]:
    """Item codes of licensing ("licensing") and/or penalty ("penalty") decisions."""
    kinds = {kind} if kind else set(KINDS)
    return [code for code, item in get_catalog().items.items() if item.kind in kinds]


def penalty_categories(catalog: Catalog | None = None) -> list[str]:
    """The choices of 处罚类别 (the penalty family's `penalty_category`), in catalog order."""
    seen: dict[str, None] = {}
    for item in (catalog or get_catalog()).items.values():
        f = item.field_map.get("penalty_category")
        if item.kind == "penalty" and f is not None:
            seen.update(dict.fromkeys(f.choices))
    return list(seen)


def decision_systems(catalog: Catalog | None = None) -> list[str]:
    """Codes of the systems that send decisions, in catalog order."""
    catalog = catalog or get_catalog()
    owners = {catalog.items[c].owner for c in decision_items()}
    return [code for code in catalog.systems if code in owners]


@dataclass(frozen=True)
class DecisionFilters:
    kind: str | None = None  # licensing / penalty
    category: str | None = None  # a 处罚类别 (penalties only)
    system: str | None = None  # a system code: its departments at every level
    region: str | None = None  # a region code: departments of that region and those under it
    department: str | None = None  # one department's code
    decided_from: date | None = None
    decided_to: date | None = None


def _department_ids(filters: DecisionFilters, catalog: Catalog) -> list[int] | None:
    """Ids of the deciding departments the filters allow (None: any)."""
    from xinyong.catalog.models import Department
    from xinyong.sanctions.selectors import region_subtree

    if not (filters.system or filters.region or filters.department):
        return None
    qs = Department.objects.all()
    if filters.department:
        qs = qs.filter(code=filters.department)
    if filters.system:
        qs = qs.filter(system=filters.system)
    if filters.region:
        qs = qs.filter(region_id__in=region_subtree(filters.region))
    return list(qs.values_list("id", flat=True))


def _items(filters: DecisionFilters, catalog: Catalog) -> list[str]:
    kind = "penalty" if filters.category else filters.kind
    items = [catalog.items[c] for c in decision_items(kind)]
    if filters.category:
        items = [i for i in items if "penalty_category" in i.field_map]
    system = filters.system or (catalog.departments[filters.department].system if filters.department in catalog.departments else None)
    if system:
        items = [i for i in items if i.owner == system]
    return [i.code for i in items]


class DecisionQuery:
    """The public decisions matching some filters on `day`: counted (capped) and fetched a page
    at a time, newest decision first."""

    def __init__(self, filters: DecisionFilters | None = None, *, day: date | None = None):
        self.filters = filters or DecisionFilters()
        self.day = day or today()
        catalog = get_catalog()
        self.items = _items(self.filters, catalog)
        self.department_ids = _department_ids(self.filters, catalog)

    def _base(self) -> QuerySet[Record]:
        f = self.filters
        qs = Record.objects.filter(public_q(self.day))
        if self.department_ids is not None:
            qs = qs.filter(department_id__in=self.department_ids)
        if f.decided_from:
            qs = qs.filter(decided_on__gte=f.decided_from)
        if f.decided_to:
            qs = qs.filter(decided_on__lte=f.decided_to)
        if f.category:
            # 处罚类别 is multi-choice, stored "罚款；没收违法所得": match a whole value
            qs = qs.annotate(
                _categories=Concat(Value(CATEGORY_SEPARATOR), KT("data__penalty_category"), Value(CATEGORY_SEPARATOR), output_field=TextField())
            ).filter(_categories__contains=f"{CATEGORY_SEPARATOR}{f.category}{CATEGORY_SEPARATOR}")
        return qs

    @property
    def empty(self) -> bool:
        return not self.items or self.department_ids == []

    def count(self, cap: int) -> int:
        """How many decisions match, counting at most `cap` (no sort, stops early)."""
        if self.empty:
            return 0
        return self._base().filter(item_code__in=self.items)[:cap].count()

    def fetch(self, offset: int, limit: int) -> list[Record]:
        """Decisions offset+1 … offset+limit, newest decision first (ties: newest id first)."""
        if self.empty or limit <= 0:
            return []
        keys = self._latest_keys(offset + limit)[offset:]
        ids = [pk for _, pk in keys]
        found = Record.objects.select_related("subject", "department").in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]

    def _latest_keys(self, n: int) -> list[tuple]:
        """(decided_on, id) of the n newest decisions: per item on its index, merged in SQL."""
        parts, params = [], []
        compiler_alias = connection.alias
        for code in self.items:
            qs = self._base().filter(item_code=code).order_by("-decided_on", "-id").values_list("decided_on", "id")[:n]
            sql, p = qs.query.get_compiler(compiler_alias).as_sql()
            parts.append(f"SELECT * FROM ({sql}) AS d{len(parts)}")
            params.extend(p)
        union = " UNION ALL ".join(parts)
        sql = f"SELECT * FROM ({union}) AS latest ORDER BY 1 DESC, 2 DESC LIMIT %s"
        with connection.cursor() as cur:
            cur.execute(sql, [*params, n])
            return cur.fetchall()


def latest_decisions(*, kind: str | None = None, limit: int = 10, day: date | None = None) -> list[Record]:
    """The latest public licensing/penalty decisions, newest decision first (home page)."""
    return DecisionQuery(DecisionFilters(kind=kind), day=day).fetch(0, limit)


def public_decision(pk: int, *, day: date | None = None) -> Record | None:
    """One public decision, or None (unknown, not a decision, not public: the same answer)."""
    return (
        Record.objects.filter(public_q(day), pk=pk, item_code__in=decision_items())
        .select_related("subject", "department")
        .first()
    )


# ---------------------------------------------------------------------- presentation
def decision_kind(record: Record, catalog: Catalog | None = None) -> str:
    item = (catalog or get_catalog()).items.get(record.item_code)
    return item.kind if item is not None else ""


def subject_display_name(record: Record, item: Item | None) -> str:
    """The subject's name as the public may see it: an individual's masked unless the item
    publishes names (court lists; never 双公示)."""
    subject = record.subject
    if subject.is_individual and not (item and item.public_person_name):
        return mask_person_name(subject.name)
    return subject.name


def decision_fields(record: Record, item: Item) -> list[tuple[str, str]]:
    """(label, value) of the decision's public fields, in catalog order. Sensitive fields and
    fields marked `public: false` are never shown (their stored values are masked anyway and
    `_enc` is never read); an individual's name is masked."""
    data = record.data or {}
    out = []
    for f in item.fields:
        if not f.is_public or f.role in _HEADING_ROLES:
            continue
        value = data.get(f.name)
        if value in (None, "", []):
            continue
        if f.role == "subject_name":
            value = subject_display_name(record, item)
        elif isinstance(value, list | tuple):
            value = CATEGORY_SEPARATOR.join(str(v) for v in value)
        out.append((f.label, str(value)))
    return out


# ---------------------------------------------------------------------- timeliness
@dataclass(frozen=True)
class Timeliness:
    department_code: str
    department: str
    total: int
    on_time: int

    @property
    def late(self) -> int:
        return self.total - self.on_time

    @property
    def share(self) -> float:
        return self.on_time / self.total if self.total else 0.0

    @property
    def percent(self) -> str:
        return f"{self.share * 100:.1f}%"


@dataclass(frozen=True)
class TimelinessReport:
    since: date
    until: date
    rows: list[Timeliness]  # the departments with the most decisions first
    departments: int  # departments with decisions in the period (rows may be fewer)
    total: int
    on_time: int

    @property
    def percent(self) -> str:
        return f"{self.on_time / self.total * 100:.1f}%" if self.total else "—"


def timeliness(filters: DecisionFilters | None = None, *, day: date | None = None, top: int = 20) -> TimelinessReport:
    """Per deciding department: public decisions of the last `TIMELINESS_DAYS` days (matching
    the type, category, department and region filters; not the date filter) and how many were
    received within their reporting deadline. Cached `TIMELINESS_CACHE_SECONDS`."""
    conf = settings.XINYONG["LISTINGS"]
    day = day or today()
    filters = filters or DecisionFilters()
    since = day - timedelta(days=conf["TIMELINESS_DAYS"] - 1)
    scoped = DecisionFilters(filters.kind, filters.category, filters.system, filters.region, filters.department, since, day)
    key = "publicity:timeliness:" + hashlib.sha256(repr((scoped, top, get_catalog().digest)).encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        return hit
    query = DecisionQuery(scoped, day=day)
    rows: list[Timeliness] = []
    departments = total = on_time = 0
    if not query.empty:
        grouped = (
            query._base()
            .filter(item_code__in=query.items, on_time__isnull=False)
            .values("department__code", "department__name")
            .annotate(n=Count("id"), ok=Count("id", filter=Q(on_time=True)))
            .order_by()
        )
        found = sorted(grouped, key=lambda r: (-r["n"], r["department__code"]))
        departments = len(found)
        total = sum(r["n"] for r in found)
        on_time = sum(r["ok"] for r in found)
        rows = [Timeliness(r["department__code"], r["department__name"], r["n"], r["ok"]) for r in found[:top]]
    report = TimelinessReport(since, day, rows, departments, total, on_time)
    cache.set(key, report, conf["TIMELINESS_CACHE_SECONDS"])
    return report
