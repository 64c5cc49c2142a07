"""The REST API (django-ninja): one NinjaAPI, one error shape {"code", "message", "fields"},
OpenAPI document at /api/openapi.json and its browsable form at /api/docs (served from the
swagger-ui files bundled with django-ninja: no CDN, works offline).

Each app contributes a router from its own api.py. Every error — ours (XinyongError and its
subclasses, with their `status`), a request that does not match the schema (422), a missing or
bad credential (401), an unknown path (404), a wrong method (405), an unexpected exception (500,
logged, nothing internal shown) — leaves the API in the same shape, with a Chinese message.
docs/api.md lists every code.
"""

from __future__ import annotations

import json
import logging
from functools import wraps

import orjson
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.urls import re_path
from ninja import NinjaAPI, Schema, Swagger
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from pydantic import Field

from xinyong.common.errors import BadRequest, PayloadTooLarge, Unauthorized, XinyongError

log = logging.getLogger("xinyong.api")


class ErrorOut(Schema):
    """The one error shape of the API."""

    code: str = Field(description="机器可读的错误代码（见 docs/api.md 错误代码表）", examples=["invalid_request"])
    message: str = Field(description="给人看的中文说明", examples=["请求参数有误：records 应为数组（列表）"])
    fields: dict = Field(default_factory=dict, description="出错的字段及原因（字段名 → 中文原因）", examples=[{"records": "应为数组（列表）"}])


ERROR_DESCRIPTIONS = {
    400: "请求无法读取（不是 JSON、不是 UTF-8 编码）",
    401: "缺少接口凭证或签名，或签名无效、时间戳过期、请求重放，或密钥已吊销、已过期",
    403: "无权操作（缺少权限范围；一数一源：信息项不归本部门报送）",
    404: "找不到（未知的信息项、部门、批次；或批次不属于本部门）",
    409: "与同时进行的另一批次冲突",
    413: "请求过大（记录条数或请求体超过上限）",
    422: "请求内容有误（字段校验失败；文件整体被拒收）",
    429: "请求过于频繁（超过接口密钥的频率限制；Retry-After 为须等待的秒数）",
    500: "平台内部错误（已记录日志）",
}


RESPONSE_DESCRIPTIONS = {200: "成功", 201: "已处理完毕", 202: "已受理，转入后台处理（按 Location 查询进度）", **ERROR_DESCRIPTIONS}


def error_responses(*codes: int) -> dict:
    """OpenAPI responses for the given error statuses (500 is always added)."""
    return {code: ErrorOut for code in (*codes, 500)}


def error_response(request: HttpRequest, status: int, code: str, message: str, fields: dict | None = None) -> HttpResponse:
    response = api.create_response(request, {"code": code, "message": message, "fields": fields or {}}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="xinyong"'
    return response


# ------------------------------------------------------------------ request validation (422)
_PYDANTIC_MESSAGES = {
    "missing": "必填项缺失",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为数组（列表）",
    "dict_type": "应为对象（键值对）",
    "model_type": "应为对象（键值对）",
    "model_attributes_type": "应为对象（键值对）",
    "uuid_parsing": "不是有效的标识（UUID）",
    "uuid_type": "不是有效的标识（UUID）",
    "json_invalid": "不是有效的 JSON",
    "extra_forbidden": "不认识的字段",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "too_long": "条目过多",
    "too_short": "条目过少",
    "greater_than_equal": "过小",
    "less_than_equal": "过大",
    "greater_than": "过小",
    "less_than": "过大",
}


def _field_message(err: dict) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind in ("literal_error", "enum"):
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", "、").replace(", ", "、")
        return f"取值无效，可选：{expected}"
    if kind == "too_short" and "min_length" in ctx:
        return f"至少须有{ctx['min_length']}项"
    if kind in ("greater_than_equal", "greater_than") and ("ge" in ctx or "gt" in ctx):
        return f"不能小于{ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than") and ("le" in ctx or "lt" in ctx):
        return f"不能大于{ctx.get('le', ctx.get('lt'))}"
    if kind in ("string_too_long", "too_long") and "max_length" in ctx:
        return f"{_PYDANTIC_MESSAGES[kind]}（最多{ctx['max_length']}）"
    return _PYDANTIC_MESSAGES.get(kind, "取值无效")


