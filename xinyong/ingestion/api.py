"""The API door of ingestion: department systems submit files or JSON records, then follow their
batches. Both submissions go through `batch_submit`, the one pipeline of every door.

Mounted under /api/v1/batches. Every operation needs a key with the scope "ingest"; the
department is always the key's department, and a department sees only its own batches.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from xinyong.api import error_responses
from xinyong.common.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge, XinyongError
from xinyong.security.auth import ApiKeyAuth, request_actor
from xinyong.security.services import audit_log

from . import selectors
from .errorfile import error_file_checked
from .models import Batch
from .pipeline import read_progress
from .services import batch_submit

log = logging.getLogger("xinyong.ingestion")
router = Router(tags=["报送批次（归集）"], auth=ApiKeyAuth("ingest"))

Mode = Literal["submit", "correct", "withdraw"]
MODE_HELP = "报送方式：submit 报送（默认）、correct 更正、withdraw 撤销（每条记录须有“撤销原因”）"
ROW_ERRORS_SHOWN = 100


# ------------------------------------------------------------------ schemas
class BatchOut(Schema):
    batch: uuid.UUID = Field(description="批次标识（用于查询进度和结果）")
    batch_no: int = Field(description="批次号（平台内编号，与信用中心沟通时使用）")
    status: Literal["queued", "running", "succeeded", "failed"] = Field(description="queued 排队中、running 处理中、succeeded 已完成、failed 失败（整批未保存）")
    status_label: str = Field(description="状态的中文名称")
    department: str = Field(description="报送部门编码")
    item: str = Field(description="信息项编码")
    mode: Mode = Field(description=MODE_HELP)
    door: str = Field(description="渠道：api 接口、web 网页上传、cli 命令行")
    filename: str = Field(description="文件名（JSON 记录提交时为 records.ndjson）")
    format: str = Field(description="识别出的文件格式：csv、xlsx、json、ndjson")
    encoding: str = Field(description="识别出的文本编码")
    total: int = Field(description="数据行（记录）总数")
    accepted: int = Field(description="接收入库（新增、更正或撤销）的行数")
    rejected: int = Field(description="拒收的行数（原因见 row_errors 或拒收行文件）")
    unchanged: int = Field(description="与已入库记录完全相同、未重复入库的行数")
    to_review: int = Field(description="主体只有名称且无法唯一确定、转人工关联的行数")
    errors_url: str | None = Field(description="拒收行文件（CSV）的下载地址；没有拒收行时为 null")
    message: str | None = Field(description="批次失败时的中文原因")
    code: str | None = Field(description="批次失败时的错误代码")
    warnings: list[str] = Field(description="提示（如被忽略的未识别列）")
    duplicate_of: uuid.UUID | None = Field(description="内容完全相同的文件此前已成功报送时，那个批次的标识")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str = Field(description="本批次的查询地址")


class RowErrorOut(Schema):
    row: int = Field(description="行号：CSV/XLSX 为表格中的行号（表头为第1行）；JSON 为第几条记录")
    field: str = Field(description="出错的字段（中文列名）；整行的问题为空")
    message: str = Field(description="中文原因")


class BatchDetailOut(BatchOut):
    progress: dict = Field(description="处理进度：已处理行数 total、accepted、rejected 等；final 为 true 表示处理完毕")
    row_errors: list[RowErrorOut] = Field(description=f"最先的拒收原因（最多{ROW_ERRORS_SHOWN}条；全部见拒收行文件）")
    row_errors_truncated: bool = Field(description="拒收原因多于这里列出的条数")


class BatchPage(Schema):
    count: int = Field(description="符合条件的批次总数")
    page: int
    page_size: int
    items: list[BatchOut]


class RecordsIn(Schema):
    item: str = Field(description="信息项编码，如 penalty.gsj（见 GET /api/v1/catalog/items）", examples=["penalty.gsj"])
    mode: Mode = Field("submit", description=MODE_HELP)
    records: list[dict[str, Any]] = Field(
        min_length=1,
        description="记录数组。每条记录是一个对象，键为字段名（如 uscc）或中文列名（如 统一社会信用代码），值为字符串、数字或 null",
        examples=[[{"行政相对人名称": "长春市某某商贸有限公司", "统一社会信用代码": "91220102AY4CL12T21", "处罚决定日期": "2026-03-02"}]],
    )


# ------------------------------------------------------------------ helpers
def _batch_url(batch: Batch) -> str:
    return reverse("api:batch_detail", kwargs={"batch": str(batch.public_id)})


def _batch_out(batch: Batch) -> dict:
    return {
        "batch": batch.public_id,
        "batch_no": batch.id,
        "status": batch.status,
        "status_label": batch.get_status_display(),
        "department": batch.department.code,
        "item": batch.item_code,
        "mode": batch.mode,
        "door": batch.door,
        "filename": batch.filename,
        "format": batch.format,
        "encoding": batch.encoding,
        "total": batch.total_rows,
        "accepted": batch.accepted,
        "rejected": batch.rejected,
        "unchanged": batch.unchanged,
        "to_review": batch.to_review,
        "errors_url": reverse("api:batch_errors", kwargs={"batch": str(batch.public_id)}) if batch.error_file else None,
        "message": batch.message or None,
        "code": batch.error_code or None,
        "warnings": batch.warnings or [],
        "duplicate_of": batch.duplicate_of.public_id if batch.duplicate_of_id else None,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "url": _batch_url(batch),
    }


def _scope(request: HttpRequest) -> selectors.Scope:
    """A department system sees what an operator of its department sees."""
    return selectors.Scope(department=request.auth.department, staff=False)


def _own_batch(request: HttpRequest, batch: str) -> Batch:
    """The key's department's batch; another department's batch is 'not found', like a missing one."""
    try:
        return selectors.batch_list(_scope(request)).select_related("duplicate_of").get(public_id=uuid.UUID(str(batch)))
    except (ValueError, Batch.DoesNotExist):
        raise NotFound(f"找不到批次“{str(batch)[:40]}”（或不属于本部门）", code="batch_not_found") from None


