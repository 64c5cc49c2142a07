"""Pages of annual reports. Thin: who asks, parse a form, call one service or selector, render.

- /my/annual-reports/ — an enterprise's own reports; file the report of a year; correct one
  (portal accounts: xinyong.accounts.decorators.subject_login_required).
- /subjects/<uscc>/annual-reports/ — the publicity of an enterprise's reports (public part).
- /dept/annual-reports/ — market supervision departments (and credit-centre staff): file a paper
  report on the enterprise's behalf; decide removal applications from the abnormal operations list.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from xinyong.accounts.decorators import subject_login_required
from xinyong.accounts.selectors import account_subject
from xinyong.common.errors import XinyongError
from xinyong.common.ratelimit import rate_limited
from xinyong.ingestion.views import dept_view
from xinyong.records import selectors as record_selectors
from xinyong.security.services import Actor

from . import selectors, services
from .forms import DecideForm, DeptFileForm, ReportForm, YearForm
from .models import AnnualReport
from .rules import rules


def _actor(request) -> Actor:
    return Actor.for_user(request.user, ip=request.META.get("REMOTE_ADDR"))


# ---------------------------------------------------------------------- the enterprise's own
def _own_subject(request):
    subject = account_subject(request)
    if subject is None or subject.kind not in rules().subject_kinds or not subject.uscc:
        return None
    return subject


@subject_login_required
@require_GET
def my_reports(request):
    subject = _own_subject(request)
    today = record_selectors.today()
    context = {"subject": subject, "rules": rules(), "today": today}
    if subject is not None:
        context["reports"] = selectors.own_reports(subject)
        context["years"] = selectors.fileable_years(subject, today)
    return render(request, "annualreports/my_reports.html", context)


@subject_login_required
def my_file(request):
    subject = _own_subject(request)
    if subject is None:
        raise PermissionDenied("只有平台已登记的企业账户可以报送企业年度报告。")
    today = record_selectors.today()
    years = selectors.fileable_years(subject, today)
    if not years:
        messages.info(request, "目前没有需要报送的年度报告。")
        return redirect("annualreports:my_reports")
    year_form = YearForm(request.POST or None, years=years, initial={"year": years[0]})
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if year_form.is_valid():
            try:
                report = services.annual_report_file(subject=subject, year=year_form.cleaned_data["year"], data=form.report_data(), door="portal", actor=_actor(request), day=today)
            except XinyongError as exc:
                form.is_valid()
                form.attach(exc)
                status = exc.status
            else:
                note = "（逾期报送）" if report.late else ""
                messages.success(request, f"{report.year}年度报告已报送并公示{note}。")
                return redirect("annualreports:my_reports")
    return render(request, "annualreports/file.html", {"subject": subject, "form": form, "year_form": year_form, "title": "报送年度报告"}, status=status)


@subject_login_required
def my_correct(request, year: int):
    subject = _own_subject(request)
    if subject is None:
        raise PermissionDenied("只有平台已登记的企业账户可以更正企业年度报告。")
    report = get_object_or_404(AnnualReport, subject=subject, year=year)
    # bound on every POST, even an empty one (an unbound form has no errors to attach a refusal to)
    form = ReportForm(request.POST if request.method == "POST" else None, initial=ReportForm.initial_from(report))
    status = 200
    if request.method == "POST":
        status = 400
        try:
            services.annual_report_correct(report_id=report.id, data=form.report_data(), door="portal", actor=_actor(request), reason=request.POST.get("reason", "")[:500])
        except XinyongError as exc:
            form.is_valid()
            form.attach(exc)
            status = exc.status
        else:
            messages.success(request, f"{report.year}年度报告已更正，公示中注明“已更正”。")
            return redirect("annualreports:my_reports")
    return render(request, "annualreports/file.html", {"subject": subject, "form": form, "report": report, "title": f"更正{report.year}年度报告"}, status=status)


# ---------------------------------------------------------------------- publicity
@rate_limited("file")
@require_GET
def publicity(request, uscc: str):
    subject = selectors.public_organization(uscc)
    if subject is None:
        return render(request, "portal/subject_404.html", status=404)
    return render(request, "annualreports/publicity.html", {"subject": subject, "reports": selectors.public_reports(subject)})


# ---------------------------------------------------------------------- department
def _may_file(scope) -> bool:
    return scope.staff or (scope.department is not None and scope.department.system == "GSJ")


@dept_view
@require_GET
def dept_index(request):
    scope = request.scope
    return render(request, "annualreports/dept/index.html", {
        "scope": scope, "applications": selectors.pending_applications(scope)[:200], "may_file": _may_file(scope),
        "today": record_selectors.today(),
    })


@dept_view
def dept_file(request):
    scope = request.scope
    if not _may_file(scope):
        raise PermissionDenied("只有市场监督管理部门（登记机关）或信用中心工作人员可以代为录入企业年度报告。")
    head = DeptFileForm(request.POST or None)
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if head.is_valid():
            subject = selectors.public_organization(head.cleaned_data["uscc"])
            if subject is None:
                head.add_error("uscc", "平台没有该统一社会信用代码的企业")
            else:
                try:
                    report = services.annual_report_file(
                        subject=subject, year=head.cleaned_data["year"], data=form.report_data(), door="department",
                        actor=_actor(request), department=scope.department, day=head.cleaned_data["day"] or record_selectors.today(),
                    )
                except XinyongError as exc:
                    form.is_valid()
                    if "year" in exc.fields:
                        head.add_error("year", exc.fields["year"])
                    form.attach(exc)
                    status = exc.status
                else:
                    messages.success(request, f"已代{subject.name}录入{report.year}年度报告{'（逾期报送）' if report.late else ''}。")
                    return redirect("dept_annualreports:index")
    return render(request, "annualreports/dept/file.html", {"scope": scope, "head": head, "form": form}, status=status)


@dept_view
@require_POST
def dept_decide(request, application_id: int):
    scope = request.scope
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择准予移出或不予移出。")
        return redirect("dept_annualreports:index")
    try:
        application = services.removal_decide(
            application_id=application_id, approve=form.cleaned_data["decision"] == "approve", actor=_actor(request),
            department=scope.department, staff=scope.staff, note=form.cleaned_data["note"],
        )
    except XinyongError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已{application.get_status_display()}：{application.subject.name}。")
    return redirect("dept_annualreports:index")
