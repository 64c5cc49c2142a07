"""Reads of list memberships with their visibility rules (issue 3 portal, issue 5 lists)."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, QuerySet

from xinyong.records.selectors import today

from .models import ListEntry


def public_memberships(subject, day: date | None = None) -> QuerySet[ListEntry]:
    """The subject's list entries the public may see on `day`."""
    day = day or today()
    return ListEntry.objects.filter(subject=subject, status="listed").exclude(expires_on__lt=day).order_by("list_code", "-listed_on")


def list_counts(day: date | None = None) -> dict[str, int]:
    """Listed entries per list code on `day`."""
    day = day or today()
    rows = ListEntry.objects.filter(status="listed").exclude(expires_on__lt=day).values("list_code").annotate(n=Count("id"))
    return {r["list_code"]: r["n"] for r in rows}
