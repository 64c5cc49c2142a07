"""The annual report form (portal and department pages). It renders and reads the fields; the
service (validation.clean) decides what is valid, and its reasons are put on the fields."""

from __future__ import annotations

from django import forms

from xinyong.common.errors import XinyongError

from .models import BUSINESS_STATUS_CHOICES, OPTIONAL_FIELDS, PUBLIC_FIELDS

YES_NO = [("否", "否"), ("是", "是")]


class ReportForm(forms.Form):
    address = forms.CharField(label="企业通信地址", max_length=300)
    postcode = forms.CharField(label="邮政编码", max_length=6, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, help_text="11位手机号码或带区号的固定电话；公示时部分隐去")
    email = forms.CharField(label="电子邮箱", max_length=100, required=False)
    business_status = forms.ChoiceField(label="存续状态", choices=[(label, label) for _, label in BUSINESS_STATUS_CHOICES])
    has_investments = forms.ChoiceField(label="是否有投资设立企业或购买股权", choices=YES_NO, widget=forms.RadioSelect, initial="否")
    has_equity_transfer = forms.ChoiceField(label="是否有股东股权转让等股权变更", choices=YES_NO, widget=forms.RadioSelect, initial="否")
    website = forms.CharField(label="网站或网店网址", max_length=200, required=False)
    employees = forms.CharField(label="从业人数", required=False)
    total_assets = forms.CharField(label="资产总额（万元）", required=False)
    total_liabilities = forms.CharField(label="负债总额（万元）", required=False)
    revenue = forms.CharField(label="营业总收入（万元）", required=False)
    net_profit = forms.CharField(label="净利润（万元）", required=False, help_text="亏损填负数")
    total_tax = forms.CharField(label="纳税总额（万元）", required=False)
    publish_finances = forms.BooleanField(label="向社会公示从业人数及资产、收入、纳税等信息（企业自主选择）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the service checks what is required, with its own reasons: the form only marks it
        for name in ("address", "phone", "business_status"):
            field = self.fields[name]
            field.required = False
            field.label = f"{field.label}（必填）"
            field.widget.attrs["aria-required"] = "true"
        self.fields["business_status"].choices = [("", "请选择"), *self.fields["business_status"].choices]

    def public_fields(self):
        return [self[name] for name in PUBLIC_FIELDS]

    def optional_fields(self):
        return [self[name] for name in (*OPTIONAL_FIELDS, "publish_finances")]

    def report_data(self) -> dict:
        """What the service gets: the posted values as they are."""
        return {name: self.data.get(name, "") for name in self.fields if name != "publish_finances"} | {"publish_finances": "是" if self.data.get("publish_finances") else "否"}

    def attach(self, exc: XinyongError) -> None:
        """A service's refusal on the form: on its field when the form has it, else on top."""
        placed = False
        for name, reason in exc.fields.items():
            if name in self.fields:
                self.add_error(name, reason)
                placed = True
        if not placed:
            self.add_error(None, exc.message)

    @classmethod
    def initial_from(cls, report) -> dict:
        status = dict(BUSINESS_STATUS_CHOICES)
        data = {name: getattr(report, name) for name in cls.base_fields if name not in ("business_status", "has_investments", "has_equity_transfer", "publish_finances")}
        data = {k: ("" if v is None else str(v)) for k, v in data.items()}
        data["business_status"] = status.get(report.business_status, "")
        data["has_investments"] = "是" if report.has_investments else "否"
        data["has_equity_transfer"] = "是" if report.has_equity_transfer else "否"
        data["publish_finances"] = report.publish_finances
        return data


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label="报告年度", coerce=int)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年度") for y in years]


class DeptFileForm(forms.Form):
    uscc = forms.CharField(label="统一社会信用代码", max_length=18, min_length=18)
    year = forms.IntegerField(label="报告年度", min_value=1900, max_value=2999)
    day = forms.DateField(label="收到纸质年度报告的日期", required=False, help_text="留空为今天；格式 2026-06-30", widget=forms.DateInput(attrs={"type": "date"}))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label="决定", choices=[("approve", "准予移出"), ("refuse", "不予移出")], widget=forms.RadioSelect)
    note = forms.CharField(label="理由（不予移出时必填）", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
