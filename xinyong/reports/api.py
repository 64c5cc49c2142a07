"""Credit reports on the API (mounted at /api/v1/reports): issue a report, verify a report.

No credentials: anyone may issue an organization's report or verify one, as on the site, with
the same per-client limits (scopes "report" and "verify") and the same answers.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Annotated, Literal

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from xinyong.api import error_responses
from xinyong.common.errors import InvalidInput, NotFound, PayloadTooLarge
from xinyong.common.ratelimit import client_id, hit, too_many
from xinyong.portal import selectors as portal_selectors

from . import selectors, services
from .codes import show_code, show_number
from .views import site_url

router = Router(tags=["信用报告"])

RATE_LIMITED = {429: {"description": "访问过于频繁（按客户端限流，见响应头 Retry-After）"}}


class SubjectOut(Schema):
    name: str = Field(description="主体名称")
    code: str = Field(description="统一社会信用代码")


class ReportIn(Schema):
    subject: str = Field(max_length=40, description="法人或非法人组织的统一社会信用代码", examples=["91220102MA0XXXXXXX"])


class ReportIssuedOut(Schema):
    number: str = Field(description="报告编号（与报告上印的一致），如 JL-20261129-7K3MQ-9X24B")
    verification_code: str = Field(description="验证码（印在报告上；平台只保存其摘要，不能再次查询）")
    issued_at: datetime = Field(description="出具时间")
    as_of: date = Field(description="按该日的公示期确定报告内容")
    subject: SubjectOut
    facts: int = Field(description="报告载明的公示中信息条数（不含登记注册信息）")
    pages: int = Field(description="PDF 页数")
    content_sha256: str = Field(description="报告内容快照（规范化 JSON）的 SHA-256")
    pdf_sha256: str = Field(description="PDF 文件的 SHA-256")
    verify_url: str = Field(description="核验地址（即报告二维码的内容）")
    filename: str = Field(description="建议的文件名")
    pdf_base64: str = Field(description="PDF 文件（Base64 编码）")


class VerificationOut(Schema):
    result: Literal["genuine", "file_altered"] = Field(description="genuine 报告真实（上传了文件时：文件与原件一致）；file_altered 报告编号和验证码相符，但上传的文件与原件不一致")
    message: str = Field(description="中文结论")
    number: str = Field(description="报告编号")
    issued_at: datetime = Field(description="出具时间")
    as_of: date = Field(description="按该日的公示期确定报告内容")
    subject: SubjectOut
    pages: int = Field(description="PDF 页数")
    content_sha256: str = Field(description="报告内容快照的 SHA-256")
    pdf_sha256: str = Field(description="平台出具的 PDF 文件的 SHA-256")
    file_checked: bool = Field(description="是否核验了上传的文件")
    file_sha256: str | None = Field(description="上传文件的 SHA-256（未上传时为 null）")
    content: dict = Field(description="报告内容：平台留存的快照（出具时点的公开信用档案，字段同 GET /api/v1/subjects/{key}），不随此后的信息变化而变化")


@router.post(
    "",
    response={201: ReportIssuedOut, **error_responses(400, 404, 413, 422, 429)},
    summary="出具公共信用信息报告",
    description=(
        "为法人或非法人组织出具公共信用信息报告（PDF，Base64 编码在 pdf_base64 中）：出具时点该主体的公开信用档案，"
        "与网页 /subjects/{统一社会信用代码}/ 一致；报告有唯一编号、出具时间、验证码和指向核验页面的二维码。"
        "平台留存内容快照及其摘要、PDF 摘要，不留存 PDF 本身。未知主体返回 404 `subject_not_found`；"
        "自然人不出具（422 `report_not_for_individuals`）。按客户端限流（429 `rate_limited`）。"
    ),
    openapi_extra={"responses": RATE_LIMITED},
)
def report_create(request: HttpRequest, payload: ReportIn):
    allowed, retry_after = hit(request, "report")
    if not allowed:
        return too_many(request, retry_after, api=True)
    key = payload.subject.strip()
    if key[:2].lower() == portal_selectors.PERSON_KEY_PREFIX:
        raise services.NotForIndividuals(services.NOT_FOR_INDIVIDUALS, fields={"subject": "只为法人和非法人组织出具"})
    subject = portal_selectors.public_organization(key)
    if subject is None:
        raise NotFound("未找到该统一社会信用代码对应的信用主体", code="subject_not_found", fields={"subject": "未找到"})
    issued = services.report_issue(subject=subject, actor=services.public_actor("api"), requester=client_id(request), door="api", site_url=site_url(request))
    report = issued.report
    verify_url, _ = services.verify_links(site_url(request), report.number, issued.code)
    return Status(
        201,
        {
            "number": show_number(report.number),
            "verification_code": show_code(issued.code),
            "issued_at": report.issued_at,
            "as_of": report.as_of,
            "subject": {"name": subject.name, "code": subject.uscc},
            "facts": report.facts,
            "pages": report.pages,
            "content_sha256": report.content_sha256,
            "pdf_sha256": report.pdf_sha256,
            "verify_url": verify_url,
            "filename": issued.filename,
            "pdf_base64": base64.b64encode(issued.pdf).decode("ascii"),
        },
    )


def _verification(request: HttpRequest, number: str, code: str, data: bytes | None):
    allowed, retry_after = hit(request, "verify")
    if not allowed:
        return too_many(request, retry_after, api=True)
    result = selectors.report_verify(number=number, code=code, pdf=data)
    if result.outcome == "invalid":
        raise InvalidInput(result.message, code="invalid_report_number", fields={"number": "形如 JL-20261129-7K3MQ-9X24B", "code": "形如 K7M3-Q9X2"})
    if result.outcome == "not_found":
        raise NotFound(result.message, code="report_not_found")
    report = result.report
    content = result.content
    return {
        "result": result.outcome,
        "message": result.message,
        "number": show_number(report.number),
        "issued_at": report.issued_at,
        "as_of": report.as_of,
        "subject": {"name": content["file"]["basics"]["name"], "code": content["file"]["basics"]["code"]},
        "pages": report.pages,
        "content_sha256": report.content_sha256,
        "pdf_sha256": report.pdf_sha256,
        "file_checked": result.file_checked,
        "file_sha256": result.file_sha256 or None,
        "content": content,
    }


VERIFY_DESCRIPTION = (
    "核验报告是否由平台出具：报告编号和验证码须与平台记录相符（未知编号与错误验证码的答复相同：404 `report_not_found`）。"
    "相符时返回报告的出具时间、摘要和平台留存的报告内容（出具时点的快照，即使其中的信息此后被撤销或停止公示）。"
    "编号或验证码格式不对返回 422 `invalid_report_number`。按客户端限流（429 `rate_limited`）。"
)


@router.get(
    "/verify",
    response={200: VerificationOut, **error_responses(404, 422, 429)},
    summary="核验信用报告（编号和验证码）",
    description=VERIFY_DESCRIPTION,
    openapi_extra={"responses": RATE_LIMITED},
)
def report_verify_get(
    request: HttpRequest,
    number: str = Query(..., max_length=60, description="报告编号，如 JL-20261129-7K3MQ-9X24B（大小写、空格、连字符不限）"),
    code: str = Query(..., max_length=30, description="验证码，如 K7M3-Q9X2"),
):
    return _verification(request, number, code, None)


@router.post(
    "/verify",
    response={200: VerificationOut, **error_responses(404, 413, 422, 429)},
    summary="核验信用报告及其 PDF 文件",
    description=(
        VERIFY_DESCRIPTION
        + "\n\n以 multipart/form-data 提交 number、code 和（可选的）报告 PDF 文件 file：文件的 SHA-256 须与平台出具时记录的一致，"
        "改动任何一个字节都会得到 result = file_altered。文件上限 `XINYONG_REPORT_VERIFY_MAX_KB`（413 `report_file_too_large`）。"
    ),
    openapi_extra={"responses": RATE_LIMITED},
)
def report_verify_post(
    request: HttpRequest,
    number: Annotated[str, Form(max_length=60, description="报告编号")],
    code: Annotated[str, Form(max_length=30, description="验证码")],
    file: Annotated[UploadedFile | None, File(description="报告的 PDF 文件（可选）")] = None,
):
    data = None
    if file is not None:
        limit_kb = settings.XINYONG["REPORTS"]["VERIFY_MAX_KB"]
        if file.size > limit_kb * 1024:
            raise PayloadTooLarge(f"文件过大：信用报告的 PDF 文件不超过 {limit_kb // 1024} MB", code="report_file_too_large", fields={"file": "过大"})
        data = b"".join(file.chunks())
    return _verification(request, number, code, data)
