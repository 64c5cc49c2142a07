"""Reads of annual reports: the publicity (public part; the optional part only where the
enterprise chose to publish it; the telephone masked), an enterprise's own reports, the years it
may file, and the removal applications a department has to decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from xinyong.common.masking import mask_phone
from xinyong.subjects.models import Subject

from .models import BUSINESS_STATUS_CHOICES, AnnualReport, RemovalApplication
from .rules import rules

STATUS_LABELS = dict(BUSINESS_STATUS_CHOICES)


@dataclass(frozen=True)
class PublicReport:
    year: int
    filed_on: date
    late: bool
    door: str
    address: str
    postcode: str
    phone: str  # masked
    email: str
    business_status: str
    has_investments: bool
    has_equity_transfer: bool
    website: str
    finances: dict | None  # label → value, or None when the enterprise chose not to publish them
    corrections: int
    corrected_on: date | None


def public_organization(uscc: str) -> Subject | None:
    """An organization by USCC (individuals never: same None as for an unknown code)."""
    uscc = (uscc or "").strip().upper()
    if len(uscc) != 18:
        return None
    return Subject.objects.filter(uscc=uscc).exclude(kind="individual").first()


def public_reports(subject: Subject) -> list[PublicReport]:
    out = []
    for r in AnnualReport.objects.filter(subject=subject).order_by("-year"):
        finances = None
        if r.publish_finances:
            finances = {
                "从业人数": r.employees, "资产总额（万元）": r.total_assets, "负债总额（万元）": r.total_liabilities,
                "营业总收入（万元）": r.revenue, "净利润（万元）": r.net_profit, "纳税总额（万元）": r.total_tax,
            }
        out.append(PublicReport(
            year=r.year, filed_on=r.filed_on, late=r.late, door=r.get_door_display(), address=r.address, postcode=r.postcode,
            phone=mask_phone(r.phone), email=r.email, business_status=STATUS_LABELS.get(r.business_status, ""),
            has_investments=r.has_investments, has_equity_transfer=r.has_equity_transfer, website=r.website,
            finances=finances, corrections=r.corrections, corrected_on=r.corrected_on,
        ))
    return out


def own_reports(subject: Subject) -> QuerySet[AnnualReport]:
    """The enterprise's own reports, every part (its account only)."""
    return AnnualReport.objects.filter(subject=subject).order_by("-year")


def fileable_years(subject: Subject, day: date) -> list[int]:
    """Years the enterprise may file now: from its establishment (and the platform's first
    report year) to last year, not filed yet; the latest first."""
    r = rules()
    first = max(r.first_report_year, subject.registered_on.year if subject.registered_on else r.first_report_year)
    last = day.year - 1 if day >= r.opens(day.year - 1) else day.year - 2
    filed = set(AnnualReport.objects.filter(subject=subject).values_list("year", flat=True))
    return [y for y in range(last, first - 1, -1) if y not in filed]


def pending_applications(scope) -> QuerySet[RemovalApplication]:
    """Removal applications waiting for a decision: the department's own listings (every
    department's for credit-centre staff)."""
    qs = RemovalApplication.objects.filter(status="pending").select_related("subject", "report", "entry", "entry__designating_department").order_by("due_on", "id")
    if not scope.staff:
        qs = qs.filter(entry__designating_department=scope.department)
    return qs
