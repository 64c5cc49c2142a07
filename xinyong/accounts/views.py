"""The subject's own area (/my/): registration, login, the whole own file, own reports,
notifications; and the credit centre's review of authorization letters (/dept/accounts/).

Views are thin: forms parse, `services` write, `selectors` read. Every view of the own file and
every own report is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xinyong.common import filestore
from xinyong.common.errors import InvalidInput, XinyongError
from xinyong.common.ratelimit import client_id, hit, too_many
from xinyong.ingestion.selectors import is_platform_staff
from xinyong.portal import selectors as portal_selectors
from xinyong.security.services import Actor, audit_log
from xinyong.security.views import ThrottledLoginMixin

from . import selectors, services
from .decorators import subject_login_required
from .forms import (
    DecisionForm,
    DisableForm,
    IndividualRegistrationForm,
    LetterForm,
    OrganizationRegistrationForm,
    SubjectLoginForm,
)
from .models import AuthorizationLetter, SubjectAccount


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _actor(request) -> Actor:
    return Actor.for_user(request.user, ip=_ip(request))


# ---------------------------------------------------------------------- login, logout, password
class LoginView(ThrottledLoginMixin, auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SubjectLoginForm

    def get_default_redirect_url(self):
        return reverse("accounts:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(actor=_actor(self.request), action="account.login", object_type="user", object_id=self.request.user.pk)
        return response


class LogoutView(auth_views.LogoutView):
    """GET shows a confirmation with a button (signing out changes state, so it is a POST)."""

    http_method_names = ["get", "post", "options"]
    next_page = reverse_lazy("portal:home")

    def get(self, request, *args, **kwargs):
        return render(request, "accounts/logout.html")

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_log(actor=_actor(request), action="account.logout", object_type="user", object_id=request.user.pk)
        response = super().post(request, *args, **kwargs)
        messages.info(request, "您已安全退出。")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_log(actor=_actor(self.request), action="account.password_change", object_type="user", object_id=self.request.user.pk)
        messages.success(self.request, "密码已修改。")
        return response


password_change = subject_login_required(PasswordChangeView.as_view())


# ---------------------------------------------------------------------- registration
@require_GET
def register(request):
    return render(request, "accounts/register.html")


def _register(request, form_class, kind: str, template: str):
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST":
        allowed, retry_after = hit(request, "register")
        if not allowed:
            return too_many(request, retry_after)
        if form.is_valid():
            d = form.cleaned_data
            try:
                account = services.account_register(
                    kind=kind,
                    name=d["name"],
                    id_number=d["id_number"],
                    mobile=d["mobile"],
                    email=d.get("email") or "",
                    username=d["username"],
                    password=d["password1"],
                    uscc=d.get("uscc") or "",
                    letter=d.get("letter"),
                    ip=_ip(request),
                )
            except InvalidInput as exc:
                # the refusal (same words for every cause), or a letter the checks refused
                form.add_error("letter" if "letter" in exc.fields and "letter" in form.fields else None, exc.message)
            else:
                auth_login(request, account.user, backend="django.contrib.auth.backends.ModelBackend")
                if account.status == "active":
                    messages.success(request, "注册成功，账户已启用。")
                else:
                    messages.info(request, "注册成功。账户须经信用中心审核授权委托书后启用。")
                return redirect("accounts:home")
    return render(request, template, {"form": form})


@require_http_methods(["GET", "POST"])
def register_organization(request):
    return _register(request, OrganizationRegistrationForm, "organization", "accounts/register_organization.html")


@require_http_methods(["GET", "POST"])
def register_individual(request):
    return _register(request, IndividualRegistrationForm, "individual", "accounts/register_individual.html")


# ---------------------------------------------------------------------- the own area
@require_GET
def home(request):
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={reverse('accounts:home')}")
    account = selectors.request_account(request)
    if account is None:
        raise PermissionDenied("该页面仅供已实名核验的信用主体账户使用；工作人员账户不是主体账户。")
    if not account.is_active_account:
        letters = account.letters.all()[:5] if account.kind == "organization" else []
        return render(request, "accounts/status.html", {"account": account, "letters": letters})
    subject = selectors.account_subject(request)
    own = None
    if subject is not None:
        own = selectors.own_file(subject)
        audit_log(actor=_actor(request), action="account.own_file_view", object_type="subject", object_id=subject.pk, subject_id=subject.pk, purpose="信息主体查询本人信用信息", detail={"not_public": own.not_public_count})
    day = timezone.localdate()
    # like the public file page: the newest facts of each section, the rest on request
    sections = portal_selectors.page_sections(own.file, expand=request.GET.get("all", "")) if own else []
    return render(
        request,
        "accounts/home.html",
        {
            "account": account,
            "subject": subject,
            "own": own,
            "file": own.file if own else None,
            "sections": sections,
            "cases": selectors.my_cases(subject),
            "reports_left": selectors.self_reports_left(account, day),
            "free_reports": selectors.free_self_reports_per_year(),
        },
    )


@require_http_methods(["GET", "POST"])
def authorization(request):
    """Upload (another) authorization letter while the account waits or was refused."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    account = selectors.request_account(request)
    if account is None or account.kind != "organization" or account.status not in ("pending", "refused"):
        raise PermissionDenied("该账户无需上传授权委托书。")
    form = LetterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_upload(account=account, upload=form.cleaned_data["letter"], actor=_actor(request))
        except XinyongError as exc:
            form.add_error("letter", exc.message)
        else:
            messages.success(request, "授权委托书已上传，请等待信用中心审核。")
            return redirect("accounts:home")
    return render(request, "accounts/authorization.html", {"form": form, "account": account})


