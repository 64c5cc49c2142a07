"""Reads for subject accounts: who the logged-in portal account acts for, notifications, the
authorization letters awaiting review, and the self-report quota."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db.models import QuerySet

from xinyong.subjects.models import Subject

from .models import AuthorizationLetter, Notification, SelfReport, SubjectAccount


def user_account(user) -> SubjectAccount | None:
    """The user's subject account (any status), or None (anonymous users, staff)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return SubjectAccount.objects.select_related("user").get(user=user)
    except SubjectAccount.DoesNotExist:
        return None


def request_account(request) -> SubjectAccount | None:
    """The logged-in user's subject account, cached on the request."""
    if not hasattr(request, "_xinyong_account"):
        request._xinyong_account = user_account(getattr(request, "user", None))
    return request._xinyong_account


def active_account(request) -> SubjectAccount | None:
    """The logged-in user's subject account if it is verified and active, else None."""
    account = request_account(request)
    return account if account is not None and account.is_active_account else None


def subject_of(account: SubjectAccount) -> Subject | None:
    """The credit subject an account acts for, if the platform holds a file on it (an individual
    with no file yet, or an organization the platform has not registered: None)."""
    if account.kind == "organization":
        return Subject.objects.filter(uscc=account.uscc).first() if account.uscc else None
    return Subject.objects.filter(id_hash=account.subject_id_hash).first() if account.subject_id_hash else None


def account_subject(request) -> Subject | None:
    """The credit subject the logged-in portal account acts for: None for anonymous users, staff
    without a subject account, accounts not (or no longer) verified and active, and accounts whose
    subject has no file on the platform yet."""
    account = active_account(request)
    if account is None:
        return None
    if not hasattr(request, "_xinyong_account_subject"):
        request._xinyong_account_subject = subject_of(account)
    return request._xinyong_account_subject


def subject_accounts(subject: Subject) -> QuerySet[SubjectAccount]:
    """Every active account acting for the subject (all of an enterprise's authorized persons)."""
    qs = SubjectAccount.objects.filter(status="active", user__is_active=True)
    if subject.is_individual:
        return qs.filter(kind="individual", subject_id_hash=subject.id_hash or "-")
    return qs.filter(kind="organization", uscc=subject.uscc or "-")


def notifications(user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_count(user) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def letters_to_review() -> QuerySet[AuthorizationLetter]:
    return AuthorizationLetter.objects.filter(decision="", account__status="pending").select_related("account", "account__user").order_by("id")


def organization_accounts(uscc: str) -> QuerySet[SubjectAccount]:
    return SubjectAccount.objects.filter(kind="organization", uscc=uscc).select_related("user").order_by("id")


def free_self_reports_per_year() -> int:
    return int(settings.XINYONG.get("FREE_SELF_REPORTS_PER_YEAR", 2))


def self_reports_used(account: SubjectAccount, year: int) -> int:
    """Self-reports downloaded in the calendar year: an individual's by the person (whatever the
    account), an organization's by the account."""
    if account.kind == "individual":
        return SelfReport.objects.filter(account__kind="individual", account__subject_id_hash=account.subject_id_hash, year=year).count()
    return SelfReport.objects.filter(account=account, year=year).count()


def self_reports_left(account: SubjectAccount, day: date) -> int | None:
    """Free self-reports left this calendar year for an individual; None: no quota (organizations)."""
    if account.kind != "individual":
        return None
    return max(0, free_self_reports_per_year() - self_reports_used(account, day.year))


# ---------------------------------------------------------------------- the own file
@dataclass
class OwnEntry:
    entry: object  # sanctions.models.ListEntry
    list_name: str
    public: bool


@dataclass
class OwnGrade:
    model_code: str
    model_name: str
    grade: str
    grade_name: str
    score: float
    since: object
    public: bool


@dataclass
class OwnFile:
    """What the subject's own account shows: the whole file with what the public does not see
    marked (and why), the list entries in force, and the current grades."""

    file: object  # portal.selectors.CreditFile
    not_public: dict[int, str]  # record id → why the public does not see it
    entries: list[OwnEntry] = field(default_factory=list)
    grades: list[OwnGrade] = field(default_factory=list)
    public_grades: list = field(default_factory=list)  # evaluation.selectors.PublicGrade, explained

    @property
    def not_public_count(self) -> int:
        return len(self.not_public)


def own_file(subject: Subject, *, day: date | None = None) -> OwnFile:
    from xinyong.catalog.registry import get_catalog
    from xinyong.evaluation import selectors as evaluation_selectors
    from xinyong.portal import selectors as portal_selectors
    from xinyong.records import selectors as record_selectors
    from xinyong.sanctions import selectors as list_selectors

    day = day or record_selectors.today()
    credit_file, reasons = portal_selectors.own_credit_file(subject, day=day)
    specs = getattr(get_catalog(), "lists", None) or {}
    public_ids = {e.id for e in list_selectors.public_memberships(subject, day)}
    entries = [
        OwnEntry(entry=e, list_name=str(getattr(specs.get(e.list_code), "name", "") or e.list_code), public=e.id in public_ids)
        for e in list_selectors.active_entries([subject.id], day).get(subject.id, [])
    ]
    public_models = evaluation_selectors.public_models()
    grades = []
    for result in evaluation_selectors.current_results(subject.id, public_only=False):
        ex = evaluation_selectors.explain(result)
        if ex.model is None:
            continue
        grades.append(OwnGrade(result.model_code, ex.model.name, result.grade, ex.grade_name, result.score, result.valid_from, result.model_code in public_models and not subject.is_individual))
    public_grades = [] if subject.is_individual else evaluation_selectors.public_grades(subject.id, day=day)
    return OwnFile(file=credit_file, not_public=reasons, entries=entries, grades=grades, public_grades=public_grades)


def my_cases(subject: Subject | None) -> list | None:
    """The hook for "my applications": cases (objections, repairs...) of `xinyong.cases` about the
    subject, through `xinyong.cases.selectors.cases_for_subject(subject)` when that app is
    installed and offers it; None (the section is left out) otherwise."""
    from django.apps import apps

    if subject is None or not apps.is_installed("xinyong.cases"):
        return None
    try:
        from xinyong.cases.selectors import cases_for_subject  # type: ignore[import-not-found]
    except ImportError:
        return None
    return list(cases_for_subject(subject))
