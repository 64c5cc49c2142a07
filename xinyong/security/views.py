"""Staff sign-in (Django's auth views with our templates) with throttling, lock-out and a second
factor; the staff's own account security pages (two-factor enrolment, password change, sign out
everywhere); the credit centre's operations page (/dept/security/). Everything is audited."""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from xinyong.common.crypto import decrypt, encrypt
from xinyong.common.ratelimit import client_id, count_up
from xinyong.ingestion.views import staff_view

from . import twofactor
from .alerts import acknowledge
from .middleware import SESSION_LOGIN_AT, SESSION_MUST, SESSION_SEEN
from .models import Alert, StaffSecurity
from .passwords import password_expired
from .selectors import operations_overview
from .services import Actor, audit_log

SESSION_PENDING = "xy_2fa_pending"  # the user who passed the password step: {"uid", "at", "next", "backend"}
SESSION_ENROL = "xy_2fa_enrol"  # the secret being enrolled (encrypted), until confirmed


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


# ---------------------------------------------------------------------- throttling
def _fail_keys(request, username: str) -> tuple[str, str]:
    name = (username or "").strip().lower()[:150]
    return f"login:fail:user:{name}", f"login:fail:ip:{client_id(request)}"


def _locked(request, username: str) -> bool:
    conf = settings.XINYONG["LOGIN"]
    user_key, ip_key = _fail_keys(request, username)
    return (cache.get(user_key) or 0) >= conf["MAX_FAILURES"] or (cache.get(ip_key) or 0) >= 4 * conf["MAX_FAILURES"]


def _count_failure(request, username: str) -> None:
    timeout = settings.XINYONG["LOGIN"]["LOCK_MINUTES"] * 60
    for key in _fail_keys(request, username):
        count_up(key, timeout=timeout)


def _locked_response(request, username: str):
    minutes = settings.XINYONG["LOGIN"]["LOCK_MINUTES"]
    audit_log(actor=Actor("public", "登录页", ip=_ip(request)), action="auth.login_locked", object_type="user", detail={"username": username[:150]})
    response = render(request, "429.html", {"retry_after": minutes * 60, "message": f"登录失败次数过多，该账户或本机已被暂时锁定，请 {minutes} 分钟后再试"}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


class ThrottledLoginMixin:
    """Login throttling and lock-out (MLPS level 3: 登录失败处理), for every login page.

    Failed attempts are counted per account name and per client address; at
    XINYONG["LOGIN"]["MAX_FAILURES"] for a name (or four times that for an address, against
    password spraying) further attempts are refused for LOCK_MINUTES without checking the
    password, so a locked-out guesser learns nothing even with the right one. A successful
    login clears the name's count (for a staff user with two-factor authentication: only after
    the second step, which counts its failures on the same counters). Failures and lock-outs
    are audited."""

    def _username(self) -> str:
        return self.request.POST.get("username") or ""

    def post(self, request, *args, **kwargs):
        if _locked(request, self._username()):
            return _locked_response(request, self._username())
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        _count_failure(self.request, self._username())
        audit_log(actor=Actor("public", "登录页", ip=_ip(self.request)), action="auth.login_failed", object_type="user", detail={"username": self._username()[:150]})
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(_fail_keys(self.request, self._username())[0])
        return super().form_valid(form)


def _after_login(request, user) -> str | None:
    """Stamp the new session; where a staff user must go first (enrolment, password change)."""
    now = time.time()
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_SEEN] = now
    if twofactor.is_staff_user(user):
        if twofactor.two_factor_required() and not twofactor.is_enrolled(user):
            request.session[SESSION_MUST] = "enrol"
            messages.warning(request, "按照平台安全要求，工作人员账号须启用双因素认证。请先完成设置，之后才能使用其他功能。")
            return reverse("two_factor")
        if password_expired(user):
            request.session[SESSION_MUST] = "password"
            messages.warning(request, f"您的密码已使用超过 {settings.XINYONG['STAFF_AUTH']['PASSWORD_MAX_AGE_DAYS']} 天，请先修改密码。")
            return reverse("password_change")
    return None


