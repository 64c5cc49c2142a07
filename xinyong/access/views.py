"""Pages of access control. Thin: who asks, parse a form, call one service or selector, render.

- /dept/query/ — a department officer (or credit-centre staff) queries a subject, stating the
  purpose; sees what the rule allows, each record with its class and basis; the rest counted.
- /dept/access/rights/ — query rights: the credit centre grants and revokes; a department sees its own.
- /dept/access/consents/ — consents given to the department; it records a signed paper consent.
- /dept/access/requests/ — special query requests: a department asks, the credit centre decides.
- /my/consents/ — the subject gives and revokes consents; /my/queries/ — who queried its
  non-public information, when, why and on which basis.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinyong.accounts.decorators import subject_login_required
from xinyong.accounts.selectors import account_subject, active_account
from xinyong.common import filestore
from xinyong.common.errors import XinyongError
from xinyong.ingestion.views import dept_view, staff_view
from xinyong.records import selectors as record_selectors
from xinyong.security.services import Actor
from xinyong.subjects.identifiers import InvalidCode

from . import selectors, services
from .forms import (
    ConsentForm,
    DecideForm,
    PaperConsentForm,
    QueryForm,
    RequestForm,
    RevokeForm,
    RightForm,
)
from .models import Consent, QueryRight, SpecialRequest


def _actor(request) -> Actor:
    return Actor.for_user(request.user, ip=request.META.get("REMOTE_ADDR"))


def _render(request, template: str, context: dict, status: int = 200):
    context.setdefault("scope", getattr(request, "scope", None))
    return render(request, template, context, status=status)


def _add_error(form, exc: XinyongError, default: str | None = None) -> None:
    targets = [f for f in exc.fields if f in form.fields]
    form.add_error(targets[0] if targets else default, exc.message)


# ---------------------------------------------------------------------- the query page
@dept_view
@require_http_methods(["GET", "POST"])
def dept_query(request):
    """A query is a POST: the code (an ID number) and the purpose stay out of URLs and logs."""
    form = QueryForm(request.POST or None)
    context: dict = {"form": form, "purposes": selectors.purposes()}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                purpose = services.purpose_text(code=form.cleaned_data["purpose"], details=form.cleaned_data["details"])
                subject = selectors.find_subject(form.cleaned_data["code"])
                access = services.records_query(viewer=selectors.Viewer.for_scope(request.scope), subject=subject, purpose=purpose, actor=_actor(request))
            except InvalidCode as exc:
                form.add_error("code", str(exc))
            except services.NothingToShow as exc:
                context["nothing"] = exc.message
                status = 404
            except XinyongError as exc:
                _add_error(form, exc, "purpose")
            else:
                status = 200
                rows = [{"shown": s, "item": selectors.item_label(s.record.item_code), "fields": selectors.record_fields(s.record)} for s in access.shown]
                context.update(access=access, subject=subject, purpose=purpose, rows=rows)
    return _render(request, "access/dept_query.html", context, status=status)


# ---------------------------------------------------------------------- query rights
@dept_view
@require_http_methods(["GET", "POST"])
def rights(request):
    scope = request.scope
    form = RightForm(request.POST or None, initial={"valid_from": record_selectors.today()}) if scope.staff else None
    status = 200
    if request.method == "POST":
        if not scope.staff:
            raise PermissionDenied("查询权限由信用中心工作人员授予和撤销。")
        status = 400
        if form.is_valid():
            item_code, item_kind = form.target()
            try:
                services.right_grant(
                    department=form.cleaned_data["department"], item_code=item_code, item_kind=item_kind,
                    valid_from=form.cleaned_data["valid_from"], valid_until=form.cleaned_data["valid_until"],
                    legal_basis=form.cleaned_data["legal_basis"], actor=_actor(request), user=request.user,
                )
            except XinyongError as exc:
                _add_error(form, exc, "item")
            else:
                messages.success(request, "已授予查询权限。")
                return redirect("access_dept:rights")
    listing = selectors.rights_list(department_id=None if scope.staff else scope.department.id)[:500]
    return _render(request, "access/rights.html", {"form": form, "rights": listing, "today": record_selectors.today(), "revoke_form": RevokeForm()}, status=status)


@staff_view
@require_POST
def right_revoke(request, pk: int):
    right = get_object_or_404(QueryRight, pk=pk)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "撤销查询权限须写明原因。")
        return redirect("access_dept:rights")
    try:
        services.right_revoke(right=right, reason=form.cleaned_data["reason"], actor=_actor(request), user=request.user)
    except XinyongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "查询权限已撤销，即时生效。")
    return redirect("access_dept:rights")


# ---------------------------------------------------------------------- consents (department)
@dept_view
@require_http_methods(["GET", "POST"])
def dept_consents(request):
    scope = request.scope
    form = PaperConsentForm(request.POST or None, request.FILES or None) if scope.department is not None else None
    status = 200
    if request.method == "POST":
        if scope.department is None:
            raise PermissionDenied("书面授权由被授权查询的部门录入。")
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                subject = selectors.find_subject(data["code"])
                if subject is None:
                    form.add_error("code", "平台没有该主体的信用信息，无需录入授权")
                else:
                    services.consent_give(
                        subject=subject, department=scope.department, purpose=data["purpose"], items=data["items"],
                        all_items=data["scope"] == "all", expires_on=data["expires_on"], actor=_actor(request),
                        recorded_by=request.user, document=data["document"],
                    )
                    messages.success(request, "书面授权已录入。")
                    return redirect("access_dept:consents")
            except InvalidCode as exc:
                form.add_error("code", str(exc))
            except XinyongError as exc:
                _add_error(form, exc, "document")
    consents = selectors.consents_for_department(None if scope.staff else scope.department.id)[:500]
    return _render(request, "access/dept_consents.html", {"form": form, "consents": consents, "today": record_selectors.today(), "max_days": selectors.consent_max_days()}, status=status)


def _consent_for_scope(scope, pk: int) -> Consent:
    consent = Consent.objects.filter(pk=pk).select_related("subject", "department").first()
    if consent is None or not (scope.staff or (scope.department is not None and consent.department_id == scope.department.id)):
        raise Http404("找不到该授权")
    return consent


@dept_view
@require_GET
def consent_document(request, pk: int):
    consent = _consent_for_scope(request.scope, pk)
    path = services.consent_document_path(consent)
    if path is None or not path.exists():
        raise Http404("该授权没有书面文件")
    # decrypted (common.filestore); a damaged file gives its own page
    return filestore.file_response(path, as_attachment=True, filename=consent.document_name or path.name,
                                   content_type="application/octet-stream", headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------------- special query requests
def _parse_subjects(text: str):
    found, errors = [], []
    for line in [ln.strip() for ln in (text or "").replace("，", "\n").replace(",", "\n").splitlines() if ln.strip()][:100]:
        try:
            subject = selectors.find_subject(line)
        except InvalidCode as exc:
            errors.append(f"{line[:20]}：{exc}")
            continue
        if subject is None:
            errors.append(f"{line[:4]}…：平台没有该主体的信用信息")
        else:
            found.append(subject)
    return found, errors


@dept_view
@require_http_methods(["GET", "POST"])
def requests_index(request):
    scope = request.scope
    form = RequestForm(request.POST or None) if scope.department is not None else None
    status = 200
    if request.method == "POST":
        if scope.department is None:
            raise PermissionDenied("特殊查询申请由部门提出。")
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            subjects, errors = _parse_subjects(data["codes"])
            if errors:
                form.add_error("codes", "；".join(errors[:5]))
            else:
                try:
                    created = services.special_request_submit(
                        department=scope.department, subjects=subjects, items=data["items"], purpose=data["purpose"],
                        legal_basis=data["legal_basis"], period_from=data["period_from"], period_until=data["period_until"],
                        actor=_actor(request), user=request.user,
                    )
                except XinyongError as exc:
                    _add_error(form, exc, "items")
                else:
                    messages.success(request, "特殊查询申请已提交，请等待信用中心审批。")
                    return redirect("access_dept:request", pk=created.pk)
    listing = selectors.requests_for(scope)[:500]
    return _render(request, "access/requests.html", {"form": form, "requests": listing}, status=status)


def _request_for_scope(scope, pk: int) -> SpecialRequest:
    found = selectors.requests_for(scope).filter(pk=pk).first()
    if found is None:
        raise Http404("找不到该申请")
    return found


@dept_view
@require_GET
def request_detail(request, pk: int):
    found = _request_for_scope(request.scope, pk)
    form = DecideForm(items=found.items, initial={"granted_items": found.items, "grant_from": max(found.period_from, record_selectors.today()), "grant_until": found.period_until}) if request.scope.staff and found.status == "pending" else None
    return _detail(request, found, form)


def _detail(request, found, form, status: int = 200):
    subjects = list(found.subjects.all()[:100])
    names = {s.pk: f"{s.display_name}（{s.display_code}）" for s in subjects}
    uses = [{"entry": e, "subject": names.get(e.subject_id, "—")} for e in selectors.request_uses(found)[:500]]
    return _render(request, "access/request.html", {
        "req": found, "form": form, "uses": uses, "subjects": subjects,
        "items": [selectors.item_label(c) for c in found.items], "granted": [selectors.item_label(c) for c in found.granted_items or []],
        "today": record_selectors.today(), "max_days": selectors.grant_max_days(),
    }, status=status)


@staff_view
@require_POST
def request_decide(request, pk: int):
    found = _request_for_scope(request.scope, pk)
    form = DecideForm(request.POST, items=found.items)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.special_request_decide(
                request=found, approve=data["decision"] == "approve", note=data["note"], actor=_actor(request), user=request.user,
                grant_from=data["grant_from"], grant_until=data["grant_until"], granted_items=data["granted_items"],
            )
        except XinyongError as exc:
            _add_error(form, exc, "decision")
        else:
            messages.success(request, "已审批。")
            return redirect("access_dept:request", pk=found.pk)
    return _detail(request, found, form, status=400)


# ---------------------------------------------------------------------- the subject's own
@subject_login_required
@require_http_methods(["GET", "POST"])
def my_consents(request):
    subject = account_subject(request)
    form = ConsentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if subject is None:
            raise PermissionDenied("平台还没有您的信用信息，无需授权。")
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.consent_give(
                    subject=subject, department=data["department"], purpose=data["purpose"], items=data["items"],
                    all_items=data["scope"] == "all", expires_on=data["expires_on"], actor=_actor(request), account=active_account(request),
                )
            except XinyongError as exc:
                _add_error(form, exc, "items")
            else:
                messages.success(request, "授权已生效。您可随时撤回。")
                return redirect("access_my:consents")
    consents = list(selectors.consents_of_subject(subject)[:200]) if subject else []
    return render(request, "access/my_consents.html", {
        "subject": subject, "form": form, "consents": consents, "today": record_selectors.today(), "max_days": selectors.consent_max_days(),
    }, status=status)


@subject_login_required
@require_POST
def my_consent_revoke(request, pk: int):
    subject = account_subject(request)
    consent = Consent.objects.filter(pk=pk, subject=subject).first() if subject else None
    if consent is None:
        raise Http404("找不到该授权")
    try:
        services.consent_revoke(consent=consent, actor=_actor(request), label="信息主体本人")
    except XinyongError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "授权已撤回，即时生效。")
    return redirect("access_my:consents")


@subject_login_required
@require_GET
def my_queries(request):
    subject = account_subject(request)
    looked = selectors.who_looked(subject) if subject else []
    return render(request, "access/my_queries.html", {"subject": subject, "looked": looked})
