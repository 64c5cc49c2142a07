"""The public credit file on the API: `GET /api/v1/subjects/{key}`.

The same data as the page `/subjects/...` (one selector, `portal.selectors.credit_file`), with the
same visibility rules and masking, the same answer for an unknown subject and for an individual
the law does not publish, and the same rate limit (scope "file"). No credentials needed.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from xinyong.api import error_responses
from xinyong.common.errors import NotFound
from xinyong.common.ratelimit import hit, too_many
from xinyong.evaluation import selectors as evaluation_selectors

from . import selectors

router = Router(tags=["信用档案"])


class FieldValueOut(Schema):
    name: str = Field(description="字段名")
    label: str = Field(description="字段中文名称（信息资源目录）")
    value: str = Field(description="公开的取值（敏感字段不公开；自然人姓名按规定脱敏）")


class FactOut(Schema):
    id: int = Field(description="记录标识")
    item_code: str = Field(description="信息项编码")
    item_name: str = Field(description="信息项名称")
    kind: str = Field(description="信息类别：licensing、penalty、honour、rating、enforcement、dishonest_debtor、misconduct、violation、commitment 等")
    nature: str = Field(description="性质：basic 基础、positive 良好、negative 不良、warning 提示")
    department_code: str = Field(description="信息来源部门编码")
    department: str = Field(description="信息来源部门")
    document_no_label: str
    document_no: str = Field(description="决定文书号")
    decided_on_label: str
    decided_on: date = Field(description="决定日期")
    valid_from: date | None = Field(description="有效期自")
    valid_until_label: str
    valid_until: str = Field(description="有效期至（日期、“长期”或空）")
    publish_until: date | None = Field(description="公示截止日期（含当日）；为空表示持续公示")
    severity: str = Field(description="失信严重程度（轻微、一般、严重；不适用时为空）")
    under_objection: bool = Field(description="异议处理中")
    fields: list[FieldValueOut] = Field(description="信息项的其他公开字段")


class SectionOut(Schema):
    key: str = Field(description="栏目：licensing、penalty、honour、dishonesty、enforcement、rating、commitment、other")
    title: str = Field(description="栏目名称")
    facts: list[FactOut]


class MembershipOut(Schema):
    id: int
    list_code: str = Field(description="名单编码")
    list_name: str = Field(description="名单名称")
    list_kind: str = Field(description="名单类别")
    listed_on: date | None = Field(description="列入日期")
    expires_on: date | None = Field(description="有效期至")
    department: str = Field(description="认定部门")
    document_no: str = Field(description="依据的决定文书号")
    basis_record_id: int | None = Field(description="依据的信用记录标识")
    reason: str = Field(description="列入理由")


class BasicsOut(Schema):
    name: str = Field(description="名称（自然人：依法公开的姓名）")
    is_individual: bool
    code_label: str
    code: str = Field(description="统一社会信用代码；自然人为脱敏的公民身份号码（220102********1234）")
    kind: str
    kind_label: str = Field(description="主体类型")
    region: str = Field(description="行政区划代码")
    region_name: str
    status: str = Field(description="登记状态")
    legal_rep: str = Field(description="法定代表人（负责人）")
    established: date | None = Field(description="成立日期")
    registration_authority: str = Field(description="登记机关")
    address: str = Field(description="住所")
    former_names: list[str] = Field(description="曾用名")
    extra: list[FieldValueOut] = Field(description="登记注册信息的其他公开字段")
    source_department: str = Field(description="登记信息来源部门")
    source_decided_on: date | None


class GradeRecordOut(Schema):
    record_id: int
    item: str = Field(description="信息项")
    department: str = Field(description="信息来源部门")
    document_no: str = Field(description="决定文书号")
    decided_on: date | None = Field(description="决定日期")
    points: float = Field(description="计分（已按年限衰减，未按上下限截取）")
    under_objection: bool = Field(description="异议处理中")


class GradeIndicatorOut(Schema):
    code: str
    name: str
    points: float = Field(description="指标得分（按上下限截取后）")
    records: list[GradeRecordOut] = Field(description="计分的公开信息")


class GradeDimensionOut(Schema):
    code: str
    name: str
    points: float = Field(description="维度得分（按上下限截取后）")
    indicators: list[GradeIndicatorOut]


class GradeOut(Schema):
    model: str = Field(description="评价模型代码")
    model_name: str = Field(description="评价模型名称")
    model_version: str = Field(description="模型版本")
    grade: str = Field(description="等级")
    grade_name: str = Field(description="等级名称")
    score: float = Field(description="得分")
    as_of: date = Field(description="评价基准日")
    since: datetime = Field(description="本等级生效时间")
    override_reason: str = Field(description="等级调整原因（如列入失信被执行人名单）；无调整时为空")
    withheld_records: int = Field(description="参与计分但依法不予公开、不逐条列出的信息条数")
    dimensions: list[GradeDimensionOut]


class CreditFileOut(Schema):
    key: str = Field(description="档案标识：统一社会信用代码，或自然人的 p-<公开标识>")
    url: str = Field(description="信用档案页面地址")
    day: date = Field(description="按该日的公示期判断可见性")
    data_as_of: datetime | None = Field(description="数据更新至")
    basics: BasicsOut
    sections: list[SectionOut]
    memberships: list[MembershipOut] = Field(description="所在的信用名单")
    objections: int = Field(description="异议处理中的信息条数")
    facts_total: int = Field(description="公示中的信息条数（不含登记注册信息）")
    evaluations: list[GradeOut] = Field(default_factory=list, description="公共信用综合评价的当前等级及其依据（法人和非法人组织）")


RESPONSES = {200: CreditFileOut, **error_responses(404, 429)}
OPENAPI_EXTRA = {"responses": {429: {"description": "访问过于频繁（按客户端限流，见响应头 Retry-After）"}}}


@router.get(
    "/{key}",
    response=RESPONSES,
    summary="信用主体的公开信用档案",
    description=(
        "按统一社会信用代码（法人和非法人组织）或 `p-<公开标识>`（依法公开的自然人）返回信用档案：登记注册基本信息、"
        "行政许可与行政处罚（双公示）、表彰荣誉、失信信息、司法执行、信用评价、信用承诺和所在名单。"
        "只包括公开类、状态有效且在公示期内的信息，与网页 /subjects/... 完全一致；个人信息按规定脱敏。"
        "未知的主体与不公开的自然人一律返回 404 `subject_not_found`。按客户端限流（429 `rate_limited`）。"
    ),
    openapi_extra=OPENAPI_EXTRA,
)
def subject_file(request: HttpRequest, key: str):
    allowed, retry_after = hit(request, "file")
    if not allowed:
        return too_many(request, retry_after, api=True)
    subject = selectors.public_subject(key)
    if subject is None:
        raise NotFound("未找到该信用主体的公开信用档案", code="subject_not_found")
    credit_file = selectors.credit_file(subject)
    data = credit_file.as_dict()
    data["evaluations"] = [] if subject.is_individual else [g.as_dict() for g in evaluation_selectors.public_grades(subject.id, day=credit_file.day)]
    return data
