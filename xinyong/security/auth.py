"""Authentication of department systems on the REST API.

`ApiKeyAuth("ingest")` accepts a request **signed** with an active key that has the scope
"ingest" (`signing.py`; docs/api.md, "Signed requests"): HMAC-SHA256 with the key's secret over
method, path and query, the SHA-256 of the body, a timestamp and a nonce. A stale timestamp
(outside ±XINYONG_API_SIGNATURE_WINDOW seconds), a nonce already seen, a signature over another
body, a revoked or expired key, a missing scope, too many requests for the key: each is refused
with its own code. A bare `Authorization: Bearer <key_id>.<secret>` is accepted only while
XINYONG_API_BEARER_ALLOWED is on (the transition; off in production settings).

`request.auth` is then the ApiKey. Failures raise our errors, which the API renders in its one
error shape; `request._xy_api` tells `middleware.ApiRequestLogMiddleware` what to record.

`ApiKeyAuth(scope, defer_nonce=True)` is for operations whose every write is handed to
`defer_write` (the check: its audit rows): the nonce is then stored by the middleware in one
transaction with those writes and the request log line, before the answer leaves (a replay is
refused as before, whatever its answer would have been); one commit per request instead of three.
An operation that writes anything itself must not defer its nonce: a replay would write again
before being refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import tempfile
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security.http import HttpAuthBase

from xinyong.common.db import insert_one
from xinyong.common.errors import TooManyRequests, Unauthorized, XinyongError
from xinyong.common.ratelimit import hit

from . import signing
from .keys import (
    apikey_authenticate,
    check_key_usable,
    key_by_id,
    key_secrets,
    require_scope,
    touch,
)
from .models import ApiKey, ApiNonce
from .services import Actor

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SPOOL_BYTES = 8 * 1024 * 1024


class ApiKeyAuth(HttpAuthBase):
    openapi_scheme = "bearer"
    openapi_bearerFormat = "<key_id>.<secret>"  # noqa: N815 (OpenAPI field name)
    openapi_description = (
        "部门业务系统的请求签名：请求头 X-Xinyong-Key（密钥标识）、X-Xinyong-Timestamp（Unix 秒）、"
        "X-Xinyong-Nonce（一次性随机串）、X-Xinyong-Signature（HMAC-SHA256，算法见 docs/api.md“请求签名”）。"
        "过渡期内（XINYONG_API_BEARER_ALLOWED）也接受 `Authorization: Bearer <密钥标识>.<密钥>`。"
        "密钥由信用中心用 `xinyong apikey create` 创建，只显示一次。"
    )

    def __init__(self, scope: str, *, defer_nonce: bool = False):
        self.scope = scope
        self.defer_nonce = defer_nonce
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiKey:
        info = request._xy_api = {"auth": "none", "key": None, "key_label": ""}  # type: ignore[attr-defined]
        try:
            if request.headers.get(signing.HEADER_SIGNATURE) or request.headers.get(signing.HEADER_KEY):
                info["auth"] = "signed"
                key = signed_key(request, info, defer_nonce=self.defer_nonce)
            else:
                key = self._bearer(request, info)
            require_scope(key, self.scope)
            check_rate(request, key)
        except XinyongError as exc:
            info["code"] = exc.code
            raise
        return key

    def _bearer(self, request: HttpRequest, info: dict) -> ApiKey:
        value = request.headers.get("Authorization", "")
        if not value.strip():
            raise Unauthorized(
                "缺少接口凭证：请对请求签名（X-Xinyong-Key、X-Xinyong-Timestamp、X-Xinyong-Nonce、X-Xinyong-Signature，见接口文档）",
                code="auth_required",
            )
        info["auth"] = "bearer"
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "接口凭证格式错误：应为 Authorization: Bearer <密钥标识>.<密钥>，或对请求签名（见接口文档）", code="auth_malformed"
            )
        info["key_label"] = token.strip().partition(".")[0][:40]
        if not settings.XINYONG["API"]["BEARER_ALLOWED"]:
            raise Unauthorized(
                "本平台要求对请求签名，不再接受只带 Bearer 令牌的请求：请按接口文档“请求签名”计算 X-Xinyong-Signature",
                code="signature_required",
            )
        key = apikey_authenticate(token)
        info["key"] = key
        return key


def _body_digest(request: HttpRequest) -> str:
    """SHA-256 of the raw body. A body larger than Django keeps in memory (a file upload) is
    read once into a spooled temporary file, which then stands in for the request's stream."""
    if hasattr(request, "_body"):
        return hashlib.sha256(request._body).hexdigest()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0):
        return hashlib.sha256(request.body).hexdigest()
    digest = hashlib.sha256()
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    while chunk := request.read(1024 * 1024):
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    request._stream = spool
    request._read_started = False
    return digest.hexdigest()


