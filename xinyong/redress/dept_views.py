"""Staff actions on objections and repairs (/dept/redress/...), shown on the case page of
/dept/cases/ (templates redress/dept/_actions_<kind>.html). Thin: check who asks, call one
service, back to the case page."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from xinyong.cases import selectors as case_selectors
from xinyong.cases.dept_views import case_page
from xinyong.common.errors import XinyongError
from xinyong.ingestion.views import _actor, dept_view

from . import services


def _done(request, case, text: str):
    messages.success(request, text)
    return redirect("cases_dept:case", pk=case.pk)


def _failed(request, case, exc: XinyongError, form: str):
    return case_page(request, case, status=exc.status if exc.status < 500 else 400, errors={"page": exc.message, **{f"{form}.{k}": v for k, v in exc.fields.items()}}, forms={form: request.POST})


@require_POST
@dept_view
def objection_decide(request, pk: int):
    party = case_selectors.party_for(request.scope)
    case = case_selectors.case_for_staff(party, pk)
    changes = {k[len("field_"):]: v for k, v in request.POST.items() if k.startswith("field_") and request.POST.get(f"change_{k[len('field_'):]}") == "on"}
    try:
        services.objection_decide(case=case, outcome=request.POST.get("outcome", ""), reply=request.POST.get("reply", ""), changes=changes, party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "decide")
    return _done(request, case, "核查结论已作出，已书面答复申请人。")


@require_POST
@dept_view
def repair_review(request, pk: int):
    party = case_selectors.party_for(request.scope)
    case = case_selectors.case_for_staff(party, pk)
    agree = request.POST.get("decision") == "agree"
    try:
        services.repair_review(case=case, agree=agree, opinion=request.POST.get("opinion", ""), party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "review")
    return _done(request, case, "审核意见已反馈信用中心。" if agree else "已作出不予修复的决定并告知申请人。")


@require_POST
@dept_view
def repair_decide(request, pk: int):
    party = case_selectors.party_for(request.scope)
    case = case_selectors.case_for_staff(party, pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.repair_decide(case=case, approve=approve, reasons=request.POST.get("reasons", ""), party=party, actor=_actor(request))
    except XinyongError as exc:
        return _failed(request, case, exc, "decide")
    return _done(request, case, "已决定信用修复：该记录停止公示，信用评价与名单已更新。" if approve else "已作出不予修复的决定并告知申请人。")
