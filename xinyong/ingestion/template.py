"""The Excel template of an item: a 数据 sheet with the headers (required ones marked, code columns
formatted as text so Excel does not round 18-digit codes, drop-down lists for choices) and a
填写说明 sheet describing each field and the item."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from xinyong.catalog.registry import DISCLOSURES, NATURES, Catalog, FieldDef, Item

TYPE_LABELS = {
    "text": "长文本", "string": "文本", "enum": "选项", "date": "日期（YYYY-MM-DD）", "decimal": "数字",
    "integer": "整数", "year": "年份", "uscc": "统一社会信用代码（18位）", "id_number": "公民身份号码（18位）",
    "region_code": "行政区划代码（6位）", "commitment_code": "承诺编码（20位）",
}
TEXT_TYPES = {"uscc", "id_number", "string", "text", "commitment_code", "region_code"}
MAX_ROWS = 10000


def field_rules(f: FieldDef) -> str:
    parts = [TYPE_LABELS[f.type]]
    if f.required:
        parts.append("必填")
    elif f.required_when:
        parts.append("条件必填：" + "；".join(f"{k}为{'/'.join(sorted(v))}时" for k, v in f.required_when))
    if f.max_length:
        parts.append(f"不超过{f.max_length}字")
    if f.choices:
        parts.append(("可多选（用；分隔）：" if f.multi else "可选：") + "、".join(f.choices))
    if f.min is not None:
        parts.append(f"最小{f.min}")
    if f.max is not None:
        parts.append(f"最大{f.max}")
    if f.decimals is not None:
        parts.append(f"最多{f.decimals}位小数")
    if f.not_future:
        parts.append("不得晚于今天")
    if f.allow:
        parts.append("也可填：" + "、".join(f.allow))
    if f.sensitive:
        parts.append("个人敏感信息，加密存储、脱敏展示")
    if f.help:
        parts.append(f.help)
    return "；".join(parts)


def build_template(item: Item, catalog: Catalog) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    required_fill = PatternFill("solid", fgColor="FDE2E1")
    optional_fill = PatternFill("solid", fgColor="E8EEF7")
    for col, f in enumerate(item.fields, start=1):
        cell = ws.cell(row=1, column=col, value=f.label)
        cell.font = Font(bold=True, color="9B1C1C" if f.required else "1F3A5F")
        cell.fill = required_fill if f.required else optional_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.comment = Comment(field_rules(f), "信用吉林")
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = max(12, min(40, len(f.label) * 2 + 4))
        if f.type in TEXT_TYPES:
            for row in range(2, 202):
                ws.cell(row=row, column=col).number_format = "@"
        elif f.type == "date":
            for row in range(2, 202):
                ws.cell(row=row, column=col).number_format = "yyyy-mm-dd"
        if f.type == "enum" and not f.multi:
            choices = ",".join(f.choices)
            if len(choices) < 250:
                dv = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=not f.required, showErrorMessage=True, errorTitle="取值无效", error="请从下拉列表中选择")
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}{MAX_ROWS}")
    ws.freeze_panes = "A2"

    info = wb.create_sheet("填写说明")
    owner = catalog.systems[item.owner]
    rows = [
        ("信息项", f"{item.name}（{item.code}）"),
        ("责任部门（一数一源）", f"{owner.province_name}及各级{owner.name}部门"),
        ("性质", NATURES[item.nature]),
        ("公开属性", DISCLOSURES[item.disclosure]),
        ("报送时限", f"决定作出之日起{item.reporting_deadline_days}个工作日内" if item.reporting_deadline_days else "按约定周期"),
        ("公示规则", catalog.rule_sets[item.publication].title),
        ("法律依据", item.legal_basis),
        ("重复报送", "同一条记录（按" + "、".join(item.field_map[k].label for k in item.key_fields) + "识别）重复报送不会重复入库；修改已报送的记录请选择“更正”，撤销请选择“撤销”并填写“撤销原因”列"),
        ("", ""),
        ("列名", "填写要求"),
    ]
    rows += [(f.label + ("（必填）" if f.required else ""), field_rules(f)) for f in item.fields]
    for r, (a, b) in enumerate(rows, start=1):
        info.cell(row=r, column=1, value=a).font = Font(bold=r in (1, 10) or bool(a and r < 9))
        info.cell(row=r, column=2, value=b).alignment = Alignment(wrap_text=True)
    info.column_dimensions["A"].width = 36
    info.column_dimensions["B"].width = 100
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def build_csv_template(item: Item) -> bytes:
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf).writerow([f.label for f in item.fields])
    return buf.getvalue().encode("utf-8-sig")
