"""Authentication of department systems on the REST API.

`ApiKeyAuth("ingest")` accepts `Authorization: Bearer <key_id>.<secret>` for an active key that
has the scope "ingest"; `request.auth` is then the ApiKey. Failures raise our errors (401 with the
reason, 403 for a missing scope), which the API renders in its one error shape.

Signed requests (HMAC of method, path, time and body with the key's secret) and per-key rate
limits are a later issue: they belong in `check_request`, which sees the request and the key.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security.http import HttpAuthBase

from xinyong.common.errors import Unauthorized

from .keys import apikey_authenticate, require_scope
from .models import ApiKey
from .services import Actor


class ApiKeyAuth(HttpAuthBase):
    openapi_scheme = "bearer"
    openapi_bearerFormat = "<key_id>.<secret>"  # noqa: N815 (OpenAPI field name)
    openapi_description = (
        "部门业务系统的接口密钥：请求头 `Authorization: Bearer <密钥标识>.<密钥>`。"
        "密钥由信用中心用 `xinyong apikey create` 创建，只显示一次。"
    )

    def __init__(self, scope: str):
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiKey:
        value = request.headers.get("Authorization", "")
        if not value.strip():
            raise Unauthorized(
                "缺少接口凭证：请在请求头中提供 Authorization: Bearer <密钥标识>.<密钥>", code="auth_required"
            )
        scheme, _, token = value.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "接口凭证格式错误：应为 Authorization: Bearer <密钥标识>.<密钥>", code="auth_malformed"
            )
        key = apikey_authenticate(token)
        require_scope(key, self.scope)
        self.check_request(request, key)
        return key

    def check_request(self, request: HttpRequest, key: ApiKey) -> None:
        """Hook for request signatures and rate limits (later issue)."""


def request_actor(request: HttpRequest) -> Actor:
    """The audit actor of an authenticated API request."""
    return Actor.for_key(request.auth, ip=request.META.get("REMOTE_ADDR"))
