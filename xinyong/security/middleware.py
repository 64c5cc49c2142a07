"""Middleware of the security app: the request log of the department systems' API (one
`ApiRequest` per request to a key-authenticated operation, accepted or refused, with the machine
reason, the error `code`); staff sessions (idle timeout, sign out everywhere, enrolment and
password change first); security headers and the content security policy."""

from __future__ import annotations

import json
import logging
import time
from contextlib import nullcontext

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, connection, transaction
from django.shortcuts import redirect
from django.utils import timezone

from xinyong.common.db import insert_one, insert_sql, write_together

from .auth import replayed, store_nonce
from .chain import clean_ip
from .models import ApiNonce, ApiRequest, StaffSecurity

log = logging.getLogger("xinyong.api")


class ApiRequestLogMiddleware:
    """The log line of every key-authenticated API request; for an operation that deferred its
    nonce and writes (`auth.ApiKeyAuth(..., defer_nonce=True)`), first the nonce, the writes and
    the log line in one transaction (`finish`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        info = getattr(request, "_xy_api", None)
        if info is not None:
            response = finish(request, response, info)
        return response


def finish(request, response, info: dict):
    """Store what the request deferred (its nonce, its writes) and its log line in one
    transaction, and return the response to send: the answer; 401 nonce_replayed when the nonce
    was used already (the writes are not made); the API's 500 when the writes fail. Without
    anything deferred, only the log line. The log line never breaks an answer: if it fails, the
    deferred part is stored alone and the failure logged.

    On PostgreSQL, when every write can say itself as parts of one statement (`parts()`), the
    nonce, the writes and the log line go first as one statement (`common.db.write_together`:
    one round trip, no BEGIN and COMMIT); if it fails (a replayed nonce, anything else), nothing
    of it is written and the steps below tell which case it was."""
    nonce, writes = info.pop("nonce", None), info.pop("writes", [])
    if (nonce is not None or writes) and connection.vendor == "postgresql" and all(hasattr(w, "parts") for w in writes):
        try:
            # in a caller's transaction (tests), a savepoint: a failed statement must not break it
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                _together(request, response, info, nonce, writes)
            return response
        except IntegrityError:
            pass  # a replayed nonce, most likely: told below
        except Exception:  # noqa: BLE001 — retried below, step by step
            log.warning("api closing statement failed, retried step by step", exc_info=True, extra={"path": request.path})
    if nonce is not None or writes:
        try:
            with transaction.atomic():
                _deferred(nonce, writes)
                try:
                    record(request, response, info)
                except Exception:  # noqa: BLE001 — retried below without the log line
                    raise _LogFailed from None
            return response
        except _Replayed:
            info["code"] = "nonce_replayed"
            response = _api_error(request, replayed())
        except _LogFailed:
            try:
                with transaction.atomic():
                    _deferred(nonce, writes)
            except _Replayed:
                info["code"] = "nonce_replayed"
                response = _api_error(request, replayed())
            except Exception as exc:  # noqa: BLE001 — the answer cannot stand without its writes
                info["code"] = "internal_error"
                response = _api_error(request, exc)
        except Exception as exc:  # noqa: BLE001 — the answer cannot stand without its writes
            info["code"] = "internal_error"
            response = _api_error(request, exc)
    try:
        record(request, response, info)
    except Exception:  # noqa: BLE001 — the log must never break the answer; logged
        log.exception("api request log failed", extra={"path": request.path})
    return response


class _Replayed(Exception):
    pass


class _LogFailed(Exception):
    pass


def _together(request, response, info: dict, nonce: dict | None, writes: list) -> None:
    parts = [("nonce", *insert_sql(ApiNonce, nonce))] if nonce is not None else []
    for write in writes:
        parts += write.parts()
    write_together(parts, insert_sql(ApiRequest, _log_values(request, response, info)))


def _deferred(nonce: dict | None, writes: list) -> None:
    if nonce is not None:
        try:
            store_nonce(nonce)
        except IntegrityError:
            raise _Replayed from None
    for write in writes:
        write()


def _api_error(request, exc: Exception):
    from xinyong.api import api

    return api.on_exception(request, exc)


def _code(response, info: dict) -> str:
    if info.get("code"):
        return info["code"]
    if response.status_code < 400 or response.get("Content-Type", "").split(";")[0] != "application/json":
        return ""
    try:
        return str(json.loads(response.content).get("code", ""))[:40]
    except (ValueError, AttributeError):
        return ""


def record(request, response, info: dict) -> None:
    insert_one(ApiRequest, _log_values(request, response, info))  # one row per API request: plain SQL (common/db.py)


def _log_values(request, response, info: dict) -> dict:
    key = info.get("key")
    return {
        "at": timezone.now(),
        "key_id": key.pk if key else None,
        "key_label": (key.key_id if key else info.get("key_label", ""))[:40],
        "department_id": key.department_id if key else None,
        "method": (request.method or "")[:10],
        "path": request.get_full_path()[:300],
        "status": response.status_code,
        "code": _code(response, info),
        "auth": info.get("auth", "none"),
        "ip": clean_ip(request.META.get("REMOTE_ADDR")),
    }


# ---------------------------------------------------------------------- the API's lean path
# The check (联合奖惩 触发) is asked on every decision of every department: its requests skip the
# middleware that only pages use (static files, sessions, locale, CSRF, users, messages, staff
# sessions) and the URL resolver. Everything the API relies on stays: the host check, the
# operation itself through django-ninja (signature, nonce, scope, rate limit, body validation,
# error shape), and the response middleware of every API answer (X-Frame-Options, the security
# headers and Cache-Control, the request log with the deferred nonce and audit rows).
LEAN_PATHS = ("/api/v1/checks",)


class ApiLeanPathMiddleware:
    """Right after Django's SecurityMiddleware: POST to a path of LEAN_PATHS goes to its API
    operation through the response middleware only; everything else on through the whole
    stack. Same answers, headers and log lines as through the whole stack
    (tests/measures/test_check_requests.py)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._lean: dict = {}
        self.paths = LEAN_PATHS
        if settings.XINYONG.get("BENCH_ENDPOINTS"):  # the check's floors take the check's path (common/bench.py)
            from xinyong.common.bench import FLOOR_PATHS

            self.paths = LEAN_PATHS + FLOOR_PATHS

    def __call__(self, request):
        if request.method == "POST" and request.path_info in self.paths:
            return self._handler(request.path_info)(request)
        return self.get_response(request)

    def _handler(self, path: str):
        handler = self._lean.get(path)
        if handler is None:
            from django.middleware.clickjacking import XFrameOptionsMiddleware
            from django.urls import resolve

            match = resolve(path)  # the API's own view (resolved once: a fixed path)

            def operation(request):
                request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it
                request.resolver_match = match
                response = match.func(request, *match.args, **match.kwargs)
                if not response.streaming and "Content-Length" not in response:  # as CommonMiddleware
                    response.headers["Content-Length"] = str(len(response.content))
                return response

            handler = self._lean[path] = XFrameOptionsMiddleware(SecurityHeadersMiddleware(ApiRequestLogMiddleware(operation)))
        return handler