def _field_name(loc) -> str:
    # ninja prefixes the source (body / query / path / form / file) and, for a body or form
    # schema, the parameter name; what a client knows is the field name inside the request.
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "form", "file", "header", "cookie"):
        parts = parts[1:]
    if parts and parts[0] == "payload":  # the name of every JSON body parameter in our api.py
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict]) -> dict:
    fields: dict[str, str] = {}
    for err in errors:
        fields.setdefault(_field_name(err.get("loc", ())), _field_message(err))
    return fields


# ------------------------------------------------------------------ JSON bodies
class JsonParser(Parser):
    """JSON bodies must be UTF-8 (a BOM is tolerated); errors say what is wrong, in Chinese."""

    def parse_body(self, request: HttpRequest):
        try:
            raw = request.body
        except RequestDataTooBig:
            raise PayloadTooLarge("请求体过大，请分批提交（上限见 docs/api.md）", code="body_too_large") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BadRequest(f"请求体不是 UTF-8 编码（第{exc.start + 1}个字节无法解码）", code="body_not_utf8") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"请求体不是有效的 JSON（第{exc.lineno}行第{exc.colno}列：{_json_reason(exc.msg)}）", code="malformed_json") from None


def _json_reason(msg: str) -> str:
    reasons = {
        "Expecting value": "缺少值",
        "Expecting property name enclosed in double quotes": "字段名须用双引号",
        "Expecting ',' delimiter": "缺少逗号",
        "Expecting ':' delimiter": "缺少冒号",
        "Extra data": "多余的内容",
        "Unterminated string starting at": "字符串没有结束引号",
        "Invalid control character at": "含有控制字符",
    }
    return reasons.get(msg, "格式错误")


class JsonRenderer(JSONRenderer):
    """UTF-8 JSON with Chinese as is (not \\u escapes): readable in logs and curl."""

    json_dumps_params = {"ensure_ascii": False}


def json_answer(payload: dict, status: int = 200) -> HttpResponse:
    """An answer already in the shape of the operation's declared schema, sent without
    validating it again (pydantic took longer than the check itself: 40 s for a bulk answer of
    30,000 subjects). For the hot paths only (the check API); the OpenAPI conformance tests and
    schemathesis hold these answers to their schema."""
    return HttpResponse(orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS), status=status, content_type="application/json; charset=utf-8")


# ------------------------------------------------------------------ the API object
class XinyongAPI(NinjaAPI):
    """NinjaAPI whose unknown paths (404) and wrong methods (405) also answer in the error shape.

    The apps' routers are mounted when the URLs or the schema are first asked for (not at
    import), so that each app's api.py can import the shared pieces of this module.
    """

    _mounted = False

    def _mount(self) -> None:
        if self._mounted:
            return
        self._mounted = True
        from xinyong.access.api import router as access_router
        from xinyong.annualreports.api import router as annual_reports_router
        from xinyong.catalog.api import departments_router
        from xinyong.catalog.api import router as catalog_router
        from xinyong.commitments.api import router as commitments_router
        from xinyong.ingestion.api import router as ingestion_router
        from xinyong.measures.api import router as checks_router
        from xinyong.portal.api import router as subjects_router
        from xinyong.reports.api import router as reports_router
        from xinyong.search.api import router as search_router

        self.add_router("/v1/batches", ingestion_router)
        self.add_router("/v1/checks", checks_router)
        self.add_router("/v1/catalog", catalog_router)
        self.add_router("/v1/departments", departments_router)
        self.add_router("/v1/reports", reports_router)
        self.add_router("/v1/subjects", subjects_router)
        self.add_router("/v1/subjects", access_router)  # /{code}/records, /records/query (key scope "query")
        self.add_router("/v1/search", search_router)
        self.add_router("/v1/annual-reports", annual_reports_router)
        self.add_router("/v1/commitments", commitments_router)

    @property
    def urls(self):
        self._mount()
        return super().urls

    def get_openapi_schema(self, *args, **kwargs):
        self._mount()
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if operation.get("security") and "429" not in {str(k) for k in operation.get("responses", {})}:
                    # per-key rate limit of every key-authenticated operation (security/auth.py)
                    operation.setdefault("responses", {})[429] = {
                        "description": RESPONSE_DESCRIPTIONS[429],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                    }
                for status, response in operation.get("responses", {}).items():
                    # ninja's defaults are English reason phrases; our own descriptions stay
                    if int(status) >= 400 or response.get("description") in ("OK", "Created", "Accepted"):
                        response["description"] = RESPONSE_DESCRIPTIONS.get(int(status), response.get("description"))
        return schema

    def _get_urls(self):
        urls = []
        for pattern in super()._get_urls():
            if hasattr(pattern, "callback") and pattern.name not in ("openapi-json", "openapi-view"):
                pattern.callback = _shape_405(pattern.callback)
            urls.append(pattern)
        urls.append(re_path(r"^", _unknown_path, name="unknown"))
        return urls


