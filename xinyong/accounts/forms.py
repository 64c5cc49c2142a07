"""Forms of the subject's own area: registration (Django's user creation form, with the real-name
elements), login (Django's authentication form, for subject accounts only), letters, notifications."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm

from xinyong.subjects.identifiers import InvalidCode, clean_id_number, clean_uscc

from .models import SubjectAccount


class _RegistrationForm(BaseUserCreationForm):
    """Login name and password (Django's validators) plus the person's real-name elements."""

    name = forms.CharField(label="姓名", max_length=20, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(label="公民身份号码", max_length=18, min_length=18, widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}))
    mobile = forms.RegexField(label="手机号码", regex=r"^1[3-9]\d{9}$", error_messages={"invalid": "请填写11位手机号码"}, widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.EmailField(label="电子邮箱（可选）", required=False, help_text="填写后，站内信同时发送到该邮箱", widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}))

    class Meta(BaseUserCreationForm.Meta):
        fields = ("username",)
        labels = {"username": "登录名"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = "150个字符以内，可用字母、数字和 @ . + - _"
        self.fields["password1"].label = "密码"
        self.fields["password2"].label = "确认密码"
        self.order_fields(self.field_order_list())

    def field_order_list(self) -> list[str]:
        return ["name", "id_number", "mobile", "email", "username", "password1", "password2"]

    def clean_id_number(self) -> str:
        try:
            return clean_id_number(self.cleaned_data["id_number"])
        except InvalidCode as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class IndividualRegistrationForm(_RegistrationForm):
    pass


class OrganizationRegistrationForm(_RegistrationForm):
    uscc = forms.CharField(label="统一社会信用代码", max_length=18, min_length=18, widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}))
    letter = forms.FileField(
        label="授权委托书（非法定代表人办理时上传）",
        required=False,
        help_text="PDF 或 PNG、JPEG 图片；法定代表人本人办理无需上传",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def field_order_list(self) -> list[str]:
        return ["uscc", *super().field_order_list(), "letter"]

    def clean_uscc(self) -> str:
        try:
            return clean_uscc(self.cleaned_data["uscc"])
        except InvalidCode as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_letter(self):
        upload = self.cleaned_data.get("letter")
        limit_kb = int(settings.XINYONG.get("LETTER_MAX_KB", 5120))
        if upload is not None and upload.size > limit_kb * 1024:
            raise forms.ValidationError(f"文件过大：授权委托书不超过 {limit_kb // 1024} MB")
        return upload


class SubjectLoginForm(AuthenticationForm):
    """Django's authentication form; staff users (no subject account) get the same message as a
    wrong password, so the portal's login says nothing about which accounts exist."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "登录名或密码不正确，或该账户不能登录“我的信用”。",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not SubjectAccount.objects.filter(user=user).exclude(status="disabled").exists():
            raise self.get_invalid_login_error()


class LetterForm(forms.Form):
    letter = forms.FileField(label="授权委托书", help_text="PDF 或 PNG、JPEG 图片，加盖单位公章", widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label="审核结果", choices=[("approve", "通过"), ("refuse", "不通过")], widget=forms.RadioSelect)
    reason = forms.CharField(label="审核意见（不通过时必填）", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", "不通过时须写明原因")
        return data


class DisableForm(forms.Form):
    reason = forms.CharField(label="停用原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
