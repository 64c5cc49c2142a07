"""Filter forms of the portal's public listings (双公示 here; the lists reuse the region and date
pieces). GET forms: they read what a person (or a link) put in the query string and say in
Chinese what is wrong with it; they never raise on bad input."""

from __future__ import annotations

from datetime import date

from django import forms

from xinyong.catalog.registry import get_catalog

from .selectors import KINDS, DecisionFilters, decision_systems, penalty_categories

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "日期无效：请按“年-月-日”填写一个存在的日期，如 2026-01-31"}
EARLIEST = date(1949, 10, 1)


def whole_area(name: str) -> str:
    """“全市” for a city, “全州” for 延边朝鲜族自治州, “全区” for the 长白山 district."""
    if name.endswith("州"):
        return "全州"
    if name.endswith("市"):
        return "全市"
    return "全区"


def region_choices() -> list:
    """全省, then each city (its counties grouped under it)."""
    regions = get_catalog().regions
    out: list = [("", "全省")]
    for city in (r for r in regions.values() if r.level == "city"):
        counties = [(r.code, r.name) for r in regions.values() if r.parent == city.code]
        out.append((city.name, [(city.code, f"{city.name}（{whole_area(city.name)}）"), *counties]))
    return out


def date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=DATE_INPUT, input_formats=["%Y-%m-%d"], error_messages=DATE_ERRORS)


def check_date_range(form: forms.Form, start: str, end: str) -> None:
    """Refuse dates out of any sensible range and a range that ends before it starts."""
    data = form.cleaned_data
    for name in (start, end):
        value = data.get(name)
        if value is not None and not EARLIEST <= value <= date(2100, 12, 31):
            form.add_error(name, "日期超出可查询的范围")
    a, b = data.get(start), data.get(end)
    if a and b and a > b:
        form.add_error(end, "结束日期不能早于开始日期")


class RegionField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=region_choices,
            required=False,
            error_messages={"invalid_choice": "未知的地区代码“%(value)s”"},
            **kwargs,
        )


class DecisionFilterForm(forms.Form):
    type = forms.ChoiceField(
        label="类型",
        required=False,
        choices=[("", "全部"), *KINDS.items()],
        error_messages={"invalid_choice": "未知的类型“%(value)s”（可选：行政许可、行政处罚）"},
    )
    category = forms.ChoiceField(label="处罚类别", required=False, error_messages={"invalid_choice": "未知的处罚类别“%(value)s”"})
    system = forms.ChoiceField(label="决定部门（条线）", required=False, error_messages={"invalid_choice": "未知的部门条线“%(value)s”"})
    region = RegionField(label="决定部门所在地区")
    dept = forms.CharField(label="具体部门", required=False, max_length=40)
    decided_from = date_field("决定日期自")
    decided_to = date_field("决定日期至")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        catalog = get_catalog()
        self.fields["category"].choices = [("", "全部"), *((c, c) for c in penalty_categories(catalog))]
        self.fields["system"].choices = [("", "全部部门"), *((code, _system_label(code)) for code in decision_systems(catalog))]
        # the department select lists the chosen system's departments (pick a system first:
        # the form works without JavaScript); a department given in the link is kept
        system = str(self.data.get("system") or "") if self.is_bound else ""
        dept = str(self.data.get("dept") or "") if self.is_bound else ""
        if not system and dept in catalog.departments:
            system = catalog.departments[dept].system or ""
        depts = [d for d in catalog.departments.values() if system and d.system == system]
        choices = [("", "该条线全部部门" if depts else "请先选择条线并筛选")] + [(d.code, d.name) for d in depts]
        if dept and dept not in dict(choices):
            choices.append((dept, dept))
        self.fields["dept"].widget = forms.Select(choices=choices)

    def clean_dept(self) -> str:
        code = (self.cleaned_data.get("dept") or "").strip()
        if code and code not in get_catalog().departments:
            raise forms.ValidationError(f"未知的部门编码“{code}”")
        return code

    def clean(self):
        data = super().clean()
        check_date_range(self, "decided_from", "decided_to")
        if data.get("category") and data.get("type") == "licensing":
            self.add_error("category", "处罚类别只适用于行政处罚")
        return data

    def filters(self) -> DecisionFilters:
        d = self.cleaned_data
        return DecisionFilters(
            kind=d.get("type") or None,
            category=d.get("category") or None,
            system=d.get("system") or None,
            region=d.get("region") or None,
            department=d.get("dept") or None,
            decided_from=d.get("decided_from"),
            decided_to=d.get("decided_to"),
        )


def _system_label(code: str) -> str:
    system = get_catalog().systems[code]
    return f"{system.name}（{system.now or system.province_name}）"
