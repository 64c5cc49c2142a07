"""POST /api/v1/annual-reports: a department system (the market supervision registration system)
files an enterprise's annual report, e.g. one received on paper. A key with the scope "ingest"
of a market supervision department (system GSJ); the door is "api", the department the key's.
The same service and the same checks as the portal; errors in the one error shape."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from xinyong.api import error_responses
from xinyong.common.errors import Forbidden, NotFound
from xinyong.security.auth import ApiKeyAuth, request_actor

from . import selectors, services

router = Router(tags=["企业年度报告"], auth=ApiKeyAuth("ingest"))


class ReportContentIn(Schema):
    address: str = Field(description="企业通信地址（公示）", examples=["吉林省长春市南关区人民大街1号"])
    postcode: str = Field("", description="邮政编码（公示）", examples=["130000"])
    phone: str = Field(description="联系电话（公示时部分隐去）", examples=["0431-88888888"])
    email: str = Field("", description="电子邮箱（公示）")
    business_status: str = Field(description="存续状态：开业、歇业、清算（或 open、suspended、liquidation）", examples=["开业"])
    has_investments: bool = Field(False, description="是否有投资设立企业或购买股权")
    has_equity_transfer: bool = Field(False, description="是否有股东股权转让等股权变更")
    website: str = Field("", description="网站或网店网址")
    employees: int | None = Field(None, description="从业人数（企业选择是否公示）")
    total_assets: str | None = Field(None, description="资产总额（万元）", examples=["1200.5"])
    total_liabilities: str | None = Field(None, description="负债总额（万元）")
    revenue: str | None = Field(None, description="营业总收入（万元）")
    net_profit: str | None = Field(None, description="净利润（万元，亏损为负数）")
    total_tax: str | None = Field(None, description="纳税总额（万元）")
    publish_finances: bool = Field(False, description="企业选择公示从业人数及资产、收入、纳税等信息")


class AnnualReportIn(Schema):
    uscc: str = Field(description="企业统一社会信用代码", examples=["91220102AY4CL12T21"])
    year: int = Field(description="报告年度", examples=[2025])
    filed_on: date | None = Field(None, description="报送日期（收到纸质报告的日期）；省略为当天；不得晚于当天")
    report: ReportContentIn


class AnnualReportOut(Schema):
    id: int = Field(description="年度报告编号")
    uscc: str
    year: int
    filed_on: date
    late: bool = Field(description="逾期报送（6月30日之后）")
    door: str = Field(description="报送渠道：api")
    department: str = Field(description="报送部门编码")
    removal_application: bool = Field(description="本次补报使该企业提出了移出经营异常名录的申请")


@router.post(
    "",
    response={201: AnnualReportOut, **error_responses(400, 401, 403, 404, 409, 413, 422)},
    summary="报送企业年度报告",
    description=(
        "市场监督管理部门的系统代企业报送年度报告（如收到的纸质年度报告）。与网上报送相同的校验："
        "只受理已结束年度的报告，6月30日之后为逾期报送；早于成立年度（before_registration）、重复报送（duplicate_report，409，请更正）、"
        "非企业（not_enterprise）均拒收，字段错误在 fields 中逐项说明（invalid_report，422）。"
        "补报使列入经营异常名录的企业提出移出申请。需要 ingest 权限的市场监督管理部门接口密钥。"
    ),
    operation_id="annual_report_create",
)
def annual_report_create(request: HttpRequest, payload: AnnualReportIn):
    from xinyong.records import selectors as record_selectors

    department = request.auth.department
    if department.system != "GSJ":
        raise Forbidden("企业年度报告由市场监督管理部门（登记机关）代为报送，本部门的接口密钥不能报送", code="not_registration_authority")
    subject = selectors.public_organization(payload.uscc)
    if subject is None:
        raise NotFound("平台没有该统一社会信用代码的企业", code="unknown_subject", fields={"uscc": "未找到"})
    today = record_selectors.today()
    day = payload.filed_on or today
    if day > today:
        from xinyong.common.errors import InvalidInput

        raise InvalidInput("报送日期不能晚于今天", code="future_date", fields={"filed_on": "晚于今天"})
    data = payload.report.dict()
    data = {k: ("是" if v is True else "否" if v is False else ("" if v is None else v)) for k, v in data.items()}
    report = services.annual_report_file(subject=subject, year=payload.year, data=data, door="api", actor=request_actor(request), department=department, day=day)
    return Status(201, {
        "id": report.id, "uscc": subject.uscc, "year": report.year, "filed_on": report.filed_on, "late": report.late, "door": report.door,
        "department": department.code, "removal_application": report.removal_applications.exists(),
    })
