"""Case pages for applicants (/cases/...): follow a case with its receipt code, read the replies,
send a message with attachments, download the case's files. Thin: parse, check who asks
(selectors), call one service, render. Usable without JavaScript."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from xinyong.common import filestore
from xinyong.common.errors import XinyongError
from xinyong.common.ratelimit import hit, too_many
from xinyong.security.services import Actor

from . import files as case_files
from . import selectors, services
from .workflows import workflow


def account_subject(request):
    from xinyong.accounts.selectors import account_subject as subject_of_request

    return subject_of_request(request)


def applicant_actor(request) -> Actor:
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        return Actor("user", user.get_username(), user_id=user.pk, ip=request.META.get("REMOTE_ADDR"))
    return Actor("public", "公众申请人", ip=request.META.get("REMOTE_ADDR"))


def upload_list(request) -> list:
    return request.FILES.getlist(case_files.FIELD)


# ---------------------------------------------------------------------- replayed forms
NONCE_SESSION = "case_nonces"


def form_nonce() -> str:
    """A one-time token for an application form (hidden field `nonce`)."""
    return secrets.token_urlsafe(16)


def replayed_case(request):
    """The case already filed with this form's token (a form sent twice: double click, back
    button, replay), or None."""
    from .models import Case

    done = request.session.get(NONCE_SESSION, {}).get(request.POST.get("nonce", ""))
    return Case.objects.filter(public_id=done).first() if done else None


def remember_nonce(request, case) -> None:
    nonce = request.POST.get("nonce", "")
    if nonce:
        done = dict(list(request.session.get(NONCE_SESSION, {}).items())[-19:])
        done[nonce] = str(case.public_id)
        request.session[NONCE_SESSION] = done


@require_http_methods(["GET", "POST"])
def track(request):
    """Follow a case with its receipt code (回执码): no account needed; rate limited."""
    error = ""
    if request.method == "POST":
        allowed, retry = hit(request, "verify")
        if not allowed:
            return too_many(request, retry)
        case = selectors.case_by_receipt(request.POST.get("code", ""))
        if case is not None and case.kind == selectors.TIPOFF:
            # a tip-off is followed on its own page, which shows its status and public reply
            # only (the reporter's protection): never the case page with its messages and files
            error = "该回执码是举报回执码，请在“举报进度查询”页面（/tipoffs/track/）查询"
        elif case is not None:
            selectors.remember_receipt(request, case)
            return redirect("cases:detail", public_id=case.public_id)
        else:
            error = "回执码不正确，请核对后重新输入（回执码在提交申请时显示，形如 ABCD-EFGH-JKLM-NPQR）"
    return render(request, "cases/track.html", {"error": error}, status=400 if error else 200)


def _detail(request, case, *, status: int = 200, message_error: str = ""):
    wf = workflow(case.kind)
    return render(request, "cases/detail.html", {
        "case": case, "state": wf.state(case.state), "wf": wf,
        "events": case.events.filter(public=True),
        "messages_list": case.messages.prefetch_related("attachments"),
        "attachments": case.attachments.filter(message__isnull=True),
        "can_cancel": case.is_open and any(t.by == "applicant" for t in wf.actions_from(case.state)),
        "message_error": message_error,
        "overdue": bool(case.is_open and case.due_on and case.due_on < services.today()),
    }, status=status)


def detail(request, public_id):
    case = selectors.case_for_applicant(request, public_id, account_subject(request))
    return _detail(request, case)


@require_POST
def message(request, public_id):
    case = selectors.case_for_applicant(request, public_id, account_subject(request))
    try:
        services.case_message(case=case, party=services.APPLICANT, actor=applicant_actor(request), body=request.POST.get("body", ""), uploads=upload_list(request))
    except XinyongError as exc:
        return _detail(request, case, status=exc.status if exc.status < 500 else 400, message_error=exc.message)
    messages.success(request, "留言已发送。")
    return redirect("cases:detail", public_id=case.public_id)


def attachment(request, public_id, file_id):
    case = selectors.case_for_applicant(request, public_id, account_subject(request))
    return serve_attachment(selectors.case_attachment(case, file_id))


def serve_attachment(att) -> HttpResponse:
    try:  # decrypted (common.filestore); a damaged file gives its own page
        return filestore.file_response(
            case_files.stored_path(att.stored_name), as_attachment=True, filename=att.name, content_type=att.content_type,
            headers={"Cache-Control": "private, no-store", "Content-Security-Policy": "default-src 'none'; sandbox"},
        )
    except FileNotFoundError:
        raise Http404("附件文件不存在") from None
