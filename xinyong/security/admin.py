"""Django admin for the credit centre: API keys (never their secrets) and the audit trail
(read-only, never deleted). `AuditedAdmin` makes every admin write an audit entry too."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.template.response import TemplateResponse
from django.utils import timezone

from xinyong.common.ratelimit import parse_rate

from . import keys
from .models import Alert, ApiKey, ApiRequest, AuditCheckpoint, AuditEntry, StaffSecurity
from .services import Actor, audit_log


def admin_actor(request) -> Actor:
    return Actor.for_user(request.user, ip=request.META.get("REMOTE_ADDR"))


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit entry beside Django's admin log for every addition, change and deletion."""

    def _audit(self, request, obj, action: str, message) -> None:
        detail = {"model": obj._meta.label, "object": str(obj)[:200], "change": message if isinstance(message, list | str) else str(message)}
        state = self.audit_state(obj)
        if state:
            detail["state"] = state
        audit_log(actor=admin_actor(request), action=f"admin.{action}", object_type=obj._meta.model_name, object_id=obj.pk, detail=detail)

    def audit_state(self, obj) -> dict:
        """What the entry records of the object after the change, beside the changed fields' names."""
        return {}

    def log_addition(self, request, obj, message):
        self._audit(request, obj, "add", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit(request, obj, "change", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            self._audit(request, obj, "delete", "")
        return super().log_deletions(request, queryset)


class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    """Django's user admin, audited: making a superuser or staff member, a role (group) given or
    taken, a password set by an administrator — each is an entry in the audit chain, not only in
    Django's own admin log (which anyone with database access can rewrite), with the user's
    rights after the change."""

    def audit_state(self, obj) -> dict:
        return {
            "is_active": obj.is_active, "is_staff": obj.is_staff, "is_superuser": obj.is_superuser,
            "groups": sorted(obj.groups.values_list("name", flat=True)) if obj.pk else [],
        }


class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    """Roles (groups) and their permissions, audited."""


for _model, _admin in ((get_user_model(), AuditedUserAdmin), (Group, AuditedGroupAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown to the credit centre, changed only by the platform (catalog sync, pipeline...)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------- API keys
class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label="权限范围", choices=list(keys.SCOPES.items()), initial=list(keys.DEFAULT_SCOPES), widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["department", "name", "scopes", "expires_at"]

    def clean(self):
        # the same conditions apikey_create enforces, reported on the form instead of an error page
        data = super().clean()
        department, expires_at = data.get("department"), data.get("expires_at")
        if department is not None and not department.active:
            self.add_error("department", f"部门“{department.short_name}”已停用，不能创建接口密钥")
        if expires_at is not None and expires_at <= timezone.now():
            self.add_error("expires_at", "过期时间须晚于现在")
        return data


class ApiKeyChangeForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name", "rate_limit"]
        help_texts = {"rate_limit": "如 600/m（每分钟600次）、20/s；留空则用平台默认值（XINYONG_API_KEY_RATE）"}

    def clean_rate_limit(self):
        value = (self.cleaned_data.get("rate_limit") or "").strip()
        if value:
            try:
                count, _ = parse_rate(value)
            except (ValueError, KeyError):
                raise forms.ValidationError("格式应为 次数/单位，单位为 s、m、h、d，如 600/m") from None
            if count < 1:
                raise forms.ValidationError("次数至少为1")
        return value


@admin.register(ApiKey)
class ApiKeyAdmin(AuditedAdmin):
    """Keys are created, rotated and revoked through security.keys (the secret is shown once, on
    the page that follows; only its hash and an encrypted copy are stored, never displayed)."""

    list_display = ["key_id", "name", "department", "status_label", "scopes", "created_at", "expires_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["key_id", "name", "department__code", "department__name"]
    autocomplete_fields = ["department"]
    readonly_fields = ["key_id", "department", "scopes", "status_label", "created_at", "created_by", "expires_at", "revoked_at", "last_used_at", "previous_valid_until"]
    actions = ["revoke_keys"]

    @admin.display(description="状态")
    def status_label(self, obj):
        return keys.STATUS_LABELS[keys.key_status(obj)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = ApiKeyChangeForm if obj else ApiKeyCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["department", "name", "scopes", "expires_at"]
        return ["key_id", "name", "department", "scopes", "status_label", "rate_limit", "created_at", "created_by", "expires_at", "revoked_at", "last_used_at", "previous_valid_until"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the audit trail refers to keys

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            keys.forget_key(obj.key_id)  # a new rate limit applies at once in this process
            return None
        key, token = keys.apikey_create(
            department=form.cleaned_data["department"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires_at=form.cleaned_data.get("expires_at"),
            actor=admin_actor(request),
            user=request.user,
        )
        for f in ApiKey._meta.concrete_fields:
            setattr(obj, f.attname, getattr(key, f.attname))
        obj._state.adding, obj._state.db = False, key._state.db
        request._xinyong_token = token

    def log_addition(self, request, obj, message):
        # apikey_create already wrote the audit entry (apikey.create); keep Django's admin log only
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        token = getattr(request, "_xinyong_token", None)
        if token is None:
            return super().response_add(request, obj, post_url_continue)
        # rendered directly (never stored in a message or session): the secret is shown once
        context = {**self.admin_site.each_context(request), "title": "接口密钥已创建", "key": obj, "token": token, "opts": self.model._meta}
        response = TemplateResponse(request, "security/admin/apikey_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="吊销所选接口密钥")
    def revoke_keys(self, request, queryset):
        count = 0
        for key in queryset:
            if not key.revoked_at:
                keys.apikey_revoke(key=key, actor=admin_actor(request), reason="管理后台吊销")
                count += 1
        self.message_user(request, f"已吊销 {count} 个接口密钥。", messages.SUCCESS)


# ---------------------------------------------------------------------- audit trail
@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "actor_type", "department", "action", "object_type", "object_id", "subject_id", "purpose", "ip"]
    list_filter = ["actor_type", "action", "object_type"]
    search_fields = ["actor_label", "action", "object_id", "purpose"]
    date_hierarchy = "at"
    list_select_related = ["department"]
    fields = ["seq", "at", "actor_type", "actor_label", "actor_user", "actor_key", "department", "action", "object_type", "object_id", "subject_id", "purpose", "detail", "ip", "prev_hash", "hash"]
    readonly_fields = fields


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["at", "seq", "hash", "key_id"]
    fields = ["at", "seq", "hash", "key_id", "signature"]
    readonly_fields = fields


@admin.register(ApiRequest)
class ApiRequestAdmin(ReadOnlyAdmin):
    """The request log of the department systems' API: refusals with their reason."""

    list_display = ["at", "key_label", "method", "path", "status", "code", "auth", "ip"]
    list_filter = ["status", "code", "auth"]
    search_fields = ["key_label", "path", "code"]
    date_hierarchy = "at"
    fields = ["at", "key", "key_label", "department_id", "method", "path", "status", "code", "auth", "ip"]
    readonly_fields = fields


# ---------------------------------------------------------------------- staff sign-in
@admin.register(StaffSecurity)
class StaffSecurityAdmin(admin.ModelAdmin):
    """Staff users' sign-in state: never the secret. Actions: sign a user out everywhere, reset a
    lost second factor (the user enrols again at the next login)."""

    list_display = ["user", "totp_confirmed_at", "password_changed_at", "sessions_valid_after"]
    search_fields = ["user__username"]
    fields = ["user", "totp_confirmed_at", "password_changed_at", "sessions_valid_after"]
    readonly_fields = ["totp_confirmed_at", "password_changed_at", "sessions_valid_after"]
    raw_id_fields = ["user"]
    actions = ["logout_everywhere", "reset_two_factor"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user"] if obj else self.readonly_fields

    @admin.action(description="在所有设备上退出登录")
    def logout_everywhere(self, request, queryset):
        from .views import sign_out_everywhere

        for state in queryset.select_related("user"):
            sign_out_everywhere(user=state.user, actor=admin_actor(request))
        messages.success(request, f"已使 {queryset.count()} 个用户在所有设备上退出。")

    @admin.action(description="重置双因素认证（验证器丢失）")
    def reset_two_factor(self, request, queryset):
        from .twofactor import reset

        for state in queryset.select_related("user"):
            reset(user=state.user, actor=admin_actor(request))
        messages.success(request, f"已重置 {queryset.count()} 个用户的双因素认证，其下次登录时须重新设置。")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "actor", "count", "threshold", "baseline", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["actor"]
    fields = ["created_at", "kind", "actor", "user", "key", "ip", "window_start", "window_end", "count", "threshold", "baseline", "detail", "status", "acknowledged_by", "acknowledged_at", "note", "emailed_at"]
    readonly_fields = fields
