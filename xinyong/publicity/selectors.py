"""Reads for the 双公示 pages (publicity of licensing and penalty decisions)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from xinyong.catalog.registry import get_catalog
from xinyong.records.models import Record
from xinyong.records.selectors import public_q


def decision_items(kind: str | None = None) -> list[str]:
    """Item codes of licensing ("licensing") and/or penalty ("penalty") decisions."""
    kinds = {kind} if kind else {"licensing", "penalty"}
    return [code for code, item in get_catalog().items.items() if item.kind in kinds]


def latest_decisions(*, kind: str | None = None, limit: int = 10, day: date | None = None) -> QuerySet[Record]:
    """The latest public licensing/penalty decisions, newest decision first."""
    return (
        Record.objects.filter(public_q(day), item_code__in=decision_items(kind))
        .select_related("subject", "department")
        .order_by("-decided_on", "-id")[:limit]
    )
