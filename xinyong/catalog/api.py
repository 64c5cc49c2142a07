"""The catalog on the API: information items (信息项) with their full definitions and templates,
and departments (数据提供单位). The catalog is open information: no credentials needed.

Mounted under /api/v1/catalog and /api/v1/departments.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from ninja import Query, Router, Schema
from pydantic import Field

from xinyong.api import error_responses
from xinyong.common.errors import NotFound
from xinyong.ingestion.template import build_template, field_rules

from .models import Department
from .registry import LEVELS, Item, get_catalog

router = Router(tags=["信息资源目录"])
departments_router = Router(tags=["数据提供单位"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ------------------------------------------------------------------ schemas
class FieldOut(Schema):
    name: str = Field(description="字段名（JSON 记录中可用作键）")
    label: str = Field(description="中文列名（CSV/XLSX 表头；JSON 记录中也可用作键）")
    type: str = Field(description="类型：string、text、enum、date、decimal、integer、year、uscc、id_number、region_code、commitment_code")
    required: bool
    required_when: dict[str, list[str]] = Field(description="条件必填：其他字段取这些值时必填")
    max_length: int | None
    choices: list[str] = Field(description="可选值（enum）")
    multi: bool = Field(description="可多选（多个值用；分隔）")
    min: str | None
    max: str | None
    role: str | None = Field(description="字段在平台中的用途（如 uscc、decided_on、source_id）")
    sensitive: str | None = Field(description="个人敏感信息的类别（加密存储、脱敏展示）")
    public: bool = Field(description="是否公示")
    aliases: list[str] = Field(description="也接受的其他列名")
    help: str
    rules: str = Field(description="填写要求（中文，与 Excel 模板的批注相同）")


class DisclosureRuleOut(Schema):
    when: dict[str, list[str]]
    disclosure: str
    basis: str


class RowRuleOut(Schema):
    when: dict[str, list[str]] = Field(description="条件：字段取这些值时")
    require: list[str] = Field(description="这些字段都必填")
    require_any: list[str] = Field(description="这些字段至少填一个")
    message: str


class ItemSummaryOut(Schema):
    code: str = Field(description="信息项编码")
    name: str = Field(description="信息项名称")
    kind: str
    owner: str = Field(description="责任条线编码（一数一源：只有该条线的部门能报送）")
    owner_name: str = Field(description="责任条线的省级部门")
    levels: list[str] = Field(description="报送层级：province 省级、city 市级、county 县级")
    nature: str
    nature_label: str = Field(description="性质：基础、良好、不良、提示")
    disclosure: str
    disclosure_label: str = Field(description="公开属性：公开、授权查询、内部")
    subject_kinds: list[str] = Field(description="适用的主体类别")
    reporting_deadline_working_days: int | None = Field(description="报送时限（决定作出之日起的工作日数）")
    url: str
    template_url: str = Field(description="Excel 报送模板的下载地址")


class ItemOut(ItemSummaryOut):
    family: str | None
    disclosure_rules: list[DisclosureRuleOut]
    publication: str = Field(description="公示期规则编码")
    publication_title: str
    legal_basis: str = Field(description="法律依据")
    key_fields: list[str] = Field(description="识别同一条记录的字段（重复报送按此判断）")
    public_person_name: bool
    fields: list[FieldOut]
    row_rules: list[RowRuleOut] = Field(description="跨字段的校验规则")


class ItemListOut(Schema):
    version: str = Field(description="目录版本")
    digest: str = Field(description="目录内容摘要（目录变化时改变）")
    count: int
    items: list[ItemSummaryOut]


class RegionOut(Schema):
    code: str = Field(description="行政区划代码（GB/T 2260）")
    name: str


class DepartmentOut(Schema):
    code: str = Field(description="部门编码：<行政区划代码>-<条线编码>")
    name: str
    short_name: str
    now_name: str = Field(description="机构改革后的现名称（如有）")
    system: str = Field(description="条线编码")
    system_name: str
    level: str
    level_label: str
    region: RegionOut
    parent: str | None = Field(description="上级部门编码")
    active: bool
    items: list[str] = Field(description="本部门负责报送的信息项编码")


# ------------------------------------------------------------------ helpers
def _item_or_404(code: str) -> Item:
    item = get_catalog().item(code)
    if item is None:
        raise NotFound(f"未知的信息项编码“{code[:40]}”", code="unknown_item")
    return item


def _summary(item: Item) -> dict:
    catalog = get_catalog()
    data = item.as_dict()
    owner = catalog.systems.get(item.owner)
    return {
        **{k: data[k] for k in ("code", "name", "kind", "owner", "levels", "nature", "nature_label", "disclosure", "disclosure_label", "subject_kinds", "reporting_deadline_working_days")},
        "owner_name": owner.province_name if owner else item.owner,
        "url": reverse("api:catalog_item", kwargs={"code": item.code}),
        "template_url": reverse("api:catalog_item_template", kwargs={"code": item.code}),
    }


def _conds(when) -> dict:
    return {k: sorted(v) for k, v in when}


# ------------------------------------------------------------------ operations
@router.get(
    "/items",
    response={200: ItemListOut, **error_responses(404, 422)},
    url_name="catalog_items",
    summary="信息项列表",
    description="信用信息资源目录中的信息项。可按责任条线（owner，如 GSJ）或部门（department，列出该部门能报送的信息项）筛选。",
)
def item_list(
    request: HttpRequest,
    owner: str | None = Query(None, description="责任条线编码，如 GSJ"),
    department: str | None = Query(None, description="部门编码，如 220100-GSJ：只列出该部门负责报送的信息项"),
):
    catalog = get_catalog()
    items = list(catalog.items.values())
    if owner:
        items = [i for i in items if i.owner.upper() == owner.strip().upper()]
    if department:
        dept = catalog.department(department.strip())
        if dept is None:
            raise NotFound(f"未知的部门编码“{department[:20]}”", code="unknown_department")
        items = catalog.items_for_department(dept)
    return {"version": catalog.version, "digest": catalog.digest, "count": len(items), "items": [_summary(i) for i in items]}


@router.get(
    "/items/{code}",
    response={200: ItemOut, **error_responses(404)},
    url_name="catalog_item",
    summary="信息项的完整定义",
    description="字段（名称、中文列名、类型、是否必填、取值范围、填写要求）、跨字段规则、公开属性、公示期规则、报送时限和法律依据。",
)
def item_detail(request: HttpRequest, code: str):
    item = _item_or_404(code)
    catalog = get_catalog()
    data = item.as_dict()
    rules = {f.name: field_rules(f) for f in item.fields}
    rule_set = catalog.rule_sets.get(item.publication)
    return {
        **data,
        **_summary(item),
        "publication_title": rule_set.title if rule_set else "",
        "fields": [{**f, "rules": rules[f["name"]]} for f in data["fields"]],
        "row_rules": [
            {"when": _conds(r.when), "require": list(r.require), "require_any": list(r.require_any), "message": r.message}
            for r in item.row_rules
        ],
    }


@router.get(
    "/items/{code}/template.xlsx",
    response=error_responses(404),
    url_name="catalog_item_template",
    summary="下载信息项的 Excel 报送模板",
    description="“数据”工作表是表头（必填列标红，代码列为文本格式，选项列有下拉框），“填写说明”工作表说明每个字段。",
    openapi_extra={"responses": {200: {"description": "Excel 模板", "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}}},
)
def item_template(request: HttpRequest, code: str):
    item = _item_or_404(code)
    response = HttpResponse(build_template(item, get_catalog()), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{item.code}-{item.name}-模板.xlsx")
    return response


@departments_router.get(
    "/{code}",
    response={200: DepartmentOut, **error_responses(404)},
    url_name="department_detail",
    summary="数据提供单位",
    description="部门的名称、条线、层级、所在行政区划和负责报送的信息项。",
)
def department_detail(request: HttpRequest, code: str):
    dept = Department.objects.select_related("region", "parent").filter(code=code.strip()).first()
    if dept is None:
        raise NotFound(f"未知的部门编码“{code[:20]}”", code="unknown_department")
    catalog = get_catalog()
    system = catalog.systems.get(dept.system)
    return {
        "code": dept.code,
        "name": dept.name,
        "short_name": dept.short_name,
        "now_name": dept.now_name,
        "system": dept.system,
        "system_name": system.name if system else "",
        "level": dept.level,
        "level_label": LEVELS.get(dept.level, dept.level),
        "region": {"code": dept.region.code, "name": dept.region.name},
        "parent": dept.parent.code if dept.parent else None,
        "active": dept.active,
        "items": [i.code for i in catalog.items_for_department(dept)],
    }
