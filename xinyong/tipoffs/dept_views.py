"""Staff actions on tip-offs (/dept/tipoffs/...), shown on the case page of /dept/cases/ (templates
cases/dept/_actions_tipoff.html while open, tipoffs/dept/_panel.html always). Thin: check who
asks, call one service, back to the case page. The reporter's identity is shown only on the page
answering a reveal (credit centre, with a reason), never stored in a page that is cached."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from xinyong.cases import selectors as case_selectors
from xinyong.cases.dept_views import case_page
from xinyong.catalog.models import Department
from xinyong.common.errors import XinyongError
from xinyong.ingestion.views import _actor, dept_view

from . import services


def _case(request, pk: int):
    party = case_selectors.party_for(request.scope)
    return party, case_selectors.case_for_staff(party, pk)


def _done(request, case, text: str):
    messages.success(request, text)
    return redirect("cases_dept:case", pk=case.pk)


def _failed(request, case, exc: XinyongError, form: str):
    return case_page(request, case, status=exc.status if exc.status < 500 else 400, errors={"page": exc.message, form: exc.message}, forms={form: request.POST})


def _dept(code: str) -> Department | None:
    return Department.objects.filter(code=(code or "").strip()[:20], active=True).first()


@require_POST
@dept_view
def route(request, pk: int):
    party, case = _case(request, pk)
    joint = [d for d in (_dept(c) for c in request.POST.getlist("joint")) if d is not None]
    try:
        services.tipoff_route(case=case, lead=_dept(request.POST.get("lead", "")), joint=joint, note=request.POST.get("note", ""), party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "tipoff_route")
    return _done(request, case, "已分办，核查部门已收到该举报。")


@require_POST
@dept_view
def reject(request, pk: int):
    party, case = _case(request, pk)
    try:
        services.tipoff_reject(case=case, reply=request.POST.get("reply", ""), party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "tipoff_reject")
    return _done(request, case, "举报已办结（查无实据）。")


@require_POST
@dept_view
def finding(request, pk: int):
    party, case = _case(request, pk)
    try:
        services.tipoff_finding(case=case, finding=request.POST.get("finding", ""), note=request.POST.get("note", ""), reply=request.POST.get("reply", ""), party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "tipoff_finding")
    return _done(request, case, "核查意见已录入。")


@require_POST
@dept_view
def record(request, pk: int):
    party, case = _case(request, pk)
    values = {}
    for key in request.POST:
        if key.startswith("rec_"):
            values[key[4:]] = "；".join(v for v in request.POST.getlist(key) if v.strip())
    try:
        rec = services.tipoff_record(case=case, item_code=request.POST.get("item", ""), values=values, party=party, actor=_actor(request), user=request.user)
    except XinyongError as exc:
        return _failed(request, case, exc, "tipoff_record")
    return _done(request, case, f"认定记录已录入（记录 {rec.pk}）。")


@never_cache
@require_POST
@dept_view
def reveal(request, pk: int):
    party, case = _case(request, pk)
    try:
        identity = services.tipoff_reveal(case=case, reason=request.POST.get("reason", ""), party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "tipoff_reveal")
    response = render(request, "tipoffs/dept/reveal.html", {"case": case, "identity": identity, "scope": request.scope})
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@dept_view
def flag(request, pk: int):
    party, case = _case(request, pk)
    try:
        services.tipoff_flag(case=case, reason=request.POST.get("flag_reason", ""), party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "tipoff_flag")
    return _done(request, case, "已标记为恶意或虚假举报。")
