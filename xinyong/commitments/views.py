"""Pages of credit commitments. Thin: who asks, parse the form, call one service or selector, render.

- /my/commitments/ — the subject's own commitments; sign one (pick the template, read the whole
  text, state the case number and the accepting department, tick the statement, sign).
- /commitments/ — the public list (search by name/code, matter, department, date); one commitment.
- /dept/commitments/ — a department's accepted commitments; record a paper commitment (with the
  document); record fulfilment or breach.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from xinyong.accounts.decorators import subject_login_required
from xinyong.accounts.selectors import account_subject
from xinyong.catalog.models import Department
from xinyong.common.errors import XinyongError
from xinyong.common.ratelimit import rate_limited
from xinyong.common.uploads import check_document
from xinyong.ingestion.views import dept_view
from xinyong.records import selectors as record_selectors
from xinyong.security.services import Actor
from xinyong.subjects.models import Subject

from . import selectors, services
from .templates import DISCLOSURES, get_templates

PAGE = 20


def _actor(request) -> Actor:
    return Actor.for_user(request.user, ip=request.META.get("REMOTE_ADDR"))


def _date(raw) -> date | None:
    try:
        return date.fromisoformat(str(raw or "").strip()) if raw else None
    except ValueError:
        return None


def _departments(template) -> list[Department]:
    if template is None:
        return []
    return list(Department.objects.filter(active=True, system__in=template.systems).order_by("code").only("code", "name"))


def _department(code) -> Department | None:
    return Department.objects.filter(code=str(code or "").strip()[:20], active=True).select_related("region").first()


def _template_groups():
    t = get_templates()
    return [(name, t.for_matter(code)) for code, name in t.matters.items()]


# ---------------------------------------------------------------------- the subject's own
@subject_login_required
@require_GET
def my_list(request):
    subject = account_subject(request)
    return render(request, "commitments/my_list.html", {
        "subject": subject, "commitments": selectors.own_commitments(subject) if subject else [], "today": record_selectors.today(),
    })


@subject_login_required
def my_sign(request):
    subject = account_subject(request)
    if subject is None:
        raise PermissionDenied("只有平台已登记的信用主体账户可以签署信用承诺。")
    data = request.POST if request.method == "POST" else request.GET
    template = get_templates().get(str(data.get("template", "")))
    errors: dict = {}
    error = ""
    status = 200
    if request.method == "POST":
        try:
            commitment = services.commitment_sign(
                subject=subject, template=request.POST.get("template", ""), case_no=request.POST.get("case_no", ""),
                department=_department(request.POST.get("department")), statement=request.POST.get("statement") == "on",
                door="portal", actor=_actor(request), nonce=request.POST.get("nonce", ""),
            )
        except XinyongError as exc:
            if exc.code == "replayed":
                messages.info(request, exc.message)
                return redirect("commitments:my_detail", code=exc.fields["nonce"])
            errors, error, status = exc.fields, exc.message, exc.status
        else:
            messages.success(request, f"信用承诺已签署，承诺编码{commitment.code}。")
            return redirect("commitments:my_detail", code=commitment.code)
    preview = ""
    if template is not None:
        department = _department(data.get("department"))
        case_no = str(data.get("case_no", ""))[:64]
        preview = services.render(template, subject=subject, case_no=case_no or "［办件编号］", department=department if template.accepts(department) else None)
    return render(request, "commitments/sign.html", {
        "subject": subject, "groups": _template_groups(), "template": template, "preview": preview,
        "departments": _departments(template), "post": data, "errors": errors, "error": error,
        "nonce": request.POST.get("nonce") or services.secrets.token_urlsafe(16),
    }, status=status)


@subject_login_required
@require_GET
def my_detail(request, code: str):
    subject = account_subject(request)
    commitment = selectors.own_commitment(subject, code) if subject else None
    if commitment is None:
        raise Http404("信用承诺不存在")
    return render(request, "commitments/my_detail.html", {"c": commitment, "status_label": selectors.status_label(commitment)})


# ---------------------------------------------------------------------- public
@rate_limited("search")
@require_GET
def public_list(request):
    t = get_templates()
    matter = request.GET.get("matter", "") if request.GET.get("matter", "") in t.matters else ""
    qs = selectors.public_commitments(
        q=request.GET.get("q", ""), matter=matter, department=request.GET.get("department", "")[:20],
        date_from=_date(request.GET.get("from")), date_to=_date(request.GET.get("to")),
    )
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "commitments/public_list.html", {"page": page, "matters": t.matters, "q": request.GET.get("q", "")[:100], "matter": matter,
                                                             "department": request.GET.get("department", "")[:20], "from": request.GET.get("from", "")[:10], "to": request.GET.get("to", "")[:10]})


@rate_limited("search")
@require_GET
def public_detail(request, code: str):
    commitment = selectors.public_commitment(code)
    if commitment is None:
        raise Http404("信用承诺不存在或不在公示期内")
    return render(request, "commitments/public_detail.html", {"c": commitment, "status_label": selectors.status_label(commitment)})


# ---------------------------------------------------------------------- department
def _subject_by_code(raw: str) -> Subject | None:
    from xinyong.common.normalize import normalize_code
    from xinyong.subjects.identifiers import id_lookup_hash

    code = normalize_code(raw or "")
    if len(code) != 18:
        return None
    return Subject.objects.filter(uscc=code).first() or Subject.objects.filter(id_hash=id_lookup_hash(code)).first()


@dept_view
@require_GET
def dept_index(request):
    scope = request.scope
    qs = selectors.department_commitments(scope, status=request.GET.get("status", "")[:12], q=request.GET.get("q", ""))
    return render(request, "commitments/dept/index.html", {
        "scope": scope, "page": Paginator(qs, PAGE).get_page(request.GET.get("page")), "q": request.GET.get("q", "")[:100],
        "status": request.GET.get("status", ""), "may_record": scope.department is not None, "today": record_selectors.today(),
    })


@dept_view
def dept_record(request):
    scope = request.scope
    if scope.department is None:
        raise PermissionDenied("信用承诺由受理单位录入；信用中心工作人员请以受理单位的账号录入。")
    data = request.POST if request.method == "POST" else request.GET
    template = get_templates().get(str(data.get("template", "")))
    errors: dict = {}
    error = ""
    status = 200
    if request.method == "POST":
        subject = _subject_by_code(request.POST.get("subject_code", ""))
        try:
            if subject is None:
                raise services.InvalidInput("平台没有该统一社会信用代码或公民身份号码的信用主体", code="unknown_subject", fields={"subject_code": "未找到该主体"})
            upload = request.FILES.get("document")
            document = check_document(upload, field="document", max_bytes=settings.XINYONG["COMMITMENTS"]["DOCUMENT_MAX_KB"] * 1024) if upload else None
            commitment = services.commitment_sign(
                subject=subject, template=request.POST.get("template", ""), case_no=request.POST.get("case_no", ""), department=scope.department,
                statement=request.POST.get("statement") == "on", door="department", actor=_actor(request), nonce=request.POST.get("nonce", ""),
                document=document, disclosure=request.POST.get("disclosure") or None, signed_on=_date(request.POST.get("signed_on")),
            )
        except XinyongError as exc:
            if exc.code == "replayed":
                messages.info(request, exc.message)
                return redirect("dept_commitments:index")
            errors, error, status = exc.fields, exc.message, exc.status
        else:
            messages.success(request, f"已录入信用承诺，承诺编码{commitment.code}。")
            return redirect("dept_commitments:detail", commitment_id=commitment.id)
    groups = [(name, [t for t in ts if t.accepts(scope.department)]) for name, ts in _template_groups()]
    return render(request, "commitments/dept/record.html", {
        "scope": scope, "groups": [(n, ts) for n, ts in groups if ts], "template": template, "post": data, "errors": errors, "error": error,
        "disclosures": DISCLOSURES, "nonce": request.POST.get("nonce") or services.secrets.token_urlsafe(16),
    }, status=status)


@dept_view
@require_GET
def dept_detail(request, commitment_id: int):
    scope = request.scope
    commitment = selectors.department_commitment(scope, commitment_id)
    if commitment is None:
        raise Http404("信用承诺不存在或不由本部门受理")
    return render(request, "commitments/dept/detail.html", {"scope": scope, "c": commitment, "status_label": selectors.status_label(commitment)})


@dept_view
@require_POST
def dept_outcome(request, commitment_id: int):
    """Fulfilment (全部履约 / 部分履约) or breach (未履约) of a commitment the department accepted."""
    scope = request.scope
    if selectors.department_commitment(scope, commitment_id) is None:  # another department's: as its detail page
        raise Http404("信用承诺不存在或不由本部门受理")
    outcome = request.POST.get("outcome", "")
    common = {"commitment_id": commitment_id, "department": scope.department, "staff": scope.staff, "actor": _actor(request),
              "facts": request.POST.get("facts", ""), "document_no": request.POST.get("document_no", ""), "day": _date(request.POST.get("day"))}
    try:
        if outcome in ("fulfilled", "partly"):
            services.commitment_fulfil(partly=outcome == "partly", **common)
            messages.success(request, "已记录履约情况。")
        elif outcome == "breached":
            c = services.commitment_breach(user=request.user, **common)
            note = "，并已依程序拟列入重点关注名单" if c.focus_entry_id else ""
            messages.success(request, f"已认定违背信用承诺，违诺信息已记入信用记录{note}。")
        else:
            messages.error(request, "请选择全部履约、部分履约或违背承诺。")
    except XinyongError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
    return redirect("dept_commitments:detail", commitment_id=commitment_id)
