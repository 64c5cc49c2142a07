"""Reads of the lists and their entries, with their visibility rules in one place (portal pages,
credit files, home page counts).

What the public sees:
- lists declared `disclosure: public` in lists.yaml; authorized-disclosure lists (科研失信) are
  never on the portal: not listed, not counted, their pages and entries are "not found";
- entries that are listed (`status="listed"`) and not past their end (`expires_on` ≥ day: a
  date comparison, so an entry stops showing the day after its record's publication ends,
  before any job has run);
- a derived entry only while its basis record is public (withdrawn or repaired a minute ago and
  the job has not run yet: not shown);
- individuals only on lists whose basis publishes their names (`person_names`: the courts' list of
  dishonest judgment debtors), shown with their ID number masked; everywhere else an individual's
  entry exists for the authorities but not on the portal.

`list_counts` counts from the entries' own columns (one index-only query, fast at any size): a
withdrawal or repair reaches the counts when the lists.update job has run (within a minute).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Q, QuerySet

from xinyong.catalog.registry import LIST_KINDS, Department, ListType, Region, get_catalog
from xinyong.common.db import db_date, prepared, select_rows, sql_in
from xinyong.records.models import Record
from xinyong.records.selectors import public_q, today

from .models import ListEntry


# ---------------------------------------------------------------------- list types
def public_list_types() -> list[ListType]:
    """The lists of the portal, in catalog order."""
    return [lt for lt in get_catalog().lists.values() if lt.is_public]


def public_list(code: str) -> ListType | None:
    lt = get_catalog().lists.get(code or "")
    return lt if lt is not None and lt.is_public else None


def list_kinds() -> dict[str, str]:
    return dict(LIST_KINDS)


def list_departments(lt: ListType) -> list[Department]:
    """The departments that designate entries of the list (its system's, or associations for an
    association's list; province first)."""
    order = {"province": 0, "city": 1, "county": 2}
    if lt.designator_kind:
        depts = [d for d in get_catalog().departments.values() if d.kind == lt.designator_kind]
    else:
        depts = [d for d in get_catalog().departments.values() if d.system == lt.sector]
    return sorted(depts, key=lambda d: (order.get(d.level, 3), d.code))


def region_subtree(code: str) -> list[str]:
    """A region and every region under it (a city and its counties)."""
    regions: dict[str, Region] = get_catalog().regions
    if code not in regions:
        return []
    out = [code]
    for r in regions.values():
        if r.parent == code:
            out.extend(region_subtree(r.code))
    return out


# ---------------------------------------------------------------------- entries
def _visible_q(day: date) -> Q:
    """Listed, not past its end, and — derived entries — resting on a public record."""
    return (
        Q(status="listed")
        & (Q(expires_on__isnull=True) | Q(expires_on__gte=day))
        & (Q(source="designation") | Q(basis_record__isnull=True) | public_q(day, prefix="basis_record__"))
    )


def _lists_q(lists: list[ListType]) -> Q:
    """Entries of these lists, individuals only where the list publishes their names."""
    named = [lt.code for lt in lists if lt.person_names]
    return Q(list_code__in=[lt.code for lt in lists]) & (Q(individual=False) | Q(list_code__in=named))


def public_memberships(subject, day: date | None = None) -> QuerySet[ListEntry]:
    """The subject's list entries the public may see on `day`."""
    day = day or today()
    return (
        ListEntry.objects.filter(_visible_q(day), _lists_q(public_list_types()), subject=subject)
        .select_related("designating_department", "basis_record__department")
        .order_by("list_code", "-listed_on", "-id")
    )


MEMBERSHIP_COLUMNS = (
    "id", "list_code", "listed_on", "expires_on", "reason", "designating_department__name",
    "basis_record_id", "basis_record__document_no", "basis_record__department__name",
)


@prepared(ints=("subject_id",), dates=("day",), version=get_catalog)
def _public_membership_rows(subject_id, day):
    return (
        ListEntry.objects.filter(_visible_q(day), _lists_q(public_list_types()), subject_id=subject_id)
        .order_by("list_code", "-listed_on", "-id")
        .values_list(*MEMBERSHIP_COLUMNS)
    )


def public_membership_rows(subject_id: int, day: date | None = None) -> list[tuple]:
    """`public_memberships` as rows of MEMBERSHIP_COLUMNS, by a query compiled once (the
    credit file page)."""
    return _public_membership_rows(subject_id=subject_id, day=day or today())


def list_counts(day: date | None = None) -> dict[str, int]:
    """Listed entries per public list on `day`, every public list included (0 when empty), in
    catalog order."""
    day = day or today()
    lists = public_list_types()
    rows = (
        ListEntry.objects.filter(_lists_q(lists), Q(expires_on__isnull=True) | Q(expires_on__gte=day), status="listed")
        .values("list_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {r["list_code"]: r["n"] for r in rows}
    return {lt.code: found.get(lt.code, 0) for lt in lists}


def list_entries(
    lt: ListType,
    *,
    day: date | None = None,
    region: str | None = None,
    department_code: str | None = None,
    listed_from: date | None = None,
    listed_to: date | None = None,
) -> QuerySet[ListEntry]:
    """The public entries of a public list, newest listing first, filtered by the subject's
    region (a city includes its counties), the designating department and the listing date."""
    day = day or today()
    qs = ListEntry.objects.filter(_visible_q(day), _lists_q([lt]))
    if region:
        qs = qs.filter(subject__region__in=region_subtree(region))
    if department_code:
        qs = qs.filter(designating_department__code=department_code)
    if listed_from:
        qs = qs.filter(listed_on__gte=listed_from)
    if listed_to:
        qs = qs.filter(listed_on__lte=listed_to)
    return qs.select_related("subject", "designating_department", "basis_record").order_by("-listed_on", "-id")


def public_entry(lt: ListType, entry_id: int, *, day: date | None = None) -> ListEntry | None:
    """One public entry of a public list, or None (unknown, removed, expired, not public: the
    same answer)."""
    day = day or today()
    return (
        ListEntry.objects.filter(_visible_q(day), _lists_q([lt]), pk=entry_id)
        .select_related("subject", "designating_department", "basis_record__department")
        .first()
    )


# ---------------------------------------------------------------------- checks (联合奖惩核查)
ACTIVE_CHUNK = 5000  # subjects per query


def _active_where(subject_ids: list[int], day, codes: list[str]) -> tuple[str, list]:
    """An entry in force on a day for the authorities' checks: listed, listed on or before the
    day, not past its end, and — a derived entry — its basis record still in force (a record
    withdrawn or repaired a minute ago lifts the measures before the job has run). Any disclosure
    class. Plain SQL: the check API asks thousands of times a second, and compiling the ORM query
    cost more than running it. (SQL, params): of the subjects, on the day (stored form), on the
    lists `codes` (none: every list)."""
    subjects, params = sql_in('t."subject_id"', subject_ids)
    sql = (
        f'{subjects} AND t."status" = \'listed\''
        ' AND (t."listed_on" IS NULL OR t."listed_on" <= %s) AND (t."expires_on" IS NULL OR t."expires_on" >= %s)'
        f' AND (t."basis_record_id" IS NULL OR EXISTS (SELECT 1 FROM "{Record._meta.db_table}" b WHERE b."id" = t."basis_record_id" AND b."status" = \'active\'))'
    )
    params += [day, day]
    if codes:
        lists, more = sql_in('t."list_code"', codes)
        sql += f" AND {lists}"
        params += more
    return sql, params


# what a check's answer says of an entry (measures.services._list_reason): a bulk check reads tens
# of thousands of entries, and the other columns (texts, JSON) cost more to read than these
CHECK_FIELDS = (
    ("id", "list_code", "subject_id", "basis_record_id", "basis_records", "designating_department_id", "authority_level", "legal_basis", "listed_on", "expires_on"),
    ("id", "code", "name"),
)


def active_entries(subject_ids: list[int], day: date, *, lists: Iterable[str] | None = None, only: tuple | None = None, hot: bool = False) -> dict[int, list]:
    """The entries in force on `day` of each subject that has any (the check API's reading of
    "on a list"), on the `lists` given (default: every list): {subject id: [entries by list code,
    newest listing first]}, each entry a read-only row with ListEntry's attributes and its
    designating department (`common.db.select_rows`; `only`: those attributes only, e.g.
    CHECK_FIELDS). Subjects with none are absent. One query per ACTIVE_CHUNK subjects
    (an index on subject, then the entries'). `hot`: a prepared statement on PostgreSQL (the
    single check; `common.db.execute_hot`)."""
    out: dict[int, list[ListEntry]] = {}
    if not subject_ids:
        return out
    ids = sorted(set(subject_ids))
    stored_day = db_date(day)
    codes = sorted(lists) if lists is not None else []
    if lists is not None and not codes:
        return out
    for start in range(0, len(ids), ACTIVE_CHUNK):
        part = ids[start : start + ACTIVE_CHUNK]
        where, params = _active_where(part, stored_day, codes)
        rows = select_rows(ListEntry, where, params, related=("designating_department",), only=only,
                                order_by='t."subject_id", t."list_code", t."listed_on" DESC, t."id" DESC', hot=hot)
        for entry in rows:
            out.setdefault(entry.subject_id, []).append(entry)
    return out


# ---------------------------------------------------------------------- department pages
def designated_list_types() -> list[ListType]:
    """The lists an authority designates (no rules), in catalog order."""
    return [lt for lt in get_catalog().lists.values() if not lt.derived]


def designatable_lists(department) -> list[ListType]:
    """The designated lists `department` (catalog.models.Department) may propose entries on."""
    from .services import may_designate

    if department is None:
        return []
    return [lt for lt in designated_list_types() if may_designate(lt, department)]


def designated_entries(scope, *, list_code: str | None = None, status: str | None = None) -> QuerySet[ListEntry]:
    """Designated entries a department page shows: the operator's department's own; every
    department's for credit-centre staff."""
    qs = ListEntry.objects.filter(source="designation")
    if not scope.staff:
        qs = qs.filter(designating_department_id=scope.department.id if scope.department else -1)
    if list_code:
        qs = qs.filter(list_code=list_code)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("subject", "designating_department").order_by("-updated_at", "-id")


def designated_entry(entry_id: int) -> ListEntry | None:
    return (
        ListEntry.objects.filter(source="designation", pk=entry_id)
        .select_related("subject", "designating_department", "warning_entry")
        .first()
    )


def public_entry_exists(entry: ListEntry, day: date | None = None) -> bool:
    """Whether the public sees this entry on `day` (its list's page shows it)."""
    lt = public_list(entry.list_code)
    return lt is not None and public_entry(lt, entry.id, day=day) is not None


def entry_steps(entry: ListEntry):
    return entry.steps.select_related("department").order_by("id")


def basis_records(entry: ListEntry):
    from xinyong.records.models import Record

    return list(Record.objects.filter(pk__in=entry.basis_records).select_related("department").order_by("id"))
