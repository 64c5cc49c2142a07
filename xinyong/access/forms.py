"""Forms of the access pages. Services check the rules; forms only parse."""

from __future__ import annotations

from django import forms

from xinyong.catalog.models import Department

from . import selectors


def _purpose_choices():
    return [("", "请选择")] + [(p.code, p.label) for p in selectors.purposes()]


def _authorized_item_choices():
    return [(i.code, f"{i.name}（{i.code}）") for i in selectors.authorized_items()]


class QueryForm(forms.Form):
    code = forms.CharField(label="统一社会信用代码或公民身份号码", max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    purpose = forms.ChoiceField(label="查询用途", choices=())
    details = forms.CharField(label="用途说明（案件编号、事项等）", max_length=150, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = _purpose_choices()


class RightForm(forms.Form):
    department = forms.ModelChoiceField(label="部门", queryset=Department.objects.filter(active=True).order_by("code"))
    item = forms.ChoiceField(label="信息项或信息类别", choices=())
    valid_from = forms.DateField(label="有效期自", widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label="有效期至（空：至撤销）", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    legal_basis = forms.CharField(label="法律依据", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from xinyong.catalog.registry import get_catalog

        kinds = [(f"kind:{k}", f"类别：{k}（如 {name}）") for k, name in sorted(selectors.item_kinds().items())]
        items = [(f"item:{i.code}", f"{i.name}（{i.code}，{selectors.CLASS_LABELS.get(i.disclosure, i.disclosure)}）") for i in sorted(get_catalog().items.values(), key=lambda i: i.code)]
        self.fields["item"].choices = [("", "请选择"), ("信息类别（该类别的全部信息项）", kinds), ("信息项", items)]

    def target(self) -> tuple[str, str]:
        """(item_code, item_kind)."""
        kind, _, value = self.cleaned_data["item"].partition(":")
        return (value, "") if kind == "item" else ("", value)


class RevokeForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=500)


class ConsentForm(forms.Form):
    department = forms.ModelChoiceField(label="被授权查询的部门", queryset=Department.objects.filter(active=True).order_by("code"))
    purpose = forms.CharField(label="授权用途", max_length=200)
    scope = forms.ChoiceField(label="授权范围", choices=[("all", "全部授权查询类信息"), ("items", "仅下列信息项")], widget=forms.RadioSelect, initial="items")
    items = forms.MultipleChoiceField(label="信息项", choices=(), required=False, widget=forms.CheckboxSelectMultiple)
    expires_on = forms.DateField(label="授权截止日期（含当日）", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = _authorized_item_choices()


class PaperConsentForm(ConsentForm):
    code = forms.CharField(label="信息主体的统一社会信用代码或公民身份号码", max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    document = forms.FileField(label="信息主体签署的书面授权书（PDF、JPEG 或 PNG）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["department"]  # the recording department itself


class RequestForm(forms.Form):
    codes = forms.CharField(label="查询对象（统一社会信用代码或公民身份号码，每行一个）", max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))
    items = forms.MultipleChoiceField(label="申请查询的信息项", choices=(), widget=forms.CheckboxSelectMultiple)
    purpose = forms.CharField(label="查询用途", max_length=200)
    legal_basis = forms.CharField(label="法律依据", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    period_from = forms.DateField(label="申请期限自", widget=forms.DateInput(attrs={"type": "date"}))
    period_until = forms.DateField(label="申请期限至", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = _authorized_item_choices()


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label="审批决定", choices=[("approve", "批准"), ("refuse", "不予批准")], widget=forms.RadioSelect)
    granted_items = forms.MultipleChoiceField(label="批准的信息项", choices=(), required=False, widget=forms.CheckboxSelectMultiple)
    grant_from = forms.DateField(label="批准期限自", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    grant_until = forms.DateField(label="批准期限至", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="审批意见（不予批准时写明理由）", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["granted_items"].choices = [(c, selectors.item_label(c)) for c in items]
