"""Staff pages of cases (/dept/cases/): the work queue of the user's department (the credit
centre sees every case and the escalated ones), a case with its actions, SLA figures. The
actions of a kind (an objection's conclusion, a repair review) are the kind's app's pages
(xinyong/redress), included in the case page by template name."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.template.loader import select_template
from django.views.decorators.http import require_GET, require_POST

from xinyong.common.errors import XinyongError
from xinyong.ingestion.views import _actor, dept_view
from xinyong.records import services as record_services

from . import selectors, services
from .models import KIND_CHOICES
from .views import serve_attachment
from .workflows import workflow

PER_PAGE = 50


def _party(request):
    return selectors.party_for(request.scope)


@require_GET
@dept_view
def queue(request):
    party = _party(request)
    status = request.GET.get("status", "open")
    if status not in ("open", "closed", "all"):
        status = "open"
    kind = request.GET.get("kind") or None
    if kind not in dict(KIND_CHOICES):
        kind = None
    escalated = request.GET.get("escalated") == "1"
    qs = selectors.work_queue(party, status=status, kind=kind, escalated=escalated)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_labels(page.object_list)
    return render(request, "cases/dept/queue.html", {
        "page": page, "status": status, "kind": kind, "escalated": escalated, "kinds": KIND_CHOICES,
        "party": party, "scope": request.scope,
    })


def case_page(request, case, *, status: int = 200, errors: dict | None = None, forms: dict | None = None):
    party = _party(request)
    wf = workflow(case.kind)
    record = case.records.select_related("department").first()
    actions = [t for t in wf.actions_from(case.state) if services.may_act(case, t.by, party)]
    correctable = []
    if record is not None and case.kind == "objection":
        from xinyong.catalog.registry import get_catalog

        item = get_catalog().item(record.item_code)
        wanted = set(case.data.get("fields") or [])
        correctable = [
            {"name": f.name, "label": f.label, "value": (record.data or {}).get(f.name, ""), "wanted": f.name in wanted, "choices": f.choices, "text": f.type == "text"}
            for f in (record_services.correctable_fields(item) if item else [])
        ]
    actions_template = select_template([f"redress/dept/_actions_{case.kind}.html", f"cases/dept/_actions_{case.kind}.html", "cases/dept/_no_actions.html"])
    return render(request, "cases/dept/case.html", {
        "case": case, "wf": wf, "state": wf.state(case.state), "record": record, "actions": actions,
        "action_codes": [t.action for t in actions], "actions_template": actions_template.template.name,
        "events": case.events.all(), "messages_list": case.messages.prefetch_related("attachments"),
        "attachments": case.attachments.filter(message__isnull=True), "routes": case.routes.select_related("department"),
        "correctable": correctable, "errors": errors or {}, "forms": forms or {}, "scope": request.scope,
        "show_applicant": services.applicant_visible(case, party),
        "is_holder": party.is_credit_centre or (party.department is not None and party.department.pk == case.holder_id),
        "overdue": bool(case.is_open and case.due_on and case.due_on < services.today()),
    }, status=status)


@require_GET
@dept_view
def detail(request, pk: int):
    return case_page(request, selectors.case_for_staff(_party(request), pk))


@require_POST
@dept_view
def assign(request, pk: int):
    party = _party(request)
    case = selectors.case_for_staff(party, pk)
    try:
        services.case_assign(case=case, user=request.user, party=party, actor=_actor(request))
    except XinyongError as exc:
        return case_page(request, case, status=exc.status, errors={"assign": exc.message})
    messages.success(request, "已由您承办该办件。")
    return redirect("cases_dept:case", pk=case.pk)


@require_POST
@dept_view
def message(request, pk: int):
    party = _party(request)
    case = selectors.case_for_staff(party, pk)
    try:
        services.case_message(case=case, party=party, actor=_actor(request), body=request.POST.get("body", ""), uploads=request.FILES.getlist("files"))
    except XinyongError as exc:
        return case_page(request, case, status=exc.status if exc.status < 500 else 400, errors={"message": exc.message})
    messages.success(request, "留言已发送给申请人。")
    return redirect("cases_dept:case", pk=case.pk)


@require_GET
@dept_view
def attachment(request, pk: int, file_id):
    case = selectors.case_for_staff(_party(request), pk)
    return serve_attachment(selectors.case_attachment(case, file_id))


@require_GET
@dept_view
def sla(request):
    kind = request.GET.get("kind") or None
    if kind not in dict(KIND_CHOICES):
        kind = None
    party = _party(request)
    rows = selectors.sla_by_department(kind=kind)
    if not party.is_credit_centre:
        rows = [r for r in rows if party.department is not None and r.department.pk == party.department.pk]
    return render(request, "cases/dept/sla.html", {"rows": rows, "kind": kind, "kinds": KIND_CHOICES, "scope": request.scope, "party": party})
