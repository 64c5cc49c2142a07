"""Portal pages of the tip-off platform (失信举报): report (/tipoffs/new/), the receipt code shown
once (/tipoffs/filed/), follow progress with it (/tipoffs/track/). Thin: parse, call one service
or selector, render. Usable without JavaScript; no account needed."""

from __future__ import annotations

from datetime import date

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from xinyong.cases.selectors import state_label
from xinyong.cases.services import text_limit, today
from xinyong.cases.views import form_nonce, remember_nonce, replayed_case, upload_list
from xinyong.common.errors import InvalidInput, NotFound, XinyongError
from xinyong.common.ratelimit import hit, too_many

from . import selectors, services

RECEIPT_SESSION = "tipoff_receipt_shown"
DATE_FIELDS = {"occurred_from": "失信行为发生日期", "occurred_until": "持续至"}


def _date(value: str, field: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInput(f"{DATE_FIELDS[field]}格式应为 YYYY-MM-DD", code="date_invalid", fields={field: "日期格式有误"}) from None


def _subject_label(key: str) -> str:
    """The subject named by the link the reporter came from (a public file page), for the form."""
    from xinyong.portal.selectors import public_subject

    subject = public_subject(key) if key else None
    return subject.display_name if subject is not None else ""


@never_cache
@require_http_methods(["GET", "POST"])
def new(request):
    post = request.POST if request.method == "POST" else {}
    key = (post.get("subject") or request.GET.get("subject") or "").strip()[:80]
    errors: dict = {}
    error = ""
    status = 200
    if request.method == "POST":
        if replayed_case(request) is not None:
            # the same form sent again (double click, back button, replay): nothing new is filed
            return render(request, "tipoffs/filed.html", {"replayed": True}, status=200)
        allowed, retry = hit(request, "tipoff")
        if not allowed:
            return too_many(request, retry)
        user = request.user if request.user.is_authenticated else None
        try:
            case, code = services.tipoff_submit(
                subject_key=key, category=post.get("category", ""), facts=post.get("facts", ""),
                occurred_from=_date(post.get("occurred_from", ""), "occurred_from"),
                occurred_until=_date(post.get("occurred_until", ""), "occurred_until"),
                reporter=services.Reporter(name=post.get("name", ""), contact=post.get("contact", ""), user=user, ip=request.META.get("REMOTE_ADDR")),
                uploads=upload_list(request),
            )
        except XinyongError as exc:
            errors, error = exc.fields or {}, exc.message
            status = 404 if isinstance(exc, NotFound) else 422
        else:
            remember_nonce(request, case)
            request.session[RECEIPT_SESSION] = {"code": code, "title": state_label(case), "due_on": case.due_on.isoformat() if case.due_on else ""}
            return redirect("tipoffs:filed")
    return render(request, "tipoffs/new.html", {
        "categories": selectors.category_choices(), "key": key, "subject_label": _subject_label(key) if request.method == "GET" else "",
        "post": post, "errors": errors, "error": error, "nonce": post.get("nonce") or form_nonce(), "today": today(),
        "text_max": text_limit(),
    }, status=status)


@never_cache
@require_GET
def filed(request):
    """The receipt code, shown once (kept in the session until this page shows it)."""
    shown = request.session.pop(RECEIPT_SESSION, None)
    if not shown:
        return redirect("tipoffs:track")
    due_on = date.fromisoformat(shown["due_on"]) if shown.get("due_on") else None  # kept in the session as ISO text
    return render(request, "tipoffs/filed.html", {"code": shown["code"], "state": shown["title"], "due_on": due_on})


@never_cache
@require_http_methods(["GET", "POST"])
def track(request):
    """Progress of a tip-off by its receipt code: status and the public reply only. Rate limited;
    a wrong code gets one answer."""
    progress = None
    error = ""
    if request.method == "POST":
        allowed, retry = hit(request, "verify")
        if not allowed:
            return too_many(request, retry)
        progress = selectors.progress_by_receipt(request.POST.get("code", "")[:40])
        if progress is None:
            error = "回执码不正确，请核对后重新输入（回执码在提交举报时显示，形如 ABCD-EFGH-JKLM-NPQR）"
    return render(request, "tipoffs/track.html", {"progress": progress, "error": error}, status=400 if error else 200)
