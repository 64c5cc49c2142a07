"""Reads of cases, with who may see what in one place.

- the applicant: cases filed through their account (as the subject or as the user), or cases
  whose receipt code they entered in this browser session;
- department staff: cases their department holds or took part in (routes); the credit centre
  (platform staff, or operators of the credit-centre department): every case.
Anyone else gets the same not-found answer as for a case that does not exist.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404

from xinyong.catalog.models import Department
from xinyong.common.calendar import calendar

from .models import Case, CaseAttachment
from .services import Party, receipt_hash, today
from .workflows import workflow

SESSION_KEY = "case_receipts"
TIPOFF = "tipoff"  # the case kind of tip-offs: followed at /tipoffs/track/, never on the applicant's case page


def cases_for_subject(subject) -> QuerySet[Case]:
    """The cases a subject filed (its account's applications), newest first (the /my/ page)."""
    if subject is None:
        return Case.objects.none()
    return Case.objects.filter(applicant_subject=subject).order_by("-id")


def state_label(case: Case) -> str:
    return workflow(case.kind).state(case.state).label


def with_labels(cases) -> list[Case]:
    out = list(cases)
    for c in out:
        c.state_label = state_label(c)
        c.overdue = bool(c.is_open and c.due_on and c.due_on < today())
    return out


# ---------------------------------------------------------------------- applicant side
def remember_receipt(request, case: Case) -> None:
    ids = [i for i in request.session.get(SESSION_KEY, []) if i != case.pk][-19:]
    request.session[SESSION_KEY] = [*ids, case.pk]


def case_by_receipt(code: str) -> Case | None:
    return Case.objects.filter(receipt_hash=receipt_hash(code)).first()


def applicant_may_see(request, case: Case, subject=None) -> bool:
    if case.pk in request.session.get(SESSION_KEY, []):
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and case.applicant_user_id == user.pk:
        return True
    return subject is not None and case.applicant_subject_id == subject.pk


def case_for_applicant(request, public_id, subject=None) -> Case:
    case = Case.objects.select_related("subject", "holder", "department").filter(public_id=public_id).exclude(kind=TIPOFF).first()
    if case is None or not applicant_may_see(request, case, subject):
        raise Http404("未找到该办件")
    return case


def case_attachment(case: Case, file_id) -> CaseAttachment:
    """An attachment of a case the caller may already see (checked by case_for_applicant or
    case_for_staff); 404 for another case's file."""
    att = case.attachments.filter(public_id=file_id).first()
    if att is None:
        raise Http404("未找到该附件")
    return att


# ---------------------------------------------------------------------- staff side
def party_for(scope) -> Party:
    """The case party of a department-pages scope (ingestion.selectors.scope_for)."""
    return Party("staff", department=scope.department, staff=scope.staff)


def staff_cases(party: Party) -> QuerySet[Case]:
    qs = Case.objects.select_related("holder", "department", "subject", "assignee")
    if party.is_credit_centre:
        return qs
    if party.department is None:
        return qs.none()
    return qs.filter(Q(holder=party.department) | Q(routes__department=party.department)).distinct()


def work_queue(party: Party, *, status: str = "open", kind: str | None = None, escalated: bool = False) -> QuerySet[Case]:
    qs = staff_cases(party)
    if status == "open":
        qs = qs.filter(is_open=True)
        if not party.is_credit_centre:
            ids = Case.objects.filter(Q(holder=party.department) | Q(routes__department=party.department, routes__active=True), is_open=True).values("id")
            qs = qs.filter(id__in=ids)
    elif status == "closed":
        qs = qs.filter(is_open=False)
    if kind:
        qs = qs.filter(kind=kind)
    if escalated:
        qs = qs.filter(escalated_at__isnull=False)
    return qs.order_by("due_on", "id") if status == "open" else qs.order_by("-id")


def case_for_staff(party: Party, pk: int) -> Case:
    case = staff_cases(party).filter(pk=pk).first()
    if case is None:
        raise Http404("未找到该办件")
    return case


# ---------------------------------------------------------------------- SLA figures
@dataclass(frozen=True)
class Sla:
    department: Department
    open: int
    overdue: int
    closed: int
    median_working_days: float | None


def sla_by_department(*, day: date | None = None, kind: str | None = None) -> list[Sla]:
    """Per responsible department: open cases, open past their deadline, closed cases and the
    median handling time of closed cases in working days (filing to closing)."""
    day = day or today()
    cal = calendar()
    qs = Case.objects.filter(department__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    rows: dict[int, dict] = {}
    for dept_id, is_open, due_on, filed_on, closed_on in qs.values_list("department_id", "is_open", "due_on", "filed_on", "closed_on").iterator():
        r = rows.setdefault(dept_id, {"open": 0, "overdue": 0, "durations": []})
        if is_open:
            r["open"] += 1
            if due_on and due_on < day:
                r["overdue"] += 1
        elif closed_on:
            r["durations"].append(cal.working_days_between(filed_on, closed_on))
    depts = Department.objects.in_bulk(list(rows))
    out = [
        Sla(depts[d], r["open"], r["overdue"], len(r["durations"]), statistics.median(r["durations"]) if r["durations"] else None)
        for d, r in rows.items()
    ]
    return sorted(out, key=lambda s: (-s.overdue, -s.open, s.department.code))
