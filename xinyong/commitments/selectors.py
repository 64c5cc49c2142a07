"""Reads of credit commitments, with their visibility rules in one place.

Public (信用承诺 are published, 国办发〔2019〕35号): disclosure "public", signed on or before the
day and still in force (the catalog's `validity` rule: published while valid). Individuals: their
name is shown masked, never their ID number nor the text they signed (it carries the full name),
and a search by name or code never finds them, so that the public page cannot tell whether a
private individual exists (as the credit file's 404). Organizations are searched by name, USCC or
the commitment code.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from xinyong.common.normalize import normalize_code
from xinyong.records import selectors as record_selectors

from .models import Commitment


def public_q(day: date | None = None) -> Q:
    day = day or record_selectors.today()
    return Q(disclosure="public", signed_on__lte=day) & (Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def public_commitments(
    *, day: date | None = None, q: str = "", matter: str = "", department: str = "", date_from: date | None = None, date_to: date | None = None,
) -> QuerySet[Commitment]:
    qs = Commitment.objects.filter(public_q(day)).select_related("subject", "department")
    q = (q or "").strip()[:100]
    if q:
        code = normalize_code(q)
        organization = ~Q(subject__kind="individual")
        qs = qs.filter((organization & (Q(subject__uscc=code) | Q(subject__name__icontains=q))) | Q(code=code))
    if matter:
        qs = qs.filter(matter=matter)
    if department:
        qs = qs.filter(department__code=department)
    if date_from:
        qs = qs.filter(signed_on__gte=date_from)
    if date_to:
        qs = qs.filter(signed_on__lte=date_to)
    return qs.order_by("-signed_on", "-id")


def public_commitment(code: str, day: date | None = None) -> Commitment | None:
    return Commitment.objects.filter(public_q(day), code=str(code)[:20]).select_related("subject", "department").first()


def subject_public_commitments(subject, day: date | None = None) -> QuerySet[Commitment]:
    return Commitment.objects.filter(public_q(day), subject=subject).select_related("department").order_by("-signed_on", "-id")


def own_commitments(subject) -> QuerySet[Commitment]:
    """Every commitment of the subject (any disclosure, in force or not): the subject's own area."""
    return Commitment.objects.filter(subject=subject).select_related("department").order_by("-signed_on", "-id")


def own_commitment(subject, code: str) -> Commitment | None:
    return own_commitments(subject).filter(code=str(code)[:20]).first()


def department_commitments(scope, *, status: str = "", q: str = "") -> QuerySet[Commitment]:
    """The commitments a department accepted (credit-centre staff: all)."""
    qs = Commitment.objects.select_related("subject", "department")
    if not scope.staff:
        qs = qs.filter(department=scope.department)
    if status:
        qs = qs.filter(status=status)
    q = (q or "").strip()[:100]
    if q:
        code = normalize_code(q)
        qs = qs.filter(Q(code=code) | Q(subject__uscc=code) | Q(subject__name__icontains=q) | Q(case_no=q))
    return qs.order_by("-signed_on", "-id")


def department_commitment(scope, commitment_id: int) -> Commitment | None:
    return department_commitments(scope).filter(pk=commitment_id).first()


def status_label(commitment: Commitment, day: date | None = None) -> str:
    day = day or record_selectors.today()
    if commitment.status == "in_force" and commitment.valid_until is not None and day > commitment.valid_until:
        return "有效期届满"
    return commitment.get_status_display()
