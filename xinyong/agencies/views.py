"""Portal pages of credit service agencies: the public directory (/agencies/) and complaints
(/agencies/<uscc>/complaints/new/). Thin: parse, call one selector or service, render. The
receipt code is shown once, on the shared confirmation page of cases (redress:filed)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinyong.accounts.selectors import account_subject
from xinyong.cases import selectors as case_selectors
from xinyong.cases.views import (
    applicant_actor,
    form_nonce,
    remember_nonce,
    replayed_case,
    upload_list,
)
from xinyong.common.errors import XinyongError
from xinyong.common.ratelimit import hit, too_many

from . import selectors, services
from .rules import rules

PER_PAGE = 30


@require_GET
def directory(request):
    r = rules()
    business_type = request.GET.get("type") or None
    if business_type not in r.types:
        business_type = None
    status = request.GET.get("status") or None
    if status not in selectors.STATUSES:
        status = None
    cities = selectors.cities()
    region = request.GET.get("region") or None
    if region not in {c.code for c in cities}:
        region = None
    page = Paginator(selectors.directory(business_type=business_type, status=status, region=region), PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_labels(page.object_list)
    closed = selectors.closed_complaints([a.subject_id for a in page.object_list])
    for a in page.object_list:
        a.complaints_closed = closed.get(a.subject_id, 0)
    from xinyong.portal.selectors import region_name

    for a in page.object_list:
        a.region_name = region_name(a.region) if a.region else ""
    query = "&".join(f"{k}={v}" for k, v in (("type", business_type), ("status", status), ("region", region)) if v)
    return render(request, "agencies/directory.html", {
        "page": page, "types": list(r.types.values()), "statuses": selectors.STATUSES.items(), "cities": cities,
        "chosen": {"type": business_type, "status": status, "region": region}, "query": query,
    })


def _not_found(request):
    return render(request, "agencies/not_found.html", {"message": services.NOT_FOUND}, status=404)


@require_http_methods(["GET", "POST"])
def complaint_new(request, uscc: str):
    """File a complaint about an agency: anyone, with or without a portal account."""
    agency = selectors.agency_by_uscc(uscc)
    if agency is None:
        return _not_found(request)
    subject = account_subject(request)
    errors: dict = {}
    error = ""
    if request.method == "POST":
        case = replayed_case(request)
        if case is not None:
            messages.info(request, "该投诉已经提交，请勿重复提交。")
            return redirect("cases:detail", public_id=case.public_id)
        allowed, retry = hit(request, "complaint")
        if not allowed:
            return too_many(request, retry)
        complainant = services.Complainant(
            user=request.user if request.user.is_authenticated else None, subject=subject,
            name=(request.POST.get("name") or "").strip()[:100], contact=(request.POST.get("contact") or "").strip()[:100],
        )
        try:
            case, code = services.complaint_file(
                agency_id=agency.pk, complainant=complainant, service=request.POST.get("service", ""), facts=request.POST.get("facts", ""),
                demand=request.POST.get("demand", ""), uploads=upload_list(request), actor=applicant_actor(request),
            )
        except XinyongError as exc:
            errors, error = exc.fields, exc.message
        else:
            from xinyong.redress.views import RECEIPT_SESSION

            remember_nonce(request, case)
            case_selectors.remember_receipt(request, case)
            request.session[RECEIPT_SESSION] = {"case": str(case.public_id), "code": code}
            return redirect("redress:filed", public_id=case.public_id)
    r = rules()
    return render(request, "agencies/complaint_new.html", {
        "agency": agency, "services": [r.types[c] for c in agency.business_types if c in r.types], "account": subject,
        "errors": errors, "error": error, "post": request.POST, "nonce": request.POST.get("nonce") or form_nonce(),
        "deadline": _deadline_label(),
    }, status=422 if error else 200)


def _deadline_label() -> str:
    from xinyong.cases.workflows import workflow

    wf = workflow("complaint")
    state = wf.state(wf.initial)
    return state.deadline.label if state.deadline else ""


@require_POST
def complaint_cancel(request, public_id):
    case = case_selectors.case_for_applicant(request, public_id, account_subject(request))
    try:
        services.complaint_cancel(case=case, actor=applicant_actor(request))
    except XinyongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "投诉已撤回。")
    return redirect("cases:detail", public_id=case.public_id)