def _submit(request: HttpRequest, response: HttpResponse, *, item: str, mode: str, path: Path, filename: str):
    key = request.auth
    try:
        batch = batch_submit(
            department=key.department, item_code=item, path=path, filename=filename, door="api",
            actor=request_actor(request), mode=mode, copy=True, api_key=key,
        )
    except NotFound as exc:
        if exc.code == "unknown_item":  # the URL exists; a value in the request is wrong
            raise InvalidInput(exc.message, code=exc.code, fields={"item": "未知的信息项编码"}) from None
        raise
    batch = Batch.objects.select_related("department", "duplicate_of").get(pk=batch.pk)
    if batch.status == "failed":
        status = {"conflict": 409, "internal_error": 500}.get(batch.error_code, 422)
        message = batch.message if status != 500 else "处理中断，本批次未保存任何数据，请重新提交；如多次失败请联系信用中心"
        err = XinyongError(message, code=batch.error_code or "file_rejected")
        err.status = status
        raise err
    response["Location"] = _batch_url(batch)
    return Status(201 if batch.done else 202, _batch_out(batch))


SUBMIT_RESPONSES = {201: BatchOut, 202: BatchOut, **error_responses(400, 401, 403, 409, 413, 422)}


# ------------------------------------------------------------------ operations
@router.post(
    "/records",
    response=SUBMIT_RESPONSES,
    url_name="batch_records",
    summary="以 JSON 提交一批记录",
    description=(
        "部门业务系统的定时任务（如每晚）以 JSON 提交当天的决定，不必生成文件。记录与文件走同一条处理流程："
        "逐条按目录校验，合格的入库，不合格的拒收并给出行号（第几条记录）、字段和中文原因。\n\n"
        "每次最多 `XINYONG_API_MAX_RECORDS` 条（默认 50,000 条，超过返回 413 `too_many_records`）。"
        "重复提交相同的记录不会重复入库（计入 unchanged）。\n\n"
        "处理完成返回 201 和批次结果；记录较多转为后台处理时返回 202（status 为 queued），按 Location 查询进度。"
    ),
)
def batch_records(request: HttpRequest, response: HttpResponse, payload: RecordsIn):
    limit = settings.XINYONG["API_MAX_RECORDS"]
    if len(payload.records) > limit:
        raise PayloadTooLarge(
            f"一次最多提交{limit:,}条记录，本次{len(payload.records):,}条；请分批提交",
            code="too_many_records",
            fields={"records": f"最多{limit}条"},
        )
    fd, name = tempfile.mkstemp(prefix="api-records-", suffix=".ndjson", dir=settings.FILE_UPLOAD_TEMP_DIR)
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for record in payload.records:
                fh.write(json.dumps(record, ensure_ascii=False, default=str))
                fh.write("\n")
        return _submit(request, response, item=payload.item, mode=payload.mode, path=path, filename="records.ndjson")
    finally:
        path.unlink(missing_ok=True)


