"""Reads for objections and repair: the subject's own negative records (public or not: the
subject sees its whole file) that repair may concern."""

from __future__ import annotations

from django.db.models import QuerySet

from xinyong.catalog.registry import get_catalog
from xinyong.records.models import Record


def item_name(record: Record) -> str:
    item = get_catalog().item(record.item_code)
    return item.name if item else record.item_code


def negative_records(subject) -> QuerySet[Record]:
    """The subject's active records of negative items, newest first."""
    codes = [code for code, item in get_catalog().items.items() if item.nature == "negative"]
    return Record.objects.filter(subject=subject, status="active", item_code__in=codes).select_related("department").order_by("-decided_on", "-id")
