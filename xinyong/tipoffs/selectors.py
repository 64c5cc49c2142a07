"""Reads of tip-offs: what the reporter sees with the receipt code (status and public reply only),
and what the staff page of a tip-off shows (findings, routing suggestions, flags per contact),
never the reporter's identity (services.tipoff_reveal is the one way to it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from xinyong.cases.models import Case
from xinyong.cases.selectors import state_label
from xinyong.cases.services import receipt_hash
from xinyong.catalog.models import Department

from .categories import categories, category, suggested_departments
from .models import Tipoff

OUTCOME_LABELS = {"confirmed": "查证属实", "unfounded": "查无实据"}


@dataclass(frozen=True)
class Progress:
    """What the reporter reads: the status and, once concluded, the public reply."""

    category: str
    filed_on: date
    state: str
    is_open: bool
    due_on: date | None
    outcome: str
    reply: str


def progress_by_receipt(code: str) -> Progress | None:
    """The progress of the tip-off whose receipt code this is, or None (one keyed hash and one
    indexed query whatever the code: a wrong code costs the same as a right one)."""
    case = Case.objects.filter(receipt_hash=receipt_hash(code or ""), kind="tipoff").select_related("tipoff").first()
    if case is None:
        return None
    tipoff = case.tipoff
    return Progress(
        category=case.data.get("category_label", ""), filed_on=case.filed_on,
        state=state_label(case), is_open=case.is_open, due_on=case.due_on, outcome=OUTCOME_LABELS.get(case.outcome, ""),
        reply=tipoff.public_reply if not case.is_open else "",
    )


def flag_count(tipoff: Tipoff) -> int | None:
    """Tip-offs flagged as malicious or false from the same contact (None: no contact given)."""
    if not tipoff.contact_hash:
        return None
    return Tipoff.objects.filter(contact_hash=tipoff.contact_hash, flagged=True).count()


def routing_choices(case: Case) -> tuple[list[Department], list[Department]]:
    """(suggested departments for the category and the subject's city, every other active
    provincial or city department) for the credit centre's routing form."""
    tipoff = case.tipoff
    suggested = suggested_departments(category(tipoff.category), case.subject)
    ids = [d.pk for d in suggested]
    others = list(Department.objects.filter(active=True, level__in=["province", "city"]).exclude(pk__in=ids).order_by("code"))
    return suggested, others


def category_choices() -> list[tuple[str, str]]:
    return [(c.code, c.label) for c in categories().values()]