@router.post(
    "",
    response=SUBMIT_RESPONSES,
    url_name="batch_submit",
    summary="上传文件报送一个批次",
    description=(
        "multipart/form-data 上传一个文件：CSV（UTF-8，带或不带 BOM；GBK/GB18030 自动识别）、XLSX、JSON（对象数组）或 NDJSON。"
        "报送部门即密钥所属部门；信息项须由本部门负责报送（一数一源），否则返回 403 `not_item_owner`。\n\n"
        "处理完成返回 201 和批次结果（接收、拒收、未变化的行数）；大文件转为后台处理时返回 202（status 为 queued），"
        "按 Location 查询进度。文件整体无法处理（如扩展名为 .xlsx 但内容不是 XLSX、缺少必填列、编码无法识别）返回 422，"
        "不保存任何数据。同一文件重复上传不会重复入库。"
    ),
)
def batch_create(
    request: HttpRequest,
    response: HttpResponse,
    item: Annotated[str, Form(description="信息项编码，如 penalty.gsj")],
    file: Annotated[UploadedFile, File(description="数据文件（CSV / XLSX / JSON / NDJSON）")],
    mode: Annotated[Mode, Form(description=MODE_HELP)] = "submit",
):
    if hasattr(file, "temporary_file_path"):
        return _submit(request, response, item=item, mode=mode, path=Path(file.temporary_file_path()), filename=file.name or "upload")
    # small uploads kept in memory (if the upload handlers are configured so): spool to disk
    suffix = Path(file.name or "").suffix[:10]
    fd, name = tempfile.mkstemp(prefix="api-upload-", suffix=suffix, dir=settings.FILE_UPLOAD_TEMP_DIR)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in file.chunks():
                fh.write(chunk)
        return _submit(request, response, item=item, mode=mode, path=path, filename=file.name or "upload")
    finally:
        path.unlink(missing_ok=True)


@router.get(
    "",
    response={200: BatchPage, **error_responses(401, 403, 422)},
    url_name="batch_list",
    summary="本部门的报送批次",
    description="按时间倒序列出密钥所属部门的批次（各渠道），可按信息项和状态筛选，分页。",
)
def batch_list(
    request: HttpRequest,
    item: str | None = Query(None, description="只看这个信息项"),
    status: Literal["queued", "running", "succeeded", "failed"] | None = Query(None, description="只看这个状态"),
    page: int = Query(1, ge=1, description="页码，从 1 开始"),
    page_size: int = Query(50, ge=1, le=200, description="每页条数（1–200）"),
):
    batches = selectors.batch_list(_scope(request), item_code=item, status=status).select_related("duplicate_of")
    start = (page - 1) * page_size
    return {"count": batches.count(), "page": page, "page_size": page_size, "items": [_batch_out(b) for b in batches[start : start + page_size]]}


@router.get(
    "/{batch}",
    response={200: BatchDetailOut, **error_responses(401, 403, 404)},
    url_name="batch_detail",
    summary="批次结果与进度",
    description="批次的状态、计数、处理进度和最先的拒收原因。其他部门的批次返回 404。",
)
def batch_detail(request: HttpRequest, batch: str):
    found = _own_batch(request, batch)
    errors = selectors.batch_row_errors(found, limit=ROW_ERRORS_SHOWN + 1)
    out = _batch_out(found)
    out["progress"] = read_progress(found)
    shown = errors[:ROW_ERRORS_SHOWN]
    out["row_errors"] = [{"row": e.row_no, "field": e.field, "message": e.message} for e in shown]
    out["row_errors_truncated"] = len(errors) > ROW_ERRORS_SHOWN or found.rejected > len({e.row_no for e in shown})
    return out


@router.get(
    "/{batch}/errors",
    response=error_responses(401, 403, 404, 409),
    url_name="batch_errors",
    summary="下载拒收行文件（CSV）",
    description=(
        "拒收的行及其行号、错误字段和中文原因（UTF-8 带 BOM 的 CSV，可直接用 Excel 打开，修改后可作为新批次重新上传，"
        "【...】列会被忽略）。拒收行可能含个人信息，每次下载都记入审计日志。"
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "拒收行文件",
                "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def batch_errors(request: HttpRequest, batch: str):
    found = _own_batch(request, batch)
    if not found.done:
        raise Conflict("批次尚未处理完成，请稍后再下载拒收行文件", code="batch_pending")
    path = found.error_path
    if path is None or not path.is_file():
        raise NotFound("本批次没有拒收行" if not found.rejected else "拒收行文件已不存在（已超过保存期限）", code="no_row_errors")
    size, chunks = error_file_checked(path)  # read through first: a damaged file is an error (file_damaged, 500), not a cut download
    audit_log(actor=request_actor(request), action="batch.errors.read", object_type="batch", object_id=found.id, purpose="下载拒收行文件")
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")  # decrypted (errorfile.py)
    response["Content-Length"] = str(size)
    response["Content-Disposition"] = content_disposition_header(True, f"批次{found.id}-{found.item_code}-拒收行.csv")
    return response
