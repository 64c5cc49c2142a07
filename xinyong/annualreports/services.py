"""Writes of annual reports and of the abnormal operations list (经营异常名录) they feed.

    annual_report_file(...)      报送: the report of a year; late after the deadline; a filing
                                 that cures an abnormal operations listing is the application
                                 for removal (a RemovalApplication, approved at once when
                                 XINYONG["ANNUAL_REPORTS"]["AUTO_REMOVAL"], else by staff)
    annual_report_correct(...)   更正: a filed report, with its history
    removal_decide(...)          the department approves or refuses a removal application
    abnormal_list_missing(...)   the job: list, set-based, every enterprise that has not filed
    serious_escalate(...)        the job: 3 years on the list → the serious violation list,
                                 through the due process of xinyong/sanctions

The rules (dates, windows, terms, texts) are in definitions/rules.yaml (`rules()`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from xinyong.catalog.models import Department
from xinyong.common.calendar import calendar
from xinyong.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from xinyong.records import selectors as record_selectors
from xinyong.sanctions import services as sanction_services
from xinyong.sanctions.models import ListEntry
from xinyong.security.services import Actor, audit_log
from xinyong.subjects.models import Subject

from . import validation
from .models import DOOR_CHOICES, AnnualReport, AnnualReportCorrection, RemovalApplication
from .rules import rules

ABNORMAL = "abnormal_operations"
SERIOUS = "serious_violation"
RULE_PREFIX = "annual_report:"  # ListEntry.rule of an abnormal listing for a missing report: "annual_report:2025@2026.11"
JOB_ACTOR = "年度报告定时任务"


def _settings() -> dict:
    return settings.XINYONG.get("ANNUAL_REPORTS", {})


def listing_rule(year: int) -> str:
    return f"{RULE_PREFIX}{year}@{rules().version}"


def listing_year(entry: ListEntry) -> int | None:
    """The report year an abnormal listing is for (None: listed for another reason)."""
    if not entry.rule.startswith(RULE_PREFIX):
        return None
    try:
        return int(entry.rule[len(RULE_PREFIX):].split("@", 1)[0])
    except ValueError:
        return None


def market_supervision_department(region: str) -> Department:
    """The market supervision department (市场监督管理局, system GSJ) of a region: the county's,
    else the city's, else the province's."""
    region = region or ""
    codes = [f"{region}-GSJ", f"{region[:4]}00-GSJ", "220000-GSJ"] if len(region) == 6 else ["220000-GSJ"]
    found = {d.code: d for d in Department.objects.filter(code__in=codes, active=True)}
    for code in codes:
        if code in found:
            return found[code]
    raise NotFound("没有可用的市场监督管理部门", code="no_department")


def must_file_q(year: int):
    """The subjects that must file the report of `year`: enterprises with a USCC, registered
    (established) before the year ended, not deregistered."""
    r = rules()
    return (
        Subject.objects.filter(kind__in=r.subject_kinds, uscc__isnull=False, registered_on__isnull=False, registered_on__lte=date(year, 12, 31))
        .exclude(status__in=r.exempt_statuses)
    )


# ---------------------------------------------------------------------- filing
def _check_door(door: str) -> None:
    if door not in dict(DOOR_CHOICES):
        raise InvalidInput("报送渠道应为 portal、department 或 api", code="bad_door", fields={"door": "未知的报送渠道"})


def _check_subject(subject: Subject) -> None:
    r = rules()
    if subject is None or subject.kind not in r.subject_kinds or not subject.uscc:
        raise InvalidInput("只有具有统一社会信用代码的企业报送企业年度报告", code="not_enterprise", fields={"subject": "该主体不是企业"})
    if subject.status in r.exempt_statuses:
        raise InvalidInput(f"该企业登记状态为“{subject.status}”，无需报送年度报告", code="not_required", fields={"subject": f"登记状态：{subject.status}"})


def _parse_year(year) -> int:
    try:
        return int(str(year).strip())
    except (TypeError, ValueError):
        raise InvalidInput("报告年度应为四位年份，如2025", code="bad_year", fields={"year": "应为四位年份"}) from None


@transaction.atomic
def annual_report_file(*, subject: Subject, year, data: dict, door: str, actor: Actor, department: Department | None = None, day: date | None = None) -> AnnualReport:
    """报送: the annual report of `year` for `subject`. During the filing period only the previous
    year's report is on time; a report filed after the deadline (补报) is accepted and marked late.
    A year not ended yet, a year before the enterprise was established and a second report of the
    same year (use annual_report_correct) are refused."""
    _check_door(door)
    _check_subject(subject)
    r = rules()
    day = day or record_selectors.today()
    year = _parse_year(year)
    if year >= day.year or day < r.opens(year):
        raise InvalidInput(f"{year}年度尚未结束，{r.opens(year).isoformat()}起方可报送{year}年度报告", code="year_not_ended", fields={"year": f"{year}年度的报告{r.opens(year).year}年起报送"})
    if year < r.first_report_year:
        raise InvalidInput(f"本平台受理{r.first_report_year}年度及以后的年度报告", code="year_too_early", fields={"year": f"不早于{r.first_report_year}年度"})
    if subject.registered_on is not None and subject.registered_on.year > year:
        raise InvalidInput(
            f"该企业成立于{subject.registered_on.isoformat()}，无需报送{year}年度报告（自{subject.registered_on.year}年度起报送）",
            code="before_registration", fields={"year": f"早于成立年度{subject.registered_on.year}"},
        )
    values = validation.clean(data)
    existing = AnnualReport.objects.filter(subject=subject, year=year).values_list("filed_on", flat=True).first()
    if existing is not None:
        raise Conflict(f"已于{existing.isoformat()}报送{year}年度报告，不能重复报送；如需修改请更正年度报告", code="duplicate_report", fields={"year": "该年度已报送"})
    late = day > r.deadline(year)
    try:
        with transaction.atomic():
            report = AnnualReport.objects.create(
                subject=subject, year=year, filed_on=day, filed_at=timezone.now(), late=late, door=door, department=department,
                filed_by=actor.label[:150], **values,
            )
    except IntegrityError:  # a concurrent filing of the same year
        raise Conflict(f"已报送{year}年度报告，不能重复报送；如需修改请更正年度报告", code="duplicate_report", fields={"year": "该年度已报送"}) from None
    audit_log(actor=actor, action="annual_report.file", object_type="annual_report", object_id=report.id, subject_id=subject.id,
              detail={"year": year, "door": door, "late": late, "on": day.isoformat(), "department": department.code if department else ""})
    _apply_for_removal(report, actor=actor, day=day)
    return report


@transaction.atomic
def annual_report_correct(*, report_id: int, data: dict, door: str, actor: Actor, reason: str = "", department: Department | None = None, day: date | None = None) -> AnnualReport:
    """更正: change a filed report. The values are checked as at filing; what changed is kept
    (AnnualReportCorrection) and the publicity shows that and when the report was corrected."""
    _check_door(door)
    report = AnnualReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound("年度报告不存在", code="unknown_report")
    day = day or record_selectors.today()
    if day < report.filed_on:
        raise InvalidInput(f"更正日期早于报送日期（{report.filed_on.isoformat()}）", code="date_order", fields={"day": "早于报送日期"})
    values = validation.clean(data)
    changes = {k: [_plain(getattr(report, k)), _plain(v)] for k, v in values.items() if getattr(report, k) != v}
    if not changes:
        raise InvalidInput("更正内容与已报送的年度报告相同，没有需要更正的内容", code="no_change")
    for k, v in values.items():
        setattr(report, k, v)
    report.corrections += 1
    report.corrected_on = day
    report.save()
    AnnualReportCorrection.objects.create(report=report, on=day, door=door, actor=actor.label[:150], changes=changes, reason=(reason or "").strip()[:500])
    audit_log(actor=actor, action="annual_report.correct", object_type="annual_report", object_id=report.id, subject_id=report.subject_id,
              detail={"year": report.year, "door": door, "fields": sorted(changes), "on": day.isoformat(), "department": department.code if department else ""})
    return report


def _plain(value):
    return str(value) if value is not None and not isinstance(value, (bool, int, str)) else value


# ---------------------------------------------------------------------- removal on application
def missing_years(subject: Subject, since: int, day: date) -> list[int]:
    """The report years from `since` to the latest due one that `subject` has not filed."""
    due = rules().due_year(day)
    if due is None or due < since:
        due = since
    first = max(since, subject.registered_on.year if subject.registered_on else since)
    filed = set(AnnualReport.objects.filter(subject=subject, year__gte=first, year__lte=due).values_list("year", flat=True))
    return [y for y in range(first, due + 1) if y not in filed]


def _apply_for_removal(report: AnnualReport, *, actor: Actor, day: date) -> None:
    """Filing the missing reports is the application for removal (第十一条): once every year
    from the listed one on is filed, an application for each abnormal listing of the subject for
    a missing report; approved at once with AUTO_REMOVAL, else it waits for the department."""
    subject = report.subject
    entries = ListEntry.objects.filter(list_code=ABNORMAL, subject=subject, status="listed", rule__startswith=RULE_PREFIX).order_by("id")
    for entry in entries:
        year = listing_year(entry)
        if year is None or missing_years(subject, year, day):
            continue
        if RemovalApplication.objects.filter(entry=entry, status="pending").exists():
            continue
        due = calendar().add_working_days(day, rules().removal_decision_working_days)
        application = RemovalApplication.objects.create(entry=entry, subject=subject, report=report, applied_on=day, due_on=due)
        audit_log(actor=actor, action="annual_report.removal_apply", object_type="removal_application", object_id=application.id, subject_id=subject.id,
                  detail={"entry": entry.id, "report": report.id, "due_on": due.isoformat()})
        if _settings().get("AUTO_REMOVAL"):
            _decide(application, approve=True, actor=Actor.system(JOB_ACTOR), department=entry.designating_department, on_behalf=False, note="", day=day)


def _decide(application: RemovalApplication, *, approve: bool, actor: Actor, department, on_behalf: bool, note: str, day: date) -> RemovalApplication:
    entry = application.entry
    if approve:
        years = "、".join(str(y) for y in sorted(set(AnnualReport.objects.filter(subject=application.subject, year__gte=listing_year(entry) or 0).values_list("year", flat=True))))
        reason = rules().removal["reason"].format(years=years)
        sanction_services.entry_remove(actor=actor, entry_id=entry.id, department=entry.designating_department, kind="repair", reason=reason, on_behalf=on_behalf, day=max(day, entry.listed_on))
        application.status = "approved"
    else:
        application.status = "refused"
    application.decided_on, application.decided_by, application.note = day, actor.label[:150], note[:500]
    application.save(update_fields=["status", "decided_on", "decided_by", "note"])
    audit_log(actor=actor, action=f"annual_report.removal_{application.status}", object_type="removal_application", object_id=application.id,
              subject_id=application.subject_id, purpose="信用中心代为办理" if on_behalf else "", detail={"entry": entry.id, "note": note[:500], "on": day.isoformat()})
    return application


@transaction.atomic
def removal_decide(*, application_id: int, approve: bool, actor: Actor, department, staff: bool = False, note: str = "", day: date | None = None) -> RemovalApplication:
    """The department that listed the entry (credit-centre staff: on its behalf) approves the
    removal — the entry is removed with a "remove" step — or refuses it with the reason."""
    application = RemovalApplication.objects.select_for_update(of=("self",)).select_related("entry", "entry__designating_department").filter(pk=application_id).first()
    if application is None:
        raise NotFound("移出申请不存在", code="unknown_application")
    if application.status != "pending":
        raise Conflict(f"该申请已于{application.decided_on.isoformat()}{application.get_status_display()}，不能重复决定", code="decided")
    owner = application.entry.designating_department
    if not staff and (department is None or department.id != owner.id):
        raise Forbidden(f"该条目由{owner.name}列入，只有该部门（或信用中心代为办理）可以决定移出", code="not_designator")
    note = (note or "").strip()
    if not approve and not note:
        raise InvalidInput("不予移出须写明理由", code="reason_required", fields={"note": "须写明理由"})
    day = day or record_selectors.today()
    if day < application.applied_on:
        raise InvalidInput(f"决定日期早于申请日期（{application.applied_on.isoformat()}）", code="date_order", fields={"day": "早于申请日期"})
    on_behalf = department is None or department.id != owner.id
    return _decide(application, approve=approve, actor=actor, department=owner, on_behalf=on_behalf, note=note, day=day)


# ---------------------------------------------------------------------- the job
def abnormal_list_missing(*, day: date | None = None, actor: Actor | None = None) -> dict:
    """List on the abnormal operations list every enterprise that must file the report of the
    latest year whose listing window has closed by `day`, has not filed it, and was not listed
    for that year before: one scheduled decision per market supervision department, set-based
    (sanctions.services.entries_decide_scheduled). A rerun lists nobody twice."""
    r = rules()
    day = day or record_selectors.today()
    actor = actor or Actor.system(JOB_ACTOR)
    year = r.due_year(day)
    if year is None:
        return {"year": None, "listed": 0}
    rule = listing_rule(year)
    filed = AnnualReport.objects.filter(year=year, subject_id=OuterRef("pk"))
    listed_before = ListEntry.objects.filter(list_code=ABNORMAL, subject_id=OuterRef("pk"), rule__startswith=f"{RULE_PREFIX}{year}@")
    candidates = must_file_q(year).filter(~Exists(filed), ~Exists(listed_before))
    by_department: dict[int, tuple[Department, list[str]]] = {}
    for region in candidates.order_by().values_list("region", flat=True).distinct():
        dept = market_supervision_department(region)
        by_department.setdefault(dept.id, (dept, []))[1].append(region)
    texts = r.listing
    listed = defaultdict(int)
    with transaction.atomic():
        for dept, regions in by_department.values():
            count = sanction_services.entries_decide_scheduled(
                actor=actor, list_code=ABNORMAL, department=dept, subjects=candidates.filter(region__in=regions),
                legal_basis=texts["legal_basis"], reason=texts["reason"].format(year=year),
                decision_no=f"{dept.short_name or dept.name}经营异常〔{day.year}〕年报{year}-{day:%m%d}",
                measures=texts["measures"], removal_terms=texts["removal_terms"], remedies=texts["remedies"], rule=rule, day=day,
            )
            if count:
                listed[dept.code] += count
    return {"year": year, "listing_day": r.listing_day(year).isoformat(), "listed": sum(listed.values()), "departments": dict(listed)}


def serious_escalate(*, day: date | None = None) -> dict:
    """3 years on the abnormal operations list for a missing report and still not filed → the
    serious violation list, through its due process: the job proposes (warning before punishment
    satisfied by the abnormal listing) and notifies; after the statement period it decides, if
    the subject made no statement and XINYONG["ANNUAL_REPORTS"]["SERIOUS_AUTO_DECIDE"]; a
    statement, or a report filed since the proposal (the subject complied), leaves the decision to
    the department (/dept/lists/)."""
    r = rules()
    day = day or record_selectors.today()
    actor = Actor.system(JOB_ACTOR)
    cutoff = sanction_services.add_months(day, -r.serious_after_months)
    escalated = ListEntry.objects.filter(list_code=SERIOUS, warning_entry_id=OuterRef("pk"))
    pending = RemovalApplication.objects.filter(entry_id=OuterRef("pk"), status="pending")
    due = (
        ListEntry.objects.filter(list_code=ABNORMAL, status="listed", rule__startswith=RULE_PREFIX, listed_on__lte=cutoff)
        .filter(~Exists(escalated), ~Exists(pending))
        .select_related("subject", "designating_department")
        .order_by("id")
    )
    texts = r.serious
    proposed = decided = 0
    for entry in due.iterator(chunk_size=500):
        dept = entry.designating_department
        with transaction.atomic():
            if ListEntry.objects.filter(list_code=SERIOUS, subject_id=entry.subject_id, status__in=sanction_services.OPEN_STATUSES).exists():
                continue  # already on it (or in its procedure) for another reason
            serious = sanction_services.entry_propose(
                actor=actor, list_code=SERIOUS, subject=entry.subject, department=dept,
                legal_basis=texts["legal_basis"], reason=texts["reason"].format(year=listing_year(entry), listed_on=entry.listed_on.isoformat()),
                persons=[{"role": "法定代表人", "name": entry.subject.legal_rep or "（登记信息未载明）"}], day=day,
            )
            if serious.warning_entry_id != entry.id:  # the abnormal listing that triggered it
                serious.warning_entry = entry
                serious.save(update_fields=["warning_entry", "updated_at"])
            sanction_services.entry_notify(actor=actor, entry_id=serious.id, department=dept, day=day)
            proposed += 1
    if _settings().get("SERIOUS_AUTO_DECIDE", True):
        ready = (
            ListEntry.objects.filter(list_code=SERIOUS, status="notified", statement_on__isnull=True, statement_due__lt=day, warning_entry__rule__startswith=RULE_PREFIX)
            .select_related("designating_department", "warning_entry").order_by("id")
        )
        for serious in ready.iterator(chunk_size=500):
            warning = serious.warning_entry
            if warning.status != "listed" or RemovalApplication.objects.filter(entry=warning, status="pending").exists():
                continue  # the enterprise has filed since: no longer "still not compliant", the department decides
            dept = serious.designating_department
            sanction_services.entry_decide(
                actor=actor, entry_id=serious.id, department=dept, decision_no=f"{dept.short_name or dept.name}严重违法〔{day.year}〕{serious.id}号",
                measures=texts["measures"], removal_terms=texts["removal_terms"], remedies=texts["remedies"], day=day,
            )
            decided += 1
    return {"proposed": proposed, "decided": decided}
