"""Staff pages of the agency registry (/dept/agencies/): the registry, registering an agency,
changing its registration and status; and the supervising department's actions on complaints
(closing with a reply, a negative record from a substantiated one), shown on the case page of
/dept/cases/ (template cases/dept/_actions_complaint.html). Thin: who acts, one service, render.

Every department's staff may read the registry; changes need the supervision remit (services).
Credit-centre staff act on behalf of the supervising department."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinyong.cases import selectors as case_selectors
from xinyong.cases.dept_views import case_page
from xinyong.catalog.models import Department
from xinyong.common.errors import Forbidden, XinyongError
from xinyong.ingestion.views import _actor, dept_view

from . import selectors, services
from .rules import rules

PER_PAGE = 50


def acting(request, *, agency=None, chosen_code: str = "") -> tuple[Department, bool]:
    """(the department the change is made for, whether on behalf of it): a department operator
    acts for their own department; credit-centre staff for the agency's supervisor, or the
    department they choose when registering."""
    scope = request.scope
    if scope.department is not None and not scope.staff:
        return scope.department, False
    target = None
    if chosen_code:
        target = Department.objects.filter(code=chosen_code, active=True).first()
    elif agency is not None:
        target = agency.supervisor
    target = target or scope.department
    if target is None:
        raise Forbidden("请选择登记该机构的监管部门", code="no_department", fields={"supervisor": "必选"})
    return target, target != scope.department


@require_GET
@dept_view
def index(request):
    r = rules()
    status = request.GET.get("status") or None
    if status not in selectors.STATUSES:
        status = None
    business_type = request.GET.get("type") or None
    if business_type not in r.types:
        business_type = None
    page = Paginator(selectors.staff_agencies(status=status, business_type=business_type), PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_labels(page.object_list)
    scope = request.scope
    may_register = scope.staff or (scope.department is not None and scope.department.system in r.authorities)
    return render(request, "agencies/dept/index.html", {
        "page": page, "scope": scope, "types": list(r.types.values()), "statuses": selectors.STATUSES.items(),
        "chosen": {"status": status, "type": business_type}, "may_register": may_register,
    })


@require_http_methods(["GET", "POST"])
@dept_view
def register(request):
    r = rules()
    errors: dict = {}
    error = ""
    status = 200
    if request.method == "POST":
        try:
            department, on_behalf = acting(request, chosen_code=request.POST.get("supervisor", ""))
            agency = services.agency_register(
                uscc=request.POST.get("uscc", ""), business_types=request.POST.getlist("business_types"), licence_no=request.POST.get("licence_no", ""),
                entered_on=request.POST.get("entered_on", ""), key_staff=request.POST.get("key_staff", ""), service_note=request.POST.get("service_note", ""),
                department=department, actor=_actor(request), on_behalf=on_behalf,
            )
        except XinyongError as exc:
            errors, error, status = exc.fields, exc.message, exc.status if exc.status < 500 else 400
        else:
            messages.success(request, f"已登记信用服务机构：{agency.subject.name}。")
            return redirect("dept_agencies:agency", agency_id=agency.pk)
    return render(request, "agencies/dept/register.html", {
        "types": list(r.types.values()), "errors": errors, "error": error, "post": request.POST, "chosen_types": request.POST.getlist("business_types"),
        "scope": request.scope, "supervisors": selectors.supervisors() if request.scope.staff else [],
    }, status=status)


def _agency_or_404(agency_id):
    agency = selectors.staff_agency(agency_id)
    if agency is None:
        raise Http404("未找到该信用服务机构")
    return agency


def agency_page(request, agency, *, status: int = 200, errors: dict | None = None, form: str = ""):
    r = rules()
    party = case_selectors.party_for(request.scope)
    visible = set(case_selectors.staff_cases(party).filter(kind="complaint", subject_id=agency.subject_id).values_list("id", flat=True))
    complaints = case_selectors.with_labels(c for c in selectors.complaints_of(agency) if c.pk in visible)
    return render(request, "agencies/dept/agency.html", {
        "agency": agency, "types": r.types, "type_list": list(r.types.values()), "type_names": r.type_names(agency.business_types),
        "events": selectors.history(agency), "complaints": complaints, "scope": request.scope,
        "may_act": request.scope.staff or r.has_remit(request.scope.department, agency.business_types) or (request.scope.department is not None and request.scope.department.pk == agency.supervisor_id),
        "errors": errors or {}, "form": form, "post": request.POST if errors else {},
        "chosen_types": request.POST.getlist("business_types") if errors and form == "update" else agency.business_types,
    }, status=status)


@require_GET
@dept_view
def agency(request, agency_id: int):
    return agency_page(request, _agency_or_404(agency_id))


@require_POST
@dept_view
def update(request, agency_id: int):
    agency = _agency_or_404(agency_id)
    try:
        department, on_behalf = acting(request, agency=agency)
        services.agency_update(
            agency_id=agency.pk, department=department, actor=_actor(request), business_types=request.POST.getlist("business_types"),
            licence_no=request.POST.get("licence_no", ""), key_staff=request.POST.get("key_staff", ""), service_note=request.POST.get("service_note", ""),
            on_behalf=on_behalf,
        )
    except XinyongError as exc:
        return agency_page(request, agency, status=exc.status if exc.status < 500 else 400, errors={"page": exc.message, **exc.fields}, form="update")
    messages.success(request, "登记信息已变更。")
    return redirect("dept_agencies:agency", agency_id=agency.pk)


_STATUS_SERVICES = {"suspend": services.agency_suspend, "resume": services.agency_resume, "exit": services.agency_exit}
_STATUS_DONE = {"suspend": "已暂停该机构的业务。", "resume": "已恢复该机构的业务。", "exit": "已办理该机构的市场退出。"}


@require_POST
@dept_view
def status(request, agency_id: int, action: str):
    agency = _agency_or_404(agency_id)
    service = _STATUS_SERVICES.get(action)
    if service is None:
        raise Http404("未知的操作")
    try:
        department, on_behalf = acting(request, agency=agency)
        service(agency_id=agency.pk, reason=request.POST.get("reason", ""), on=request.POST.get("on") or None, department=department, actor=_actor(request), on_behalf=on_behalf)
    except XinyongError as exc:
        return agency_page(request, agency, status=exc.status if exc.status < 500 else 400, errors={"page": exc.message, **exc.fields}, form=action)
    messages.success(request, _STATUS_DONE[action])
    return redirect("dept_agencies:agency", agency_id=agency.pk)


# ---------------------------------------------------------------------- complaints
def _failed(request, case, exc: XinyongError, form: str):
    return case_page(request, case, status=exc.status if exc.status < 500 else 400, errors={"page": exc.message, **{f"{form}.{k}": v for k, v in exc.fields.items()}}, forms={form: request.POST})


@require_POST
@dept_view
def complaint_close(request, pk: int):
    party = case_selectors.party_for(request.scope)
    case = case_selectors.case_for_staff(party, pk)
    try:
        case = services.complaint_close(case=case, outcome=request.POST.get("outcome", ""), reply=request.POST.get("reply", ""), party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "close")
    outcome = rules().outcomes[case.outcome]
    if outcome.record and party.department is not None and party.department.pk == case.department_id:
        messages.success(request, f"投诉已办结（{outcome.label}），已书面答复投诉人。如需据此报送失信记录，请填写下表。")
        return redirect("dept_agencies:complaint_record", pk=case.pk)
    messages.success(request, "投诉已办结，已书面答复投诉人。")
    return redirect("cases_dept:case", pk=case.pk)


@require_http_methods(["GET", "POST"])
@dept_view
def complaint_record(request, pk: int):
    """A negative record about the agency from a substantiated complaint: the fields of the
    department's penalty item that the complaint does not give (the rest is filled in)."""
    party = case_selectors.party_for(request.scope)
    case = case_selectors.case_for_staff(party, pk)
    if case.kind != "complaint":
        raise Http404("未找到该投诉办件")
    errors: dict = {}
    error = ""
    status = 200
    if request.method == "POST":
        try:
            record = services.complaint_record(case=case, values=request.POST, party=party, actor=_actor(request), user=request.user)
        except XinyongError as exc:
            errors, error, status = exc.fields, exc.message, exc.status if exc.status < 500 else 400
        else:
            messages.success(request, f"已报送失信记录（记录 {record.pk}），来源记录编号 {record.source_id}。")
            return redirect("cases_dept:case", pk=case.pk)
    department = party.department
    item = services.record_item_for(department) if department is not None else None
    categories = []
    if item is not None:
        field = item.field_map.get("penalty_category")
        categories = list(field.choices) if field is not None and field.choices else []
    outcome = rules().outcomes.get(case.outcome)
    return render(request, "agencies/dept/complaint_record.html", {
        "case": case, "item": item, "outcome": outcome, "errors": errors, "error": error, "post": request.POST, "categories": categories,
        "legal_rep": case.subject.legal_rep if case.subject else "", "record_id": (case.data or {}).get("record_id"), "scope": request.scope,
        "fields": services.RECORD_FIELDS, "today": services.today(),
    }, status=status)
