"""POST /api/v1/commitments: a department system records a commitment signed in its own system;
POST /api/v1/commitments/{code}/outcome: it records fulfilment or breach. A key with the scope
"ingest"; the accepting department is the key's. The same services and checks as the pages;
errors in the one error shape."""

from __future__ import annotations

from datetime import date
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from xinyong.api import error_responses
from xinyong.common.errors import InvalidInput, NotFound
from xinyong.security.auth import ApiKeyAuth, request_actor

from . import services
from .models import Commitment

router = Router(tags=["信用承诺"], auth=ApiKeyAuth("ingest"))


class CommitmentIn(Schema):
    subject: str = Field(description="承诺主体的统一社会信用代码或公民身份号码", examples=["91220102AY4CL12T21"])
    template: str = Field(description="承诺书范本编码（见 docs/catalog.md“信用承诺书范本”）", examples=["licensing.approval"])
    case_no: str = Field(description="办件编号（事项编号）", examples=["JL-XK-2026-0042"])
    statement: bool = Field(description="主体已阅读承诺书全文并签署（须为 true）")
    signed_on: date | None = Field(None, description="承诺日期；省略为当天；不得晚于当天")
    disclosure: Literal["public", "authorized", "internal"] | None = Field(None, description="公开类型；省略按范本")
    request_id: str | None = Field(None, max_length=64, description="本次请求的唯一编号：重放同一编号的请求被拒绝（409 replayed）")


class CommitmentOut(Schema):
    code: str = Field(description="承诺编码（6位行政区划码+8位日期+6位流水号）")
    subject: str = Field(description="承诺主体代码（自然人为部分隐去的身份号码）")
    template: str
    matter: str
    case_no: str
    department: str = Field(description="受理单位编码")
    signed_on: date
    valid_until: date | None = Field(description="有效期至；null 为长期")
    status: str = Field(description="履约状态：in_force 履约中、fulfilled 全部履约、partly 部分履约、breached 未履约")
    text_sha256: str = Field(description="承诺内容（签署时文本）的 SHA-256")
    breach_record: int | None = Field(None, description="违诺信用记录编号")
    focus_entry: int | None = Field(None, description="拟列入重点关注名单的条目编号")


class OutcomeIn(Schema):
    outcome: Literal["fulfilled", "partly", "breached"] = Field(description="全部履约、部分履约或违背承诺")
    facts: str = Field(description="事实", max_length=5000)
    document_no: str = Field("", description="认定文书号（违背承诺、部分履约时必填）", max_length=64)
    day: date | None = Field(None, description="认定日期；省略为当天")


def _out(c: Commitment) -> dict:
    return {
        "code": c.code, "subject": c.subject.display_code, "template": c.template, "matter": c.matter, "case_no": c.case_no,
        "department": c.department.code, "signed_on": c.signed_on, "valid_until": c.valid_until, "status": c.status,
        "text_sha256": c.text_sha256, "breach_record": c.breach_record_id, "focus_entry": c.focus_entry_id,
    }


def _subject(code: str):
    from xinyong.common.normalize import normalize_code
    from xinyong.subjects.identifiers import id_lookup_hash
    from xinyong.subjects.models import Subject

    code = normalize_code(code or "")
    subject = None
    if len(code) == 18:
        subject = Subject.objects.filter(uscc=code).first() or Subject.objects.filter(id_hash=id_lookup_hash(code)).first()
    if subject is None:
        raise InvalidInput("平台没有该统一社会信用代码或公民身份号码的信用主体", code="unknown_subject", fields={"subject": "未找到"})
    return subject


@router.post(
    "",
    response={201: CommitmentOut, **error_responses(400, 401, 403, 409, 413, 422)},
    summary="录入信用承诺",
    description=(
        "受理单位的业务系统录入主体在该系统中签署的信用承诺。按范本生成承诺内容并保存其 SHA-256；"
        "同一主体、事项和办件编号只能承诺一次（409 duplicate_commitment），重放同一 request_id 被拒绝（409 replayed）；"
        "未知范本（unknown_template）、本部门不受理的范本、未确认签署（statement 为 false）、非法的办件编号均为 422。"
    ),
    operation_id="commitment_create",
)
def commitment_create(request: HttpRequest, payload: CommitmentIn):
    key = request.auth
    subject = _subject(payload.subject)
    c = services.commitment_sign(
        subject=subject, template=payload.template, case_no=payload.case_no, department=key.department, statement=payload.statement,
        door="api", actor=request_actor(request), nonce=f"api:{key.id}:{payload.request_id}" if payload.request_id else None,
        disclosure=payload.disclosure, signed_on=payload.signed_on,
    )
    return Status(201, _out(c))


@router.post(
    "/{code}/outcome",
    response={200: CommitmentOut, **error_responses(400, 401, 403, 404, 409, 413, 422)},
    summary="记录履约或违背承诺",
    description=(
        "受理单位记录承诺的履约情况。违背承诺时，违诺信息经归集流程记入信用记录（信息项 commitment_breach.<条线>），"
        "范本规定的还依程序拟列入重点关注名单。只有受理单位可以记录（403 not_accepting_department）；已认定的承诺不能再次认定（409）。"
    ),
    operation_id="commitment_outcome",
)
def commitment_outcome(request: HttpRequest, code: str, payload: OutcomeIn):
    key = request.auth
    c = Commitment.objects.filter(code=code[:20]).first()
    if c is None:
        raise NotFound("信用承诺不存在", code="unknown_commitment")
    common = {"commitment_id": c.id, "department": key.department, "actor": request_actor(request), "facts": payload.facts,
              "document_no": payload.document_no, "day": payload.day}
    if payload.outcome == "breached":
        c = services.commitment_breach(api_key=key, door="api", **common)
    else:
        c = services.commitment_fulfil(partly=payload.outcome == "partly", **common)
    return Status(200, _out(c))