class LoginView(ThrottledLoginMixin, auth_views.LoginView):
    template_name = "security/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if twofactor.is_staff_user(user) and twofactor.is_enrolled(user):
            # the password was right: the second step follows; the failure count stays until then
            self.request.session.cycle_key()
            self.request.session[SESSION_PENDING] = {"uid": user.pk, "at": time.time(), "next": self.get_success_url(), "backend": user.backend}
            return redirect("login_verify")
        response = super().form_valid(form)
        audit_log(actor=Actor.for_user(self.request.user, ip=_ip(self.request)), action="auth.login", object_type="user", object_id=self.request.user.pk)
        first = _after_login(self.request, self.request.user)
        return redirect(first) if first else response


class CodeForm(forms.Form):
    code = forms.CharField(label="验证码", max_length=40, strip=True)

    @classmethod
    def refused(cls, message: str) -> CodeForm:
        """An empty form showing why the code was refused (the code typed is not shown again)."""
        form = cls(data={"code": "-"})
        form.is_valid()
        form.add_error("code", message)
        return form


def _pending(request):
    data = request.session.get(SESSION_PENDING)
    if not data:
        return None, None
    if time.time() - data.get("at", 0) > settings.XINYONG["STAFF_AUTH"]["SECOND_STEP_MINUTES"] * 60:
        request.session.pop(SESSION_PENDING, None)
        return None, None
    user = get_user_model().objects.filter(pk=data["uid"], is_active=True).first()
    return data, user


def login_verify(request):
    """The second step: a code from the authenticator app, or a recovery code."""
    data, user = _pending(request)
    if user is None:
        messages.info(request, "登录已超时或尚未输入密码，请重新登录。")
        return redirect("login")
    username = user.get_username()
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if _locked(request, username):
            request.session.pop(SESSION_PENDING, None)
            return _locked_response(request, username)
        used = twofactor.verify(user=user, code=request.POST.get("code", "")) if form.is_valid() else None
        if used is None:
            _count_failure(request, username)
            audit_log(actor=Actor("public", "登录页", ip=_ip(request)), action="auth.2fa_failed", object_type="user", object_id=user.pk, detail={"username": username})
            form = CodeForm.refused("验证码不正确或已使用过，请输入验证器中当前显示的6位数字，或一个未用过的恢复码。")
            return render(request, "security/login_verify.html", {"form": form}, status=200)
        cache.delete(_fail_keys(request, username)[0])
        request.session.pop(SESSION_PENDING, None)
        login(request, user, backend=data.get("backend"))
        audit_log(actor=Actor.for_user(user, ip=_ip(request)), action="auth.login", object_type="user", object_id=user.pk, detail={"second_factor": used})
        if used == "recovery":
            left = twofactor.recovery_codes_left(user)
            messages.warning(request, f"您使用了一个恢复码，还剩 {left} 个。如验证器已丢失，请在“账户安全”中重新设置双因素认证。")
        first = _after_login(request, user)
        return redirect(first or data.get("next") or settings.LOGIN_REDIRECT_URL)
    return render(request, "security/login_verify.html", {"form": form})


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


# ---------------------------------------------------------------------- the user's own account security
def staff_required(view):
    @login_required
    def wrapper(request, *args, **kwargs):
        if not twofactor.is_staff_user(request.user):
            raise PermissionDenied("该页面仅供部门报送员和信用中心工作人员使用。")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@require_GET
@staff_required
def account_security(request):
    state = twofactor.state_for(request.user)
    return render(request, "security/account.html", {
        "state": state,
        "enrolled": bool(state and state.two_factor_enabled),
        "codes_left": twofactor.recovery_codes_left(request.user),
        "required": twofactor.two_factor_required(),
        "max_age": settings.XINYONG["STAFF_AUTH"]["PASSWORD_MAX_AGE_DAYS"],
        "idle": settings.XINYONG["STAFF_AUTH"]["IDLE_MINUTES"],
    })


