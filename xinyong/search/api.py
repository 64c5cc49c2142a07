"""Search on the API: `GET /api/v1/search?q=&page=` — the same selector as the page /search/
(`search.selectors.search_subjects`): same ranking, same visibility (an individual only while the
law publishes them), same refusals (422 with the reason in Chinese), same rate limit (scope
"search", 429). No credentials needed.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from xinyong.api import error_responses
from xinyong.common.ratelimit import hit, too_many

from .selectors import conf, search_subjects

router = Router(tags=["信用主体检索"])


class HitOut(Schema):
    name: str = Field(description="名称（依法公示的自然人：姓名）")
    kind: str = Field(description="主体类型编码：enterprise、individual_business、public_institution、social_organization、other_organization、individual 等")
    kind_label: str = Field(description="主体类型")
    code: str = Field(description="统一社会信用代码；自然人为脱敏的公民身份号码（220102********1234）")
    code_label: str = Field(description="代码的名称")
    region: str = Field(description="行政区划代码")
    region_name: str = Field(description="所在地区")
    status: str = Field(description="登记状态（存续、注销……；自然人为空）")
    former_names: list[str] = Field(description="曾用名")
    url: str | None = Field(description="信用档案页面地址")
    match: str = Field(description="匹配方式：code 代码完全一致、name 名称完全一致、former_name 曾用名完全一致、partial 名称包含查询内容")


class SearchOut(Schema):
    query: str = Field(description="查询内容（去掉首尾空白）")
    mode: str = Field(description="按 code（代码）或 name（名称）查询")
    total: int = Field(description="找到的条数（名称部分匹配最多计到 count_cap 条）")
    more: bool = Field(description="部分匹配超过 count_cap 条：实际多于 total（页面显示为“1,000+ 条”）")
    count_cap: int = Field(description="部分匹配的计数上限")
    page: int = Field(description="当前页码（超出范围时取最近的有效页）")
    pages: int = Field(description="总页数")
    page_size: int = Field(description="每页条数")
    results: list[HitOut] = Field(description="本页结果：代码完全一致、名称完全一致、曾用名完全一致的在前，其后为名称包含查询内容的")


OPENAPI_EXTRA = {"responses": {429: {"description": "访问过于频繁（按客户端限流，见响应头 Retry-After）"}}}


@router.get(
    "",
    response={200: SearchOut, **error_responses(422, 429)},
    url_name="search",
    summary="查询信用主体",
    description=(
        "按名称（任意连续两个字以上，现名称和曾用名）、统一社会信用代码或原登记代码（组织机构代码、工商注册号等）查询信用主体，"
        "结果分页，与网页 /search/ 相同。自然人仅在法律规定公开时（如失信被执行人）可按姓名查到，证件号码脱敏。"
        "查询内容为空（`query_required`）、只有一个字（`query_too_short`）、过长（`query_too_long`）、"
        "统一社会信用代码校验位错误（`uscc_invalid`，`fields.suggestion` 给出校验位正确且在平台上的代码）、"
        "公民身份号码（`id_number_not_searchable`）时返回 422。按客户端限流（429 `rate_limited`）。"
    ),
    openapi_extra=OPENAPI_EXTRA,
)
def search(
    request: HttpRequest,
    q: str = Query("", description="查询内容：名称的任意部分（至少两个字）、统一社会信用代码或原登记代码"),
    page: int = Query(1, ge=1, le=1_000_000, description="页码，从 1 开始"),
):
    allowed, retry_after = hit(request, "search")
    if not allowed:
        return too_many(request, retry_after, api=True)
    result = search_subjects(q, page=page)
    return {
        "query": result.query,
        "mode": result.mode,
        "total": result.total,
        "more": result.more,
        "count_cap": conf("COUNT_CAP"),
        "page": result.page,
        "pages": result.pages,
        "page_size": result.page_size,
        "results": [
            {
                "name": h.name, "kind": h.kind, "kind_label": h.kind_label, "code": h.code, "code_label": h.code_label,
                "region": h.region, "region_name": h.region_name, "status": h.status, "former_names": h.former_names,
                "url": h.url, "match": h.match,
            }
            for h in result.hits
        ],
    }
