"""`subject_login_required`: the subject's own area (/my/) is for verified, active accounts."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from .selectors import active_account, request_account


def subject_login_required(view):
    """Anonymous users go to the portal account login page (with next=); logged-in users without
    a verified, active subject account (staff, pending, refused or disabled accounts) get the 403
    page. The view may then call `selectors.account_subject(request)` (None: no file yet)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
        if active_account(request) is None:
            account = request_account(request)
            if account is None:
                raise PermissionDenied("该页面仅供已实名核验的信用主体账户使用；工作人员账户不是主体账户。")
            raise PermissionDenied(f"您的账户当前状态为“{account.get_status_display()}”，暂不能使用该功能。")
        return view(request, *args, **kwargs)

    return wrapped