def _headers(request: HttpRequest) -> tuple[str, str, str, str]:
    names = (signing.HEADER_KEY, signing.HEADER_TIMESTAMP, signing.HEADER_NONCE, signing.HEADER_SIGNATURE)
    values = [request.headers.get(n, "").strip() for n in names]
    missing = [n for n, v in zip(names, values, strict=True) if not v]
    if missing:
        raise Unauthorized(f"签名请求缺少请求头：{'、'.join(missing)}", code="signature_malformed", fields={n: "必填" for n in missing})
    key_id, ts, nonce, sig = values
    bad = {}
    if len(key_id) > 32:
        bad[signing.HEADER_KEY] = "过长"
    if not ts.isdigit() or len(ts) > 12:
        bad[signing.HEADER_TIMESTAMP] = "应为 Unix 时间（秒，整数）"
    if not _NONCE.match(nonce):
        bad[signing.HEADER_NONCE] = "应为16至64个字母、数字、-或_"
    if not _HEX64.match(sig.lower()):
        bad[signing.HEADER_SIGNATURE] = "应为64位十六进制（HMAC-SHA256）"
    if bad:
        raise Unauthorized(f"签名请求头格式错误：{'；'.join(f'{k} {v}' for k, v in bad.items())}", code="signature_malformed", fields=bad)
    return key_id, ts, nonce, sig.lower()


def signed_key(request: HttpRequest, info: dict, *, defer_nonce: bool = False) -> ApiKey:
    key_id, ts, nonce, sig = _headers(request)
    info["key_label"] = key_id
    now = timezone.now()
    key = key_by_id(key_id)
    digest = _body_digest(request)
    path = request.get_full_path()
    fields = {"method": request.method or "GET", "path": path, "timestamp": ts, "nonce": nonce, "key_id": key_id}
    text = signing.string_to_sign(digest=digest, **fields)
    # an unknown key is checked against a random secret: the answer and the timing are the same
    candidates = key_secrets(key, now) if key else [secrets.token_urlsafe(32)]
    if not any(hmac.compare_digest(signing.signature(s, text), sig) for s in candidates):
        claimed = request.headers.get(signing.HEADER_BODY_DIGEST, "").strip().lower()
        if key and claimed and claimed != digest:
            signed_text = signing.string_to_sign(digest=claimed, **fields)
            if any(hmac.compare_digest(signing.signature(s, signed_text), sig) for s in candidates):
                info["key"] = key
                raise Unauthorized("请求体与签名不符：签名针对的是另一个请求体（请求体在传输中被改动？）", code="body_altered")
        raise Unauthorized(
            "请求签名无效：密钥标识或签名不正确（签名算法、待签字符串见接口文档“请求签名”）", code="signature_invalid"
        )
    info["key"] = key
    check_key_usable(key, now)
    window = settings.XINYONG["API"]["SIGNATURE_WINDOW_SECONDS"]
    skew = int(ts) - int(now.timestamp())
    if abs(skew) > window:
        raise Unauthorized(
            f"请求时间戳超出允许范围（±{window}秒）：请求时间与平台时间相差{abs(skew)}秒，请校准系统时钟后重新签名",
            code="timestamp_stale",
            fields={signing.HEADER_TIMESTAMP: f"平台时间 {int(now.timestamp())}"},
        )
    expires = now + timedelta(seconds=window + max(skew, 0) + 1)
    values = {"key_id": key.pk, "nonce": nonce, "expires_at": expires}
    if defer_nonce:
        info["nonce"] = values  # stored by middleware.ApiRequestLogMiddleware before the answer leaves
    else:
        try:  # a savepoint only inside a transaction (a failed INSERT must not break it)
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                store_nonce(values)
        except IntegrityError:
            raise replayed() from None
    touch(key, now)
    return key


def store_nonce(values: dict) -> None:
    """INSERT the nonce of a signed request; IntegrityError when the key has used it already."""
    insert_one(ApiNonce, values)


def replayed() -> Unauthorized:
    return Unauthorized("重放的请求：该一次性随机串（X-Xinyong-Nonce）已使用过，每个请求须用新的随机串", code="nonce_replayed")


def defer_write(request: HttpRequest, write) -> None:
    """Have `write()` run in the request's closing transaction, with its nonce and log line (an
    operation of ApiKeyAuth(..., defer_nonce=True)); if it fails, the answer is an error. A
    write that also has `parts()` (its INSERTs as parts of one statement, `common.db.write_together`)
    is written on PostgreSQL in one statement with the nonce and the log line (`middleware.finish`)."""
    request._xy_api.setdefault("writes", []).append(write)  # type: ignore[attr-defined]


def check_rate(request: HttpRequest, key: ApiKey) -> None:
    rate = key.rate_limit or settings.XINYONG["API"]["KEY_RATE"]
    allowed, retry_after = hit(request, "apikey", ident=key.key_id, rate=rate)
    if not allowed:
        raise TooManyRequests(f"接口密钥 {key.key_id} 请求过于频繁（上限 {rate}），请{retry_after}秒后再试", retry_after=retry_after, fields={"retry_after": retry_after})


def request_actor(request: HttpRequest) -> Actor:
    """The audit actor of an authenticated API request."""
    return Actor.for_key(request.auth, ip=request.META.get("REMOTE_ADDR"))