# ---------------------------------------------------------------------- staff sessions
# session keys (security/views.py sets them at login)
SESSION_LOGIN_AT = "xy_login_at"  # Unix time of the login
SESSION_SEEN = "xy_seen"  # Unix time of the last request (idle timeout), refreshed every minute
SESSION_MUST = "xy_must"  # "enrol" or "password": what the user must do before anything else
_SEEN_EVERY = 60


def _must_urls() -> dict[str, str]:
    from django.urls import reverse

    return {"enrol": reverse("two_factor"), "password": reverse("password_change")}


class StaffSessionMiddleware:
    """Every signed-in session: ends after XINYONG_SESSION_IDLE_MINUTES without a request, and when
    the user (or the credit centre) signed out everywhere after this login; a staff user who must
    enrol in two-factor authentication or change an aged password is sent there from every page
    until done (only that page and signing out remain)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.contrib.auth import SESSION_KEY

        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        now = time.time()
        idle = settings.XINYONG["STAFF_AUTH"]["IDLE_MINUTES"]
        seen = session.get(SESSION_SEEN)
        if idle and seen and now - seen > idle * 60:
            return self._end(request, "idle", f"您已超过 {idle} 分钟没有操作，为保护账户安全已自动退出，请重新登录。")
        valid_after = StaffSecurity.objects.filter(user_id=session[SESSION_KEY]).values_list("sessions_valid_after", flat=True).first()
        if valid_after and session.get(SESSION_LOGIN_AT, 0) < valid_after.timestamp():
            return self._end(request, "revoked", "您的账户已在所有设备上退出，请重新登录。")
        if not seen or now - seen >= _SEEN_EVERY:
            session[SESSION_SEEN] = now
        must = session.get(SESSION_MUST)
        if must:
            urls = _must_urls()
            allowed = {urls.get(must), reverse_logout()}
            if request.path not in allowed:
                return redirect(urls.get(must) or settings.LOGIN_URL)
        return self.get_response(request)

    def _end(self, request, why: str, message: str):
        from django.contrib import messages
        from django.contrib.auth import logout

        from .services import Actor, audit_log

        user = request.user
        if user.is_authenticated:
            audit_log(actor=Actor.for_user(user, ip=request.META.get("REMOTE_ADDR")), action=f"auth.session_{why}", object_type="user", object_id=user.pk)
        logout(request)
        messages.info(request, message)
        if request.path.startswith("/api/"):
            return self.get_response(request)
        return redirect_to_login(request.get_full_path() if request.method == "GET" else "/", settings.LOGIN_URL)


def reverse_logout() -> str:
    from django.urls import reverse

    return reverse("logout")


# ---------------------------------------------------------------------- response headers
_CREDIT_FILES = {("portal", "subject"), ("portal", "person")}


def _private(request, conf) -> bool:
    """A page that may hold non-public or personal data: staff, portal accounts, cases, the API,
    or any page shown to a signed-in user."""
    if request.path.startswith(conf["NO_STORE_PATHS"]):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """Content-Security-Policy on every HTML response (XINYONG_CSP: no inline script or style;
    tests/security/test_headers.py keeps the templates free of them), Permissions-Policy on
    every response, Cache-Control: no-store on pages that may hold non-public or personal data
(Cross-Origin-Opener-Policy, nosniff, Referrer-Policy and, in production, HSTS
    come from Django's SecurityMiddleware). Also counts the credit files each client opens, for
    the portal-scraping alert (security/alerts.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        conf = settings.XINYONG["HEADERS"]
        if conf["CSP"] and response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", conf["CSP"])
        if conf["PERMISSIONS_POLICY"]:
            response.headers.setdefault("Permissions-Policy", conf["PERMISSIONS_POLICY"])
        if "Cache-Control" not in response and _private(request, conf):
            response["Cache-Control"] = "no-store"
        match = getattr(request, "resolver_match", None)
        if match is not None and (match.namespace, match.url_name) in _CREDIT_FILES:
            try:
                from .alerts import count_credit_file

                count_credit_file(request)
            except Exception:  # noqa: BLE001 — monitoring must never break the answer; logged
                log.exception("scraping counter failed", extra={"path": request.path})
        return response
