"""Sign-in and sign-out pages (Django's auth views with our templates); both are audited."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.shortcuts import render

from xinyong.common.ratelimit import client_id, count_up

from .services import Actor, audit_log


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class ThrottledLoginMixin:
    """Login throttling and lock-out (MLPS level 3: 登录失败处理), for every login page.

    Failed attempts are counted per account name and per client address; at
    XINYONG["LOGIN"]["MAX_FAILURES"] for a name (or four times that for an address, against
    password spraying) further attempts are refused for LOCK_MINUTES without checking the
    password, so a locked-out guesser learns nothing even with the right one. A successful
    login clears the name's count. Failures and lock-outs are audited."""

    def _keys(self) -> tuple[str, str]:
        name = (self.request.POST.get("username") or "").strip().lower()[:150]
        return f"login:fail:user:{name}", f"login:fail:ip:{client_id(self.request)}"

    def _locked(self) -> bool:
        conf = settings.XINYONG["LOGIN"]
        user_key, ip_key = self._keys()
        return (cache.get(user_key) or 0) >= conf["MAX_FAILURES"] or (cache.get(ip_key) or 0) >= 4 * conf["MAX_FAILURES"]

    def post(self, request, *args, **kwargs):
        if self._locked():
            minutes = settings.XINYONG["LOGIN"]["LOCK_MINUTES"]
            audit_log(actor=Actor("public", "登录页", ip=_ip(request)), action="auth.login_locked", object_type="user", detail={"username": request.POST.get("username", "")[:150]})
            response = render(request, "429.html", {"retry_after": minutes * 60, "message": f"登录失败次数过多，该账户或本机已被暂时锁定，请 {minutes} 分钟后再试"}, status=429)
            response["Retry-After"] = str(minutes * 60)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        timeout = settings.XINYONG["LOGIN"]["LOCK_MINUTES"] * 60
        for key in self._keys():
            count_up(key, timeout=timeout)
        audit_log(actor=Actor("public", "登录页", ip=_ip(self.request)), action="auth.login_failed", object_type="user", detail={"username": self.request.POST.get("username", "")[:150]})
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(self._keys()[0])
        return super().form_valid(form)


class LoginView(ThrottledLoginMixin, auth_views.LoginView):
    template_name = "security/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(actor=Actor.for_user(self.request.user, ip=_ip(self.request)), action="auth.login", object_type="user", object_id=self.request.user.pk)
        return response


class LogoutView(auth_views.LogoutView):
    """GET shows a confirmation with a button (signing out changes state, so it is a POST)."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "security/logout.html")

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_log(actor=Actor.for_user(request.user, ip=_ip(request)), action="auth.logout", object_type="user", object_id=request.user.pk)
        response = super().post(request, *args, **kwargs)
        messages.info(request, "您已安全退出。")
        return response
