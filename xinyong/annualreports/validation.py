"""Checking the content of an annual report: every field by its rule, every problem named in
Chinese on its field (the one error shape: InvalidInput with `fields`)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from xinyong.common.errors import InvalidInput

from .models import BUSINESS_STATUS_CHOICES, OPTIONAL_FIELDS, PUBLIC_FIELDS

LABELS = {
    "address": "通信地址", "postcode": "邮政编码", "phone": "联系电话", "email": "电子邮箱",
    "business_status": "存续状态", "has_investments": "是否有投资设立企业或购买股权", "has_equity_transfer": "是否有股权转让",
    "website": "网站或网店网址", "employees": "从业人数", "total_assets": "资产总额", "total_liabilities": "负债总额",
    "revenue": "营业总收入", "net_profit": "净利润", "total_tax": "纳税总额", "publish_finances": "是否公示从业人数及财务信息",
}
TEXT_LIMITS = {"address": 300, "email": 100, "website": 200}
AMOUNTS = ("total_assets", "total_liabilities", "revenue", "net_profit", "total_tax")
AMOUNT_MAX = Decimal("999999999999")  # 10,000 yuan: the column's 16 digits, 4 decimals
FIELDS = [*PUBLIC_FIELDS, *OPTIONAL_FIELDS, "publish_finances"]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_WEBSITE = re.compile(r"^(?:https?://)?[A-Za-z0-9\u4e00-\u9fff.-]+\.[A-Za-z\u4e00-\u9fff]{2,}(?::\d{1,5})?(?:/[^\s<>\"']*)?$")
_STATUS = {**{k: k for k, _ in BUSINESS_STATUS_CHOICES}, **{label: k for k, label in BUSINESS_STATUS_CHOICES}}
_TRUE = {True, "true", "1", "yes", "on", "是", "有"}
_FALSE = {False, None, "", "false", "0", "no", "off", "否", "无"}


def _text(value, name: str, errors: dict, *, required: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if _CONTROL.search(text):
        errors[name] = f"{LABELS[name]}含有不可见的控制字符"
        return ""
    if required and not text:
        errors[name] = f"须填写{LABELS[name]}"
    elif name in TEXT_LIMITS and len(text) > TEXT_LIMITS[name]:
        errors[name] = f"{LABELS[name]}不能超过{TEXT_LIMITS[name]}个字符"
    return text


def _flag(value, name: str, errors: dict) -> bool:
    key = value.strip().lower() if isinstance(value, str) else value
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    errors[name] = f"{LABELS[name]}应为“是”或“否”"
    return False


def clean(data: dict) -> dict:
    """The report's values from `data` (form, JSON or keyword values), or InvalidInput naming
    every bad field. Unknown keys are refused too: a misspelt field is not silently dropped."""
    if not isinstance(data, dict):
        raise InvalidInput("年度报告内容应为字段和值的集合", code="bad_report")
    errors: dict[str, str] = {}
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    for key in unknown:
        errors[key[:40]] = "未知的字段"
    out: dict = {}
    out["address"] = _text(data.get("address"), "address", errors, required=True)
    phone = _text(data.get("phone"), "phone", errors, required=True).replace(" ", "")
    if phone and "phone" not in errors and not _PHONE.match(phone):
        errors["phone"] = "联系电话应为11位手机号码或带区号的固定电话（如0431-88888888）"
    out["phone"] = phone
    postcode = _text(data.get("postcode"), "postcode", errors)
    if postcode and not re.fullmatch(r"\d{6}", postcode):
        errors["postcode"] = "邮政编码应为6位数字"
    out["postcode"] = postcode
    email = _text(data.get("email"), "email", errors)
    if email and "email" not in errors and not _EMAIL.match(email):
        errors["email"] = "电子邮箱格式不正确"
    out["email"] = email
    website = _text(data.get("website"), "website", errors)
    if website and "website" not in errors and not _WEBSITE.match(website):
        errors["website"] = "网址格式不正确（如 https://www.example.com）"
    out["website"] = website
    status = _text(data.get("business_status"), "business_status", errors, required=True)
    if status and status not in _STATUS:
        errors["business_status"] = "存续状态应为开业、歇业或清算"
    out["business_status"] = _STATUS.get(status, "")
    for name in ("has_investments", "has_equity_transfer", "publish_finances"):
        out[name] = _flag(data.get(name), name, errors)
    raw = data.get("employees")
    out["employees"] = None
    if raw not in (None, ""):
        try:
            employees = int(str(raw).strip())
        except ValueError:
            errors["employees"] = "从业人数应为整数"
        else:
            if not 0 <= employees <= 10_000_000:
                errors["employees"] = "从业人数应在0至10000000之间"
            out["employees"] = employees
    for name in AMOUNTS:
        raw = data.get(name)
        out[name] = None
        if raw in (None, ""):
            continue
        try:
            amount = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation:
            errors[name] = f"{LABELS[name]}应为数字（单位：万元）"
            continue
        if not amount.is_finite() or abs(amount) > AMOUNT_MAX:
            errors[name] = f"{LABELS[name]}超出范围"
        elif amount < 0 and name != "net_profit":
            errors[name] = f"{LABELS[name]}不能为负数"
        elif amount.as_tuple().exponent < -4:
            errors[name] = f"{LABELS[name]}最多保留4位小数"
        out[name] = amount
    if errors:
        first = next(iter(errors.items()))
        message = f"年度报告有{len(errors)}处需要修改：" + "；".join(f"{LABELS.get(k, k)}：{v}" for k, v in errors.items()) if len(errors) > 1 else f"{LABELS.get(first[0], first[0])}：{first[1]}"
        raise InvalidInput(message, code="invalid_report", fields=errors)
    return out
