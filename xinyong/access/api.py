"""The query API of department systems: a subject's records under the access rule.

    GET  /api/v1/subjects/{code}/records?purpose=licensing&details=...   (USCC in the path)
    POST /api/v1/subjects/records/query  {"id_number": ..., "purpose": ..., "details": ...}

A key with the scope "query" acts for its department: the same rule as the page /dept/query/
(`access.selectors.visible_records` through `services.records_query`), the same audit entries
(actor = the key), the same answer for an unknown subject and for an individual of whom the
department may see nothing (404 subject_not_found). An individual's ID number never goes in a
URL (URLs are logged): individuals are queried with the POST form.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from xinyong.api import error_responses
from xinyong.common.errors import InvalidInput
from xinyong.security.auth import ApiKeyAuth, request_actor
from xinyong.subjects.identifiers import InvalidCode, clean_id_number, clean_uscc, id_lookup_hash

from . import selectors, services

router = Router(tags=["信用信息查询（分级授权）"], auth=ApiKeyAuth("query"))


class AccessQueryParams(Schema):
    purpose: str = Field(description="查询用途编码（access/definitions/purposes.yaml，见 docs/api.md）", examples=["licensing"], max_length=40)
    details: str = Field("", description="用途说明（案件编号、事项等；用途为 other 时必填）", max_length=150)


class AccessQueryIn(AccessQueryParams):
    id_number: str = Field(description="公民身份号码（18位）", max_length=40)


class AccessFieldOut(Schema):
    label: str
    value: str


class AccessRecordOut(Schema):
    id: int = Field(description="记录标识")
    item_code: str = Field(description="信息项编码")
    item_name: str = Field(description="信息项名称")
    disclosure: str = Field(description="公开属性：public 公开、authorized 授权查询、internal 内部")
    basis: str = Field(description="查看依据：public、source（本部门报送）、right（查询权限）、consent（信息主体授权）、grant（特殊查询申请）")
    basis_id: int | None = Field(description="所依据的查询权限、授权或申请的编号")
    department: str = Field(description="信息来源部门")
    document_no: str
    decided_on: date
    publish_until: date | None
    fields: list[AccessFieldOut] = Field(description="信息项的非敏感字段")


class AccessRecordsOut(Schema):
    subject_name: str = Field(description="名称（自然人脱敏）")
    subject_code: str = Field(description="统一社会信用代码；自然人为脱敏的公民身份号码")
    day: date = Field(description="查询日")
    purpose: str = Field(description="记录在审计日志中的查询用途")
    records: list[AccessRecordOut]
    withheld: dict[str, int] = Field(description="无权查看、未列出的记录条数（按公开属性：authorized、internal）")
    withheld_message: str = Field(description="未列出记录的中文说明（没有时为空）")


ERRORS = error_responses(401, 403, 404, 422)
POST_ERRORS = error_responses(400, 401, 403, 404, 413, 422)  # a body: malformed or too large


def _answer(request: HttpRequest, subject, params: AccessQueryParams) -> dict:
    purpose = services.purpose_text(code=params.purpose, details=params.details)
    key = request.auth
    access = services.records_query(viewer=selectors.Viewer.of_department(key.department_id), subject=subject, purpose=purpose, actor=request_actor(request))
    withheld = {k: v for k, v in access.withheld.items() if v}
    notes = []
    if withheld.get("authorized"):
        notes.append(f"另有 {withheld['authorized']} 条授权查询信息，需查询权限或信息主体授权")
    if withheld.get("internal"):
        notes.append(f"另有 {withheld['internal']} 条内部信息，仅限报送部门和信用中心查看")
    return {
        "subject_name": subject.display_name,
        "subject_code": subject.display_code,
        "day": access.day,
        "purpose": purpose,
        "records": [
            {
                "id": s.record.pk, "item_code": s.record.item_code, "item_name": selectors.item_label(s.record.item_code),
                "disclosure": s.record.disclosure, "basis": s.basis.type, "basis_id": s.basis.id,
                "department": s.record.department.name, "document_no": s.record.document_no, "decided_on": s.record.decided_on,
                "publish_until": s.record.publish_until, "fields": [{"label": lb, "value": v} for lb, v in selectors.record_fields(s.record)],
            }
            for s in access.shown
        ],
        "withheld": withheld,
        "withheld_message": "；".join(notes),
    }


@router.get(
    "/{code}/records",
    response={200: AccessRecordsOut, **ERRORS},
    summary="查询法人和非法人组织的信用信息（按查询权限）",
    description=(
        "按统一社会信用代码查询主体在查询日有效的信用记录：公开信息，以及本部门凭查询权限、信息主体授权或经批准的特殊查询申请可查看的"
        "授权查询类信息、本部门报送的内部信息。每条记录注明公开属性和查看依据；无权查看的记录只计数（withheld）。"
        "须说明查询用途（purpose）。每次查看非公开信息都记入审计日志，信息主体可在其账户中查看。"
        "自然人请用 POST /api/v1/subjects/records/query（公民身份号码不放在地址中）。"
    ),
    operation_id="subject_records",
)
def subject_records(request: HttpRequest, code: str, params: Query[AccessQueryParams]):
    from xinyong.subjects.models import Subject

    if len(code) > 40:
        raise InvalidInput("统一社会信用代码无效", code="invalid_code", fields={"code": "过长"})
    try:
        uscc = clean_uscc(code)
    except InvalidCode as exc:
        raise InvalidInput(f"{exc}（自然人请用 POST /api/v1/subjects/records/query）", code="invalid_code", fields={"code": str(exc)}) from None
    return _answer(request, Subject.objects.filter(uscc=uscc).first(), params)


@router.post(
    "/records/query",
    response={200: AccessRecordsOut, **POST_ERRORS},
    summary="查询自然人的信用信息（按查询权限或授权）",
    description=(
        "按公民身份号码（放在请求体中）查询自然人在查询日有效的信用记录，规则同上。没有可查看的信息时，与平台没有该自然人一样返回 404"
        "（subject_not_found），不透露其是否存在。"
    ),
    operation_id="subject_records_query",
)
def subject_records_query(request: HttpRequest, payload: AccessQueryIn):
    from xinyong.subjects.models import Subject

    try:
        number = clean_id_number(payload.id_number)
    except InvalidCode as exc:
        raise InvalidInput(str(exc), code="invalid_code", fields={"id_number": str(exc)}) from None
    return _answer(request, Subject.objects.filter(id_hash=id_lookup_hash(number)).first(), payload)