def _shape_405(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(request, 405, "method_not_allowed", f"不支持 {request.method} 方法（可用：{allowed}）")
            response["Allow"] = allowed
        return response

    return wrapper


def _unknown_path(request: HttpRequest):
    return error_response(request, 404, "unknown_path", f"接口地址不存在：{request.path[:200]}（接口文档见 /api/docs）")


_unknown_path.csrf_exempt = True  # type: ignore[attr-defined]

api = XinyongAPI(
    title="信用吉林 数据交换接口",
    version="1",
    description=(
        "吉林省公共信用信息平台的接口：部门业务系统报送信用信息（归集）、查看报送批次、读取信用信息资源目录。\n\n"
        "认证：请求头 `Authorization: Bearer <密钥标识>.<密钥>`（密钥由信用中心创建）。"
        "所有错误都以同一格式返回：`{\"code\": 错误代码, \"message\": 中文说明, \"fields\": {字段: 原因}}`；"
        "错误代码表、示例和限制见 docs/api.md。"
    ),
    docs_url="/docs",
    # served from ninja's bundled swagger-ui files (ninja is in INSTALLED_APPS): no CDN; and no
    # validator badge, which would send the document's address to validator.swagger.io
    docs=Swagger(settings={"validatorUrl": None}),
    urls_namespace="api",
    parser=JsonParser(),
    renderer=JsonRenderer(),
)


@api.exception_handler(XinyongError)
def _xinyong_error(request, exc: XinyongError):
    if exc.status >= 500:
        log.error("api error", extra={"code": exc.code, "path": request.path})
    response = error_response(request, exc.status, exc.code, exc.message, exc.fields)
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestValidationError)
def _validation_error(request, exc: RequestValidationError):
    fields = validation_fields(exc.errors)
    summary = "；".join(f"{k} {v}" for k, v in list(fields.items())[:5])
    return error_response(request, 422, "invalid_request", f"请求参数有误：{summary}", fields)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # ninja wraps what our parser raises (bad JSON, not UTF-8, too large) in HttpError(400)
    cause = exc.__cause__
    if isinstance(cause, XinyongError):
        return _xinyong_error(request, cause)
    if isinstance(cause, RequestDataTooBig):
        return _xinyong_error(request, PayloadTooLarge("请求体过大，请分批提交（上限见 docs/api.md）", code="body_too_large"))
    if exc.status_code == 401:
        return _xinyong_error(request, Unauthorized("缺少接口凭证：请在请求头中提供 Authorization: Bearer <密钥标识>.<密钥>", code="auth_required"))
    if exc.status_code == 403:
        return error_response(request, 403, "forbidden", "无权进行此操作")
    if exc.status_code == 429:
        return error_response(request, 429, "rate_limited", "请求过于频繁，请稍后再试")
    if exc.status_code == 400:
        return error_response(request, 400, "bad_request", "请求无法读取，请检查请求格式（multipart/form-data 或 UTF-8 JSON）")
    return error_response(request, exc.status_code, "http_error", "请求无法处理")


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    # raised by Django when the body exceeds XINYONG_API_MAX_BODY_MB (ninja reads the body
    # before our parser sees it)
    return _xinyong_error(request, PayloadTooLarge("请求体过大，请分批提交（上限见 docs/api.md）", code="body_too_large"))


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request, exc):
    return _xinyong_error(request, BadRequest("上传格式错误：请以 multipart/form-data 提交（含 boundary），字段为 item、mode、file", code="bad_request"))


@api.exception_handler(SuspiciousOperation)
def _suspicious(request, exc):
    # TooManyFieldsSent, TooManyFilesSent and the like: a request no client should send
    log.warning("suspicious api request", extra={"path": request.path, "error": type(exc).__name__})
    return _xinyong_error(request, BadRequest("请求无法读取，请检查请求格式", code="bad_request"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", "找不到请求的资源")


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    log.exception("unexpected api error", extra={"path": request.path, "method": request.method})
    return error_response(request, 500, "internal_error", "平台内部错误，请稍后重试；如多次出现请联系信用中心（已记录日志）")

