"""Formatting for the credit file page, which prints hundreds of values: `ymd` gives what
`|date:"Y-m-d"` gives for a date, without Django's localized formatter (about twenty
microseconds a date; a heavy file's page prints five hundred)."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.template.defaultfilters import date as date_filter

register = template.Library()


@register.filter(is_safe=True)
def ymd(value) -> str:
    """2026-11-30 for a date; a datetime goes through Django's filter (time zone); else empty."""
    if isinstance(value, datetime):
        return date_filter(value, "Y-m-d")
    if isinstance(value, date):
        return value.isoformat()
    return ""
