"""Reads of the agency registry, with what the public may see decided here once:

- the directory (/agencies/): every registered agency, exited ones included (shown as exited),
  with its registration and status, filtered by business type, status and region;
- an agency's section of its credit file: registration, status history, its grade under the
  agency evaluation model (if it has one), its entries on the agency lists, and the number of
  complaints closed — never a complaint's contents or its complainant;
- staff: every agency (read), the actions only where the department has the remit (services).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, Q, QuerySet, Value, When

from xinyong.catalog.registry import get_catalog
from xinyong.common.db import select_instances

from .models import STATUS_CHOICES, Agency, AgencyEvent
from .rules import rules

STATUSES = dict(STATUS_CHOICES)


def directory(*, business_type: str | None = None, status: str | None = None, region: str | None = None, q: str = "") -> QuerySet[Agency]:
    """The public directory: registered agencies, in business (在业) first, then by name."""
    from xinyong.sanctions.selectors import region_subtree

    qs = Agency.objects.select_related("subject", "supervisor")
    if business_type:
        # JSON list membership, portable across SQLite and PostgreSQL: the codes are plain
        # identifiers from agencies.yaml, matched with their quotes
        qs = qs.filter(business_types__icontains=f'"{business_type}"')
    if status:
        qs = qs.filter(status=status)
    if region:
        qs = qs.filter(region__in=region_subtree(region) or [region])
    if q:
        qs = qs.filter(Q(subject__name__icontains=q) | Q(subject__uscc=q.upper()))
    order = {"active": 0, "suspended": 1, "exited": 2}
    return qs.annotate(status_order=SqlCase(*[When(status=k, then=Value(v)) for k, v in order.items()], output_field=IntegerField())).order_by("status_order", "subject__name", "id")


def cities() -> list:
    """The regions the directory filters by: the province's cities (市/州, 长白山)."""
    return sorted((r for r in get_catalog().regions.values() if r.level == "city"), key=lambda r: r.code)


def with_labels(agencies) -> list[Agency]:
    r = rules()
    out = list(agencies)
    for a in out:
        a.type_names = r.type_names(a.business_types)
    return out


def closed_complaints(subject_ids: list[int]) -> dict[int, int]:
    """Complaints closed with a conclusion (not withdrawn), per subject: a count, nothing else."""
    from xinyong.cases.models import Case

    rows = Case.objects.filter(kind="complaint", state="closed", is_open=False, subject_id__in=subject_ids).values("subject_id").annotate(n=Count("id"))
    return {r["subject_id"]: r["n"] for r in rows}


def agency_for_subject(subject_id: int) -> Agency | None:
    return Agency.objects.select_related("subject", "supervisor").filter(subject_id=subject_id).first()


def agency_by_uscc(uscc: str) -> Agency | None:
    # on every organization's credit file page: a query not compiled each time
    found = select_instances(
        Agency, 't."subject_id" = (SELECT s."id" FROM "subjects_subject" s WHERE s."uscc" = %s)', [(uscc or "").strip().upper()[:18]], related=("subject", "supervisor")
    )
    return found[0] if found else None


def history(agency: Agency) -> list[AgencyEvent]:
    return list(agency.events.select_related("department").order_by("on", "id"))


@dataclass
class FileSection:
    """The agency part of the public credit file."""

    agency: Agency
    types: list
    events: list
    grade: object | None
    memberships: list
    complaints_closed: int
    model_name: str = ""
    list_names: list = field(default_factory=list)


def file_section(uscc: str, *, grades=(), memberships=()) -> FileSection | None:
    """For the credit file page: None when the subject is not a registered agency. `grades` and
    `memberships` are what the page already shows (public grades, public list entries): the
    section picks the agency model's grade and the agency lists' entries from them."""
    agency = agency_by_uscc(uscc)
    if agency is None:
        return None
    r = rules()
    grade = next((g for g in grades if getattr(g, "model_code", "") == r.evaluation_model), None)
    mine = [m for m in memberships if getattr(m, "list_code", "") in r.lists]
    lists = get_catalog().lists
    model_name = ""
    if r.evaluation_model:
        from xinyong.evaluation.selectors import public_models

        model = public_models().get(r.evaluation_model)
        model_name = model.name if model else ""
    return FileSection(
        agency=agency, types=[r.types[c] for c in agency.business_types if c in r.types], events=history(agency), grade=grade,
        memberships=mine, complaints_closed=closed_complaints([agency.subject_id]).get(agency.subject_id, 0), model_name=model_name,
        list_names=[lists[c].name for c in r.lists if c in lists],
    )


# ---------------------------------------------------------------------- staff
def staff_agencies(*, status: str | None = None, business_type: str | None = None) -> QuerySet[Agency]:
    return directory(status=status, business_type=business_type)


def staff_agency(agency_id) -> Agency | None:
    try:
        return Agency.objects.select_related("subject", "supervisor").get(pk=int(agency_id))
    except (Agency.DoesNotExist, TypeError, ValueError):
        return None


def complaints_of(agency: Agency):
    from xinyong.cases.models import Case

    return Case.objects.filter(kind="complaint", subject_id=agency.subject_id).order_by("-id")


def supervisors() -> list:
    """Departments that may register agencies (their system supervises a business type)."""
    from xinyong.catalog.models import Department

    return list(Department.objects.filter(system__in=rules().authorities, active=True).order_by("code"))


def day_today() -> date:
    from django.utils import timezone

    return timezone.localdate()
