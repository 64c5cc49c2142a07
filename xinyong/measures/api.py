"""The check (触发) and feedback (反馈) API of joint rewards and punishments, under /api/v1/checks.

Every operation needs a key with the scope "check"; the department is always the key's. A check
answers the measures the requesting department applies in the matter asked, each with its reasons
(list entries, evaluation grades) and legal basis, and the data version used; or an explicit
clean answer. Feedback reports what was applied in the case. docs/api.md has the examples.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from xinyong.api import error_responses, json_answer
from xinyong.common.errors import InvalidInput
from xinyong.ingestion.readers import RowProblem, open_table
from xinyong.security.auth import ApiKeyAuth, defer_write, request_actor

from . import services

router = Router(tags=["联合奖惩核查与反馈"], auth=ApiKeyAuth("check"))


# ------------------------------------------------------------------ schemas
class CheckIn(Schema):
    matter: str = Field(description="事项类型编码，如 tendering（招标采购）；见 docs/measures.md", examples=["tendering"])
    case_no: str = Field(description="本部门业务系统中的案件编号（办件号、项目编号），反馈时使用", examples=["CZ-ZB-2026-0415"])
    uscc: str | None = Field(None, description="统一社会信用代码（与 id_number 二者提供其一）", examples=["91220102AY4CL12T21"])
    id_number: str | None = Field(None, description="公民身份号码（与 uscc 二者提供其一；答复中只显示脱敏号码）")
    department: str | None = Field(None, description="核查部门编码；可省略，省略时为接口密钥所属部门，填写时须与之相同", examples=["220000-CZT"])


class CheckReasonOut(Schema):
    type: Literal["list", "grade"] = Field(description="list 名单记录；grade 信用评价等级")
    list_code: str | None = Field(description="名单编码（type 为 list 时）")
    list_name: str | None = Field(description="名单名称")
    list_kind: str | None = Field(description="名单类别：red 红名单、focus 重点关注、black 黑名单、sector 行业名单")
    entry: int | None = Field(description="名单条目编号")
    designating_department: str | None = Field(description="认定部门编码")
    designating_department_name: str | None = Field(description="认定部门名称")
    authority_level: str | None = Field(description="认定机关级别")
    listed_on: date | None = Field(description="列入日期")
    expires_on: date | None = Field(description="有效期至（空为长期）")
    entry_legal_basis: str | None = Field(description="列入的法律依据")
    basis_records: list[int] = Field(description="依据的信用记录编号（名单的列入依据，或计入评价等级的记录）")
    model: str | None = Field(description="评价模型编码（type 为 grade 时）")
    model_name: str | None = Field(description="评价模型名称")
    model_version: str | None = Field(description="评价模型版本")
    grade: str | None = Field(description="等级")
    grade_name: str | None = Field(description="等级名称")
    as_of: date | None = Field(description="评价基准日")


class CheckMeasureOut(Schema):
    code: str = Field(description="措施编码（全国基础清单，见 docs/measures.md）")
    name: str = Field(description="措施名称")
    kind: Literal["punishment", "incentive"] = Field(description="punishment 失信惩戒；incentive 守信激励")
    kind_label: str = Field(description="类别的中文名称")
    legal_basis: str = Field(description="实施措施的法律依据（措施清单）")
    national_basis: str = Field(description="全国基础清单中的出处")
    implementing_systems: list[str] = Field(description="实施部门（条线编码）")
    reasons: list[CheckReasonOut] = Field(description="触发原因：名单记录或评价等级（可有多项）")


class CheckSubjectOut(Schema):
    found: bool = Field(description="平台是否有该主体")
    uscc: str | None = Field(description="统一社会信用代码")
    id_number_masked: str | None = Field(description="公民身份号码（脱敏）")
    name: str | None = Field(description="名称（自然人姓名脱敏）")
    kind: str | None = Field(description="主体类型")


class CheckDataVersionOut(Schema):
    seq: int = Field(description="答复所依据的数据版本：变更流水位置")
    at: datetime | None = Field(description="该变更流水的时间（数据截至）")
    catalog_version: str = Field(description="措施清单版本")


class CheckOut(Schema):
    check: uuid.UUID = Field(description="核查编号（反馈时使用）")
    checked_at: datetime
    department: str = Field(description="核查部门编码")
    matter: str = Field(description="事项类型编码")
    matter_name: str = Field(description="事项类型名称")
    case_no: str = Field(description="案件编号")
    subject: CheckSubjectOut
    clean: bool = Field(description="true：没有适用的奖惩措施（明确的无记录答复）")
    conclusion: str = Field(description="结论（中文）")
    measures: list[CheckMeasureOut] = Field(description="适用的措施（本部门在本事项中实施的），按全国基础清单顺序")
    data_version: CheckDataVersionOut
    digest: str = Field(description="答复摘要（与审计记录一致）")


class BulkCheckIn(Schema):
    matter: str = Field(description="事项类型编码", examples=["tendering"])
    case_no: str = Field(description="案件编号（如招标项目编号）", examples=["CZ-ZB-2026-0415"])
    uscc: list[str] = Field(default_factory=list, description="统一社会信用代码数组")
    id_numbers: list[str] = Field(default_factory=list, description="公民身份号码数组")
    department: str | None = Field(None, description="核查部门编码；可省略（接口密钥所属部门）")


class BulkCheckResultOut(Schema):
    row: str = Field(description="该主体在请求中的位置：uscc[序号]、id_numbers[序号]，或文件的 row:行号")
    subject: CheckSubjectOut
    measures: list[CheckMeasureOut]


class CheckDuplicateOut(Schema):
    code: str = Field(description="重复的代码（公民身份号码脱敏）")
    rows: list[str] = Field(description="出现的位置（第一个被核查）")


class BulkCheckOut(Schema):
    bulk: uuid.UUID = Field(description="批量核查编号")
    checked_at: datetime
    department: str
    matter: str
    matter_name: str
    case_no: str
    total: int = Field(description="提交的代码条数")
    unique: int = Field(description="不重复的主体数")
    duplicates_count: int = Field(description="重复的条数（只核查一次）")
    not_found: int = Field(description="平台无记录的主体数（无适用措施）")
    with_measures: int = Field(description="有适用措施的主体数")
    clean: int = Field(description="没有适用措施的主体数")
    duplicates: list[CheckDuplicateOut] = Field(description=f"重复的代码（最多列出{services.DUPLICATES_SHOWN}个）")
    conclusion: str
    results: list[BulkCheckResultOut] = Field(description="有适用措施的主体及其措施；未列出的主体没有适用措施")
    data_version: CheckDataVersionOut
    digest: str


class CheckFeedbackItemIn(Schema):
    measure: str = Field(description="措施编码（须在该案件的核查答复中）", examples=["tendering_limit"])
    applied: bool = Field(description="是否已实施")
    outcome: str = Field(description="实施结果或未实施的原因", examples=["已取消其投标资格"])
    decided_on: date | None = Field(None, description="实施日期")


class CheckFeedbackIn(Schema):
    items: list[CheckFeedbackItemIn] = Field(min_length=1, description="各项措施的执行情况")


class CaseCheckFeedbackIn(CheckFeedbackIn):
    case_no: str = Field(description="核查时的案件编号", examples=["CZ-ZB-2026-0415"])
    uscc: str | None = Field(None, description="统一社会信用代码（与 id_number 二者提供其一）")
    id_number: str | None = Field(None, description="公民身份号码")


class CheckFeedbackItemOut(Schema):
    measure: str
    applied: bool
    outcome: str
    decided_on: date | None
    recorded_at: datetime = Field(description="首次报送的时间（重复报送时不变）")


class CheckFeedbackOut(Schema):
    department: str
    case_no: str
    items: list[CheckFeedbackItemOut]


# ------------------------------------------------------------------ operations
CHECK_ERRORS = error_responses(400, 401, 403, 413, 422)


@router.post(
    "",
    response={200: CheckOut, **CHECK_ERRORS},
    summary="核查一个主体（触发）",
    description=(
        "按主体（统一社会信用代码或公民身份号码）、事项类型和案件编号查询本部门应实施的联合奖惩措施。"
        "每项措施附触发原因（名单条目及其认定部门、列入日期、依据记录，或评价等级及模型版本）和法律依据；"
        "没有适用措施时 clean 为 true，并给出明确结论。每次核查都记入审计。"
        "错误：代码无效（invalid_code，422）、未知事项类型（unknown_matter，422）、超出本部门职责（matter_outside_remit，403）。"
    ),
    operation_id="check_create",
    # the nonce is stored with the check's audit rows and the request log, in one transaction
    auth=ApiKeyAuth("check", defer_nonce=True),
)
def check_create(request: HttpRequest, payload: CheckIn):
    department = services.requester_department(request.auth, payload.department)
    return json_answer(services.check_run(
        key=request.auth, department=department, matter_code=payload.matter, case_no=payload.case_no, uscc=payload.uscc, id_number=payload.id_number,
        defer=lambda write: defer_write(request, write),
    ))


@router.post(
    "/bulk",
    response={200: BulkCheckOut, **CHECK_ERRORS},
    summary="批量核查（JSON）",
    description=(
        "一次核查至多10万个主体（投标人名单、补贴对象筛查），代码放在 uscc 和 id_numbers 两个数组中。"
        "重复的代码只核查一次并在 duplicates 中列出；任何一个代码无效则整批不核查（invalid_codes，422，fields 列出位置和原因）；"
        "超过上限为 413（bulk_too_large）。答复只列出有适用措施的主体，其余主体没有适用措施。"
    ),
    operation_id="check_bulk",
)
def check_bulk(request: HttpRequest, payload: BulkCheckIn):
    department = services.requester_department(request.auth, payload.department)
    if len(payload.uscc) + len(payload.id_numbers) > services.bulk_limit():
        raise services.too_many(len(payload.uscc) + len(payload.id_numbers))
    entries = [("uscc", f"uscc[{i}]", v) for i, v in enumerate(payload.uscc)] + [("id_number", f"id_numbers[{i}]", v) for i, v in enumerate(payload.id_numbers)]
    return json_answer(services.bulk_run(key=request.auth, department=department, matter_code=payload.matter, case_no=payload.case_no, entries=entries))


USCC_HEADERS = {"uscc", "统一社会信用代码", "社会信用代码"}
ID_HEADERS = {"id_number", "公民身份号码", "身份证号码", "身份证号"}


def _file_entries(path: Path, filename: str):
    table = open_table(path, filename=filename)
    rows = table.rows()
    for row_no, row in rows:
        if isinstance(row, RowProblem):
            raise InvalidInput(f"第{row_no}行无法读取：{row.message}", code="invalid_codes", fields={f"row:{row_no}": row.message})
        uscc_col = next((h for h in table.headers if h.strip().lower() in USCC_HEADERS), None)
        id_col = next((h for h in table.headers if h.strip().lower() in ID_HEADERS), None)
        if uscc_col is None and id_col is None:
            raise InvalidInput("文件应有“统一社会信用代码”或“公民身份号码”列（表头）", code="missing_columns", fields={"file": "缺少代码列"})
        value_u = (row.get(uscc_col) or "").strip() if uscc_col else ""
        value_i = (row.get(id_col) or "").strip() if id_col else ""
        if value_u:
            yield ("uscc", f"row:{row_no}", value_u)
        elif value_i:
            yield ("id_number", f"row:{row_no}", value_i)
        else:
            yield ("uscc", f"row:{row_no}", "")


@router.post(
    "/bulk/file",
    response={200: BulkCheckOut, **CHECK_ERRORS},
    summary="批量核查（上传文件）",
    description=(
        "上传 CSV 或 XLSX 文件（表头含“统一社会信用代码”或“公民身份号码”列，每行一个主体），其余同 JSON 批量核查。"
        "位置以 row:行号 表示（表头为第1行）。"
    ),
    operation_id="check_bulk_file",
)
def check_bulk_file(
    request: HttpRequest,
    matter: Annotated[str, Form(description="事项类型编码")],
    case_no: Annotated[str, Form(description="案件编号")],
    file: Annotated[UploadedFile, File(description="代码文件（CSV / XLSX）")],
):
    department = services.requester_department(request.auth, None)
    name = file.name or "upload.csv"
    if hasattr(file, "temporary_file_path"):
        return json_answer(services.bulk_run(key=request.auth, department=department, matter_code=matter, case_no=case_no, entries=_file_entries(Path(file.temporary_file_path()), name), filename=name))
    import tempfile

    from django.conf import settings

    with tempfile.NamedTemporaryFile(prefix="check-upload-", suffix=Path(name).suffix[:10], dir=settings.FILE_UPLOAD_TEMP_DIR) as tmp:
        for chunk in file.chunks():
            tmp.write(chunk)
        tmp.flush()
        return json_answer(services.bulk_run(key=request.auth, department=department, matter_code=matter, case_no=case_no, entries=_file_entries(Path(tmp.name), name), filename=name))


FEEDBACK_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422)


@router.post(
    "/feedback",
    response={200: CheckFeedbackOut, **FEEDBACK_ERRORS},
    summary="按案件编号反馈措施执行情况",
    description=(
        "报送本部门在某案件中对某主体实施（或未实施）了哪些措施及结果；措施须在该案件的核查答复中（单个或批量核查）。"
        "按（部门、案件、主体、措施）幂等：重复报送相同内容返回首次的答复；报送不同内容为 409（feedback_conflict）。"
    ),
    operation_id="check_feedback_by_case",
)
def check_feedback_by_case(request: HttpRequest, payload: CaseCheckFeedbackIn):
    department = services.requester_department(request.auth, None)
    return services.feedback_submit(
        key=request.auth, department=department, items=[i.model_dump() for i in payload.items], case_no=payload.case_no,
        uscc=payload.uscc, id_number=payload.id_number, actor=request_actor(request),
    )


@router.post(
    "/{check}/feedback",
    response={200: CheckFeedbackOut, **FEEDBACK_ERRORS},
    summary="按核查编号反馈措施执行情况",
    description=(
        "对一次核查（POST /api/v1/checks 答复的 check）报送措施执行情况；规则同按案件编号反馈。"
        "找不到核查或核查不属于本部门为 404（unknown_check）。"
    ),
    operation_id="check_feedback",
)
def check_feedback(request: HttpRequest, check: uuid.UUID, payload: CheckFeedbackIn):
    department = services.requester_department(request.auth, None)
    return services.feedback_submit(key=request.auth, department=department, items=[i.model_dump() for i in payload.items], check_id=check, actor=request_actor(request))