@staff_required
def two_factor(request):
    """Enrolment: a new secret (QR code and text, shown once), confirmed with a code; then the
    recovery codes, shown once. Enrolled users may replace their recovery codes (with a code)."""
    user = request.user
    enrolled = twofactor.is_enrolled(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "recovery" and enrolled:
        if form.is_valid() and twofactor.verify(user=user, code=form.cleaned_data["code"]) == "totp":
            codes = twofactor.regenerate_recovery_codes(user=user, ip=_ip(request))
            return render(request, "security/two_factor_codes.html", {"codes": codes, "replaced": True})
        form = CodeForm.refused("验证码不正确或已使用过，请输入验证器中当前显示的6位数字。")
        return render(request, "security/two_factor.html", {"enrolled": True, "form": form})
    if enrolled:
        return render(request, "security/two_factor.html", {"enrolled": True, "form": CodeForm(), "codes_left": twofactor.recovery_codes_left(user)})
    if request.method == "POST":
        token = request.session.get(SESSION_ENROL)
        codes = twofactor.enrol(user=user, secret=decrypt(token), code=request.POST.get("code", ""), ip=_ip(request)) if token and form.is_valid() else None
        if codes is None:
            form = CodeForm.refused("验证码不正确。请输入验证器中当前显示的6位数字（手机时间须准确）；如未能扫描二维码，请重新开始设置。")
            return render(request, "security/two_factor.html", {"enrolled": False, "form": form, "retry": True})
        request.session.pop(SESSION_ENROL, None)
        if request.session.get(SESSION_MUST) == "enrol":
            request.session.pop(SESSION_MUST)
        return render(request, "security/two_factor_codes.html", {"codes": codes})
    secret = twofactor.new_secret()  # a new one at every visit: a secret is shown once
    request.session[SESSION_ENROL] = encrypt(secret)
    uri = twofactor.provisioning_uri(user, secret)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render(request, "security/two_factor.html", {"enrolled": False, "form": form, "qr": twofactor.qr_svg(uri), "secret": grouped})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "security/password_change.html"
    success_url = reverse_lazy("account_security")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not twofactor.is_staff_user(request.user):
            raise PermissionDenied("该页面仅供部门报送员和信用中心工作人员使用。")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.request.session.get(SESSION_MUST) == "password":
            self.request.session.pop(SESSION_MUST)
        audit_log(actor=Actor.for_user(self.request.user, ip=_ip(self.request)), action="auth.password_change", object_type="user", object_id=self.request.user.pk)
        messages.success(self.request, "密码已修改。")
        return response


def sign_out_everywhere(*, user, actor: Actor) -> None:
    """End every session of the user (all browsers and devices), from now on."""
    StaffSecurity.objects.update_or_create(user_id=user.pk, defaults={"sessions_valid_after": timezone.now()})
    audit_log(actor=actor, action="auth.logout_everywhere", object_type="user", object_id=user.pk)


@require_POST
@staff_required
def logout_everywhere(request):
    sign_out_everywhere(user=request.user, actor=Actor.for_user(request.user, ip=_ip(request)))
    # this session ends at its next request, as every other: end it now
    request.session.flush()
    messages.info(request, "已在所有设备上退出登录。")
    return redirect(settings.LOGIN_URL)


# ---------------------------------------------------------------------- operations page
class AckForm(forms.Form):
    note = forms.CharField(label="处理说明", max_length=500, required=False)


@require_GET
@staff_view
def operations(request):
    return render(request, "security/operations.html", {**operations_overview(), "scope": request.scope, "ack_form": AckForm()})


@require_POST
@staff_view
def alert_acknowledge(request, pk: int):
    alert = get_object_or_404(Alert, pk=pk)
    form = AckForm(request.POST)
    if alert.status == "new" and form.is_valid():
        acknowledge(alert=alert, user=request.user, note=form.cleaned_data["note"], ip=_ip(request))
        messages.success(request, f"告警“{alert.get_kind_display()}（{alert.actor}）”已确认。")
    return redirect("security_dept:operations")
