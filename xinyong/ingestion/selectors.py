"""Reads for the department pages (归集工作台) and the credit centre's review queue.

Who may see what is decided here, once: a department operator sees only its department's
batches and records; credit-centre staff see every department. Views call these functions and
never filter by department themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from xinyong.catalog.models import Department, DepartmentMembership
from xinyong.catalog.registry import Item, get_catalog
from xinyong.common.masking import mask_person_name
from xinyong.common.normalize import normalize_code, normalize_name
from xinyong.records.models import Record, RecordHistory
from xinyong.security.models import Role
from xinyong.subjects.models import Subject, SubjectName

from .models import Batch, BatchError, ReviewItem

PERSON_CATEGORY = "自然人"


# ---------------------------------------------------------------------- who
@dataclass(frozen=True)
class Scope:
    """What a signed-in user may see on the department pages."""

    department: Department | None  # the operator's department (None for staff without one)
    staff: bool  # credit-centre staff: every department, the review queue

    @property
    def can_upload(self) -> bool:
        return self.department is not None

    def sees_department(self, department_id: int) -> bool:
        return self.staff or (self.department is not None and self.department.id == department_id)


def is_platform_staff(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff or user.is_superuser or user.groups.filter(name=Role.PLATFORM_ADMIN).exists()


def scope_for(user) -> Scope | None:
    """The user's scope, or None when the user is neither an operator of an active department nor
    credit-centre staff."""
    if not (user.is_authenticated and user.is_active):
        return None
    staff = is_platform_staff(user)
    department = None
    if user.groups.filter(name=Role.DEPARTMENT_OPERATOR).exists():
        membership = DepartmentMembership.objects.select_related("department", "department__region").filter(user=user).first()
        if membership and membership.department.active:
            department = membership.department
    if department is None and not staff:
        return None
    return Scope(department=department, staff=staff)


# ---------------------------------------------------------------------- catalog helpers
def item_name(code: str) -> str:
    item = get_catalog().item(code)
    return item.name if item else code


def items_for_scope(scope: Scope) -> list[Item]:
    """Items shown in filters: the department's own items, or every item for staff."""
    catalog = get_catalog()
    if scope.staff:
        return sorted(catalog.items.values(), key=lambda i: i.code)
    return catalog.items_for_department(scope.department)


def with_item_names(objects: Iterable) -> list:
    """Attach `item_name` (the catalog item's Chinese name) to objects with an `item_code`."""
    out = list(objects)
    for obj in out:
        obj.item_name = item_name(obj.item_code)
    return out


# ---------------------------------------------------------------------- batches
def batch_list(scope: Scope, *, department_id: int | None = None, item_code: str | None = None, status: str | None = None) -> QuerySet[Batch]:
    qs = Batch.objects.select_related("department").order_by("-id")
    if not scope.staff:
        qs = qs.filter(department=scope.department)
    elif department_id:
        qs = qs.filter(department_id=department_id)
    if item_code:
        qs = qs.filter(item_code=item_code)
    if status:
        qs = qs.filter(status=status)
    return qs


def batch_get(scope: Scope, public_id) -> Batch:
    """The batch, if the scope sees it; Batch.DoesNotExist otherwise (another department's batch
    does not exist for an operator)."""
    return batch_list(scope).get(public_id=public_id)


def batch_row_errors(batch: Batch, *, limit: int = 100) -> list[BatchError]:
    return list(batch.row_errors.all()[:limit])


def batch_review_items(batch: Batch) -> QuerySet[ReviewItem]:
    return batch.review_items.select_related("subject").order_by("row_no")


def departments_with_batches() -> QuerySet[Department]:
    return Department.objects.filter(id__in=Batch.objects.values("department_id")).order_by("code")


# ---------------------------------------------------------------------- timeliness and overview
@dataclass(frozen=True)
class Timeliness:
    """Records with a reporting deadline received in a window, and how many arrived on time."""

    days: int
    total: int = 0
    on_time: int = 0

    @property
    def late(self) -> int:
        return self.total - self.on_time

    @property
    def share(self) -> float | None:
        return self.on_time / self.total if self.total else None

    @property
    def percent(self) -> str:
        return "—" if self.share is None else f"{self.share * 100:.1f}%"


def timeliness_by_department(*, days: int, department_ids: Iterable[int] | None = None, item_code: str | None = None, now=None) -> dict[int, Timeliness]:
    now = now or timezone.now()
    qs = Record.objects.filter(report_deadline__isnull=False, received_at__gte=now - timedelta(days=days))
    if department_ids is not None:
        qs = qs.filter(department_id__in=list(department_ids))
    if item_code:
        qs = qs.filter(item_code=item_code)
    rows = qs.values("department_id").annotate(total=Count("id"), on_time=Count("id", filter=Q(on_time=True)))
    return {r["department_id"]: Timeliness(days, r["total"], r["on_time"]) for r in rows}


def department_timeliness(department: Department, *, days: int, now=None) -> Timeliness:
    return timeliness_by_department(days=days, department_ids=[department.id], now=now).get(department.id, Timeliness(days))


@dataclass(frozen=True)
class DepartmentOverview:
    department: Department
    batches: int
    failed: int
    rows: int
    accepted: int
    rejected: int
    to_review: int
    last_batch_at: object
    timeliness_30: Timeliness
    timeliness_90: Timeliness

    @property
    def rejection_rate(self) -> str:
        return "—" if not self.rows else f"{self.rejected / self.rows * 100:.1f}%"