@subject_login_required
@require_http_methods(["GET", "POST"])
def report(request):
    account = selectors.active_account(request)
    subject = selectors.account_subject(request)
    day = timezone.localdate()
    left = selectors.self_reports_left(account, day)
    context = {"account": account, "subject": subject, "left": left, "free_reports": selectors.free_self_reports_per_year(), "year": day.year}
    if request.method == "GET" or subject is None:
        return render(request, "accounts/report.html", context)
    allowed, retry_after = hit(request, "report")
    if not allowed:
        return too_many(request, retry_after)
    from xinyong.reports.views import site_url

    try:
        result = services.self_report_issue(account=account, subject=subject, actor=_actor(request), requester=client_id(request), site_url=site_url(request))
    except services.QuotaExhausted as exc:
        context["refused"] = exc.message
        context["left"] = 0
        return render(request, "accounts/report.html", context, status=403)
    issued = result.issued
    response = HttpResponse(issued.pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, issued.filename)
    response["Cache-Control"] = "no-store"
    response["X-Report-Number"] = issued.report.number
    return response


# ---------------------------------------------------------------------- notifications
@subject_login_required
@require_GET
def notifications(request):
    page = Paginator(selectors.notifications(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page, "unread": selectors.unread_count(request.user)})


@subject_login_required
@require_POST
def notifications_read(request):
    raw = request.POST.getlist("id")
    ids = None if request.POST.get("all") else [int(x) for x in raw if x.isdigit()][:500]
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("accounts:notifications")


@subject_login_required
@require_POST
def notification_open(request, pk: int):
    """Mark one notification read and go to its link (a link on this site only)."""
    note = get_object_or_404(selectors.notifications(request.user), pk=pk)
    services.notifications_mark_read(user=request.user, ids=[note.pk])
    target = note.url or reverse("accounts:notifications")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("accounts:notifications")
    return redirect(target)


# ---------------------------------------------------------------------- credit centre (/dept/accounts/)
def _staff_only(request):
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not is_platform_staff(request.user):
        raise PermissionDenied("仅信用中心工作人员可以审核主体账户。")
    return None


@require_GET
def dept_letters(request):
    if (r := _staff_only(request)) is not None:
        return r
    uscc = (request.GET.get("uscc") or "").strip().upper()[:18]
    accounts = selectors.organization_accounts(uscc) if uscc else None
    return render(request, "accounts/dept_letters.html", {"letters": selectors.letters_to_review()[:200], "uscc": uscc, "accounts": accounts})


@require_http_methods(["GET", "POST"])
def dept_letter(request, pk: int):
    if (r := _staff_only(request)) is not None:
        return r
    letter = get_object_or_404(AuthorizationLetter.objects.select_related("account", "account__user"), pk=pk)
    account = letter.account
    subject = selectors.subject_of(account)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.letter_decide(letter=letter, approve=form.cleaned_data["decision"] == "approve", reason=form.cleaned_data["reason"], actor=_actor(request), user=request.user)
        except XinyongError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已审核。")
            return redirect("accounts_dept:letters")
    return render(request, "accounts/dept_letter.html", {"letter": letter, "account": account, "subject": subject, "form": form})


@require_GET
def dept_letter_file(request, pk: int):
    if (r := _staff_only(request)) is not None:
        return r
    letter = get_object_or_404(AuthorizationLetter, pk=pk)
    audit_log(actor=_actor(request), action="account.letter_read", object_type="authorization_letter", object_id=letter.pk)
    try:  # decrypted (common.filestore; a letter of before encryption as it is), a damaged one gives its own page
        # downloaded, never rendered by the site (type checked by content at upload, nosniff set)
        return filestore.file_response(letter.file.path, as_attachment=True, content_type=letter.content_type,
                                       filename=f"letter-{letter.pk}.{letter.file.name.rsplit('.', 1)[-1]}", headers={"Cache-Control": "no-store"})
    except FileNotFoundError as exc:
        raise Http404 from exc


@require_POST
def dept_account_disable(request, pk: int):
    if (r := _staff_only(request)) is not None:
        return r
    account = get_object_or_404(SubjectAccount, pk=pk)
    form = DisableForm(request.POST)
    if not form.is_valid():
        messages.error(request, "停用账户须写明原因。")
    else:
        services.account_disable(account=account, reason=form.cleaned_data["reason"], actor=_actor(request), user=request.user)
        messages.success(request, f"账户 {account.user.get_username()} 已停用。")
    return redirect(f"{reverse('accounts_dept:letters')}?uscc={account.uscc}")
