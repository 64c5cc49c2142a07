"""Portal pages of objections (/objections/...) and credit repair (/repair/...). Thin: parse,
check who asks, call one service, render. The receipt code is shown once, after filing."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from xinyong.accounts.decorators import subject_login_required
from xinyong.accounts.selectors import account_subject
from xinyong.cases import selectors as case_selectors
from xinyong.cases.services import today
from xinyong.cases.views import (
    applicant_actor,
    form_nonce,
    remember_nonce,
    replayed_case,
    upload_list,
)
from xinyong.catalog.registry import get_catalog
from xinyong.common.errors import NotFound, XinyongError
from xinyong.common.ratelimit import hit, too_many
from xinyong.records.models import Record

from . import selectors, services
from .rules import repair_eligibility, repair_rules

RECEIPT_SESSION = "case_receipt_shown"


def _applicant(request, post=None) -> services.Applicant:
    subject = account_subject(request)
    user = request.user if request.user.is_authenticated else None
    post = post or {}
    return services.Applicant(user=user, subject=subject, name=(post.get("name") or "").strip()[:100], contact=(post.get("contact") or "").strip()[:100])


def _before_filing(request):
    """A replayed form goes to the case it filed; too many filings from one client: 429."""
    case = replayed_case(request)
    if case is not None:
        messages.info(request, "该申请已经提交，请勿重复提交。")
        return redirect("cases:detail", public_id=case.public_id)
    allowed, retry = hit(request, "case")
    if not allowed:
        return too_many(request, retry)
    return None


def _not_found(request):
    return render(request, "redress/not_found.html", {"message": services.NOT_FOUND}, status=404)


def _filed(request, case, code):
    remember_nonce(request, case)
    case_selectors.remember_receipt(request, case)
    request.session[RECEIPT_SESSION] = {"case": str(case.public_id), "code": code}
    return redirect("redress:filed", public_id=case.public_id)


@require_http_methods(["GET", "POST"])
def objection_new(request, record_id: int):
    applicant = _applicant(request, request.POST if request.method == "POST" else None)
    try:
        record = services.record_for_applicant(record_id, applicant=applicant, day=today())
    except NotFound:
        return _not_found(request)
    item = get_catalog().item(record.item_code)
    fields = [(f.name, f.label) for f in item.fields if f.is_public] if item else []
    errors: dict = {}
    error = ""
    if request.method == "POST":
        if (early := _before_filing(request)) is not None:
            return early
        try:
            case, code = services.objection_submit(
                record_id=record.pk, applicant=applicant, reasons=request.POST.get("reasons", ""),
                fields=request.POST.getlist("fields"), uploads=upload_list(request), actor=applicant_actor(request),
            )
        except NotFound:
            return _not_found(request)
        except XinyongError as exc:
            errors, error = exc.fields, exc.message
        else:
            return _filed(request, case, code)
    return render(request, "redress/objection_new.html", {
        "record": record, "item": item, "fields": fields, "own": applicant.subject is not None and applicant.subject.pk == record.subject_id,
        "account": applicant.subject, "errors": errors, "error": error, "post": request.POST,
        "chosen": request.POST.getlist("fields"), "nonce": request.POST.get("nonce") or form_nonce(),
    }, status=422 if error else 200)


def filed(request, public_id):
    """The confirmation page: the receipt code, shown once (kept in the session until shown)."""
    case = case_selectors.case_for_applicant(request, public_id, account_subject(request))
    shown = request.session.pop(RECEIPT_SESSION, None)
    code = shown["code"] if shown and shown.get("case") == str(case.public_id) else None
    return render(request, "redress/filed.html", {"case": case, "code": code, "state_label": case_selectors.state_label(case)})


@require_POST
def objection_cancel(request, public_id):
    case = case_selectors.case_for_applicant(request, public_id, account_subject(request))
    try:
        services.objection_cancel(case=case, actor=applicant_actor(request))
    except XinyongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "异议已撤回。")
    return redirect("cases:detail", public_id=case.public_id)


# ---------------------------------------------------------------------- repair
@subject_login_required
def repair_index(request):
    subject = account_subject(request)
    day = today()
    rows = []
    if subject is not None:
        for record in selectors.negative_records(subject):
            rows.append({"record": record, "item_name": selectors.item_name(record), "eligibility": repair_eligibility(record=record, day=day)})
    return render(request, "redress/repair_index.html", {"subject": subject, "rows": rows, "cases": case_selectors.with_labels(case_selectors.cases_for_subject(subject)[:50])})


@subject_login_required
@require_http_methods(["GET", "POST"])
def repair_new(request, record_id: int):
    applicant = _applicant(request)
    try:
        record = services.record_for_applicant(record_id, applicant=applicant, day=today(), own_only=True)
    except NotFound:
        return _not_found(request)
    errors: dict = {}
    error = ""
    if request.method == "POST":
        if (early := _before_filing(request)) is not None:
            return early
        try:
            case, code = services.repair_apply(
                record_id=record.pk, applicant=applicant, statement=request.POST.get("statement", ""),
                commitment=request.POST.get("commitment") == "on", uploads=upload_list(request), actor=applicant_actor(request),
            )
        except NotFound:
            return _not_found(request)
        except XinyongError as exc:
            errors, error = exc.fields, exc.message
        else:
            return _filed(request, case, code)
    rules = repair_rules()
    return render(request, "redress/repair_new.html", {
        "record": Record.objects.select_related("department").get(pk=record.pk), "item_name": selectors.item_name(record),
        "eligibility": repair_eligibility(record=record, day=today()), "commitment": services.repair_commitment_text(subject=account_subject(request)),
        "commitment_basis": rules.commitment_basis, "errors": errors, "error": error, "post": request.POST,
        "nonce": request.POST.get("nonce") or form_nonce(),
    }, status=422 if error else 200)


@require_POST
def repair_cancel(request, public_id):
    case = case_selectors.case_for_applicant(request, public_id, account_subject(request))
    try:
        services.repair_cancel(case=case, actor=applicant_actor(request))
    except XinyongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "信用修复申请已撤回。")
    return redirect("cases:detail", public_id=case.public_id)
