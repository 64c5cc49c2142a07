"""Reads of records with their visibility rules, in one place, for pages, API, exports and
reports alike.

What the public may see (信用吉林): records whose item is of the public disclosure class (or
that a disclosure rule made public, e.g. A-grade taxpayers), that are active (not withdrawn, not
repaired), and whose publication window contains the day: publish_from ≤ day ≤ publish_until
(no end date: no end). A minor penalty has no window (publish_from is null): never shown. The
window is a date comparison, so a record stops showing the day after its period ends, before
any job has run; the record stays in the database for the authorities.

Individuals: their credit file is public only where the law publishes it — while one of their
records of an item that publishes individuals' names (`public_person_name`, e.g. the courts'
list of dishonest judgment debtors) is public. Their names are masked everywhere else, their ID
numbers always.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from xinyong.catalog.registry import get_catalog
from xinyong.common.db import prepared

from .models import Record


def today() -> date:
    return timezone.localdate()


def public_q(day: date | None = None, *, prefix: str = "") -> Q:
    """The condition for a record to be public on `day` (prefix: "records__" from a subject)."""
    day = day or today()
    p = prefix
    return (
        Q(**{f"{p}disclosure": "public", f"{p}status": "active", f"{p}publish_from__isnull": False, f"{p}publish_from__lte": day})
        & (Q(**{f"{p}publish_until__isnull": True}) | Q(**{f"{p}publish_until__gte": day}))
    )


def public_records(day: date | None = None) -> QuerySet[Record]:
    return Record.objects.filter(public_q(day))


def record_is_public(record: Record, day: date | None = None) -> bool:
    day = day or today()
    return (
        record.disclosure == "public"
        and record.status == "active"
        and record.publish_from is not None
        and record.publish_from <= day
        and (record.publish_until is None or day <= record.publish_until)
    )


def person_name_items() -> list[str]:
    """Items whose records publish individuals' names (by law)."""
    return [code for code, item in get_catalog().items.items() if item.public_person_name]


def subject_is_public(subject, day: date | None = None) -> bool:
    """May the public see this subject's credit file at all?"""
    if subject.kind != "individual":
        return True
    return public_records(day).filter(subject=subject, item_code__in=person_name_items()).exists()


def subject_public_records(subject, day: date | None = None) -> QuerySet[Record]:
    """The subject's records the public may see on `day` (index (subject, item_code))."""
    return Record.objects.filter(public_q(day), subject=subject)


def data_as_of():
    """When the platform's data last changed (the newest change-feed event: records received,
    corrected, withdrawn, ended): the "数据更新至" time of the portal. None before any data."""
    rows = _newest_event_time()
    return rows[0][0] if rows else None


@prepared()
def _newest_event_time():
    from .models import ChangeEvent

    return ChangeEvent.objects.order_by("-seq").values_list("at")[:1]


def ended_unprocessed(day: date | None = None) -> QuerySet[Record]:
    """Records whose publication period ended before `day` and whose end the publication job
    has not processed yet (`unpublished_at` null)."""
    return Record.objects.filter(publish_until__lt=day or today(), unpublished_at__isnull=True)


def person_is_published(subject_id: int | None, day: date | None = None) -> bool:
    """Whether the individual with this id has a public record of an item that publishes
    individuals' names on `day` (the rule of `subject_is_public`). One query, whether or not the
    id exists (None: none), so that an unknown and a private individual cost the same."""
    return public_records(day).filter(subject_id=subject_id or 0, item_code__in=person_name_items()).exists()


def in_period_q(day: date | None = None, *, disclosures: tuple[str, ...] = ("public",), prefix: str = "") -> Q:
    """The condition for a record to be in force on `day` for an audience that may see the given
    disclosure classes: active and inside its publication window, like `public_q` (which is this
    with ("public",)). The lists use it: an authorized-disclosure list (科研失信) derives its
    entries from authorized records too, never from internal ones."""
    day = day or today()
    p = prefix
    return (
        Q(**{f"{p}disclosure__in": list(disclosures), f"{p}status": "active", f"{p}publish_from__isnull": False, f"{p}publish_from__lte": day})
        & (Q(**{f"{p}publish_until__isnull": True}) | Q(**{f"{p}publish_until__gte": day}))
    )


# ---------------------------------------------------------------------- the subject's own file
# Records a subject sees about itself (its own portal account, xinyong/accounts): every record of
# its credit file, whatever the disclosure class or publication window — a subject may always see
# what the platform holds about it. Withdrawn records are not in the file; repaired ones are shown
# as repaired.
OWN_STATUSES = ("active", "repaired")


def subject_own_records(subject, day: date | None = None) -> QuerySet[Record]:
    return Record.objects.filter(subject=subject, status__in=OWN_STATUSES)


def not_public_reason(*, disclosure: str, status: str, publish_from: date | None, publish_until: date | None, day: date | None = None) -> str:
    """Why the public does not see a record on `day` (the rule of `record_is_public`, in words);
    empty when it does."""
    day = day or today()
    if status == "repaired":
        return "已完成信用修复，停止公示"
    if status != "active":
        return "已撤销"
    if disclosure == "authorized":
        return "授权查询类信息：不向社会公开，仅本人和经本人授权的查询方可见"
    if disclosure == "internal":
        return "内部信息：仅供政府部门履职共享使用，不向社会公开"
    if disclosure != "public":
        return "不向社会公开"
    if publish_from is None:
        return "依规不予公示（如适用简易程序的行政处罚）"
    if publish_from > day:
        return f"公示期尚未开始（{publish_from.isoformat()}起公示）"
    if publish_until is not None and publish_until < day:
        return f"公示期已于{publish_until.isoformat()}届满，停止公示"
    return ""


# ---------------------------------------------------------------------- by viewer
# Who may see which records — the public, the subject itself, a department with its query
# rights, consents and special grants, the credit centre — is one rule, kept with the bases it
# reads in `xinyong.access.selectors` (docs/architecture.md, "Access by disclosure class").
def visible_records(viewer, subject, day: date | None = None):
    """`access.selectors.visible_records`: the records `viewer` may see, each with its basis."""
    from xinyong.access.selectors import visible_records as rule

    return rule(viewer, subject, day)
