"""Django admin for subjects: ID numbers only masked (never the hash or the encrypted value);
an individual's page and a search by ID number are audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from xinyong.common.masking import mask_id_number
from xinyong.common.normalize import normalize_code
from xinyong.security.admin import AuditedAdmin, ReadOnlyAdmin, admin_actor
from xinyong.security.services import audit_log

from .identifiers import InvalidCode, clean_id_number, id_lookup_hash
from .models import Subject, SubjectIdentifier, SubjectName


class IdentifierInline(admin.TabularInline):
    model = SubjectIdentifier
    extra = 0
    fields = ["scheme", "value", "source", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class NameInline(admin.TabularInline):
    model = SubjectName
    extra = 0
    fields = ["name", "valid_from", "valid_to", "source"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "名称历史（曾用名）"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(subject__kind="individual")


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdmin):
    list_display = ["id", "shown_name", "kind", "shown_code", "region", "status", "registered"]
    list_filter = ["kind", "registered"]
    search_fields = ["uscc", "name"]
    fields = ["kind", "shown_name", "uscc", "id_masked", "region", "status", "legal_rep", "registered_on", "registered", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [IdentifierInline, NameInline]
    show_full_result_count = False

    @admin.display(description="名称")
    def shown_name(self, obj):
        return obj.display_name

    @admin.display(description="代码")
    def shown_code(self, obj):
        return obj.display_code

    def get_search_results(self, request, queryset, search_term):
        term = (search_term or "").strip()
        if len(term) == 18 and term[:17].isdigit():
            try:
                number = clean_id_number(term)
            except InvalidCode:
                number = None
            if number:
                audit_log(actor=admin_actor(request), action="subject.search_id", object_type="subject", purpose="管理后台按证件号码查找", detail={"id": mask_id_number(number)})
                return queryset.filter(id_hash=id_lookup_hash(number)), False
        term = normalize_code(term) if len(term) == 18 else term
        return super().get_search_results(request, queryset, term)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        subject = Subject.objects.filter(pk=object_id).only("kind").first() if str(object_id).isdigit() else None
        if subject is not None and subject.is_individual:
            audit_log(actor=admin_actor(request), action="subject.view", object_type="subject", object_id=subject.pk, subject_id=subject.pk, purpose="管理后台查看自然人主体")
        return super().change_view(request, object_id, form_url, extra_context)


class IdentifierForm(forms.ModelForm):
    class Meta:
        model = SubjectIdentifier
        fields = ["subject", "scheme", "value", "source"]

    def clean_value(self):
        value = normalize_code(self.cleaned_data["value"])
        if not value:
            raise forms.ValidationError("请填写代码")
        return value

    def clean(self):
        data = super().clean()
        subject = data.get("subject")
        if subject is not None and subject.is_individual:
            self.add_error("subject", "旧代码只对应到组织，不对应到自然人")
        return data


@admin.register(SubjectIdentifier)
class SubjectIdentifierAdmin(AuditedAdmin):
    """Legacy identifiers (organization code, old registration number...) mapped to a subject."""

    form = IdentifierForm
    list_display = ["scheme", "value", "subject", "source", "created_at"]
    list_filter = ["scheme"]
    search_fields = ["value", "subject__uscc", "subject__name"]
    autocomplete_fields = ["subject"]
    list_select_related = ["subject"]

    def get_readonly_fields(self, request, obj=None):
        return ["created_at"] if obj is None else ["subject", "scheme", "value", "created_at"]

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, normalize_code(search_term) if len(search_term.strip()) in (9, 10, 15, 18) else search_term)