def department_overview(*, department_id: int | None = None, item_code: str | None = None) -> list[DepartmentOverview]:
    """Per department that has submitted anything: batches, rows accepted and rejected, rejection
    rate and timeliness (what the joint meeting asks about)."""
    qs = Batch.objects.all()
    if department_id:
        qs = qs.filter(department_id=department_id)
    if item_code:
        qs = qs.filter(item_code=item_code)
    rows = list(
        qs.values("department_id").annotate(
            batches=Count("id"),
            failed=Count("id", filter=Q(status="failed")),
            rows=Sum("total_rows"),
            accepted=Sum("accepted"),
            rejected=Sum("rejected"),
            to_review=Sum("to_review"),
            last=Max("created_at"),
        )
    )
    ids = [r["department_id"] for r in rows]
    departments = Department.objects.in_bulk(ids)
    t30 = timeliness_by_department(days=30, department_ids=ids, item_code=item_code)
    t90 = timeliness_by_department(days=90, department_ids=ids, item_code=item_code)
    out = [
        DepartmentOverview(
            department=departments[r["department_id"]],
            batches=r["batches"],
            failed=r["failed"],
            rows=r["rows"] or 0,
            accepted=r["accepted"] or 0,
            rejected=r["rejected"] or 0,
            to_review=r["to_review"] or 0,
            last_batch_at=r["last"],
            timeliness_30=t30.get(r["department_id"], Timeliness(30)),
            timeliness_90=t90.get(r["department_id"], Timeliness(90)),
        )
        for r in rows
    ]
    out.sort(key=lambda o: o.department.code)
    return out


# ---------------------------------------------------------------------- records
def record_list(
    scope: Scope,
    *,
    department_id: int | None = None,
    item_code: str | None = None,
    decided_from: date | None = None,
    decided_to: date | None = None,
    status: str | None = None,
) -> QuerySet[Record]:
    qs = Record.objects.select_related("subject", "department").order_by("-decided_on", "-id")
    if not scope.staff:
        qs = qs.filter(department=scope.department)
    elif department_id:
        qs = qs.filter(department_id=department_id)
    if item_code:
        qs = qs.filter(item_code=item_code)
    if decided_from:
        qs = qs.filter(decided_on__gte=decided_from)
    if decided_to:
        qs = qs.filter(decided_on__lte=decided_to)
    if status:
        qs = qs.filter(status=status)
    return qs


def record_get(scope: Scope, pk: int) -> Record:
    """The record, if the scope sees it; Record.DoesNotExist otherwise."""
    return record_list(scope).select_related("batch", "department__region").get(pk=pk)


def record_is_public(record: Record) -> bool:
    """Whether reading the record needs no audit entry: public disclosure and not about an
    individual (individuals' information is disclosed only by authorized query)."""
    return record.disclosure == "public" and record.subject.kind != "individual"


def _display_values(item: Item | None, data: dict, *, person: bool) -> list[tuple[str, object]]:
    """(label, value) in catalog order; stored values are already masked where sensitive, the
    encrypted originals (`_enc`) are never shown."""
    if item is None:
        return [(k, v) for k, v in data.items() if not k.startswith("_")]
    name_field = item.roles.get("subject_name")
    out = []
    for f in item.fields:
        value = data.get(f.name)
        if value in (None, ""):
            continue
        if person and f.name == name_field:
            value = mask_person_name(str(value))
        out.append((f.label, value))
    return out


def record_fields(record: Record) -> list[tuple[str, object]]:
    return _display_values(get_catalog().item(record.item_code), record.data or {}, person=record.subject.kind == "individual")


def record_history(record: Record) -> QuerySet[RecordHistory]:
    return record.history.select_related("batch").order_by("-version")


# ---------------------------------------------------------------------- review queue
def review_list(*, status: str | None = "open", item_code: str | None = None, department_id: int | None = None) -> QuerySet[ReviewItem]:
    qs = ReviewItem.objects.select_related("batch", "batch__department", "subject").order_by("id")
    if status:
        qs = qs.filter(status=status)
    if item_code:
        qs = qs.filter(batch__item_code=item_code)
    if department_id:
        qs = qs.filter(batch__department_id=department_id)
    return qs


def review_get(pk: int) -> ReviewItem:
    return review_list(status=None).get(pk=pk)


def review_fields(review: ReviewItem) -> list[tuple[str, object]]:
    item = get_catalog().item(review.batch.item_code)
    values = (review.payload or {}).get("values", {})
    return _display_values(item, values, person=_review_is_person(review, item))


def _review_is_person(review: ReviewItem, item: Item | None) -> bool:
    if item is None or "subject_category" not in item.roles:
        return False
    return (review.payload or {}).get("values", {}).get(item.roles["subject_category"]) == PERSON_CATEGORY


def review_is_public(review: ReviewItem) -> bool:
    """Like record_is_public, for a row waiting in the queue."""
    from xinyong.records.publication import disclosure_for

    item = get_catalog().item(review.batch.item_code)
    if item is None or _review_is_person(review, item):
        return False
    return disclosure_for(item, (review.payload or {}).get("values", {})) == "public"


def subject_search(query: str, *, limit: int = 20) -> list[Subject]:
    """Subjects by exact USCC, or by exact name after normalization (current or former names).
    Individuals are not found by name: they are identified by ID number only."""
    query = (query or "").strip()
    if not query:
        return []
    code = normalize_code(query)
    if len(code) == 18 and code.isalnum():
        hits = list(Subject.objects.filter(uscc=code)[:limit])
        if hits:
            return hits
    key = normalize_name(query)
    ids = set(Subject.objects.filter(name_key=key).exclude(kind="individual").values_list("id", flat=True)[:limit])
    ids |= set(SubjectName.objects.filter(name_key=key).exclude(subject__kind="individual").values_list("subject_id", flat=True)[:limit])
    return list(Subject.objects.filter(id__in=ids).order_by("name")[:limit])
