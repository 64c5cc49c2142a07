"""Sign-in and sign-out pages (Django's auth views with our templates); both are audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import render

from .services import Actor, audit_log


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class LoginView(auth_views.LoginView):
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
