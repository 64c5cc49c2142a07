"""Django admin for the credit centre: departments (contact person, operators), and what the
catalog loaded (regions, items, loads), read-only: the catalog YAML is the source."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils.html import format_html

from xinyong.security.admin import AuditedAdmin, ReadOnlyAdmin
from xinyong.security.models import Role

from .models import CatalogItem, CatalogLoad, Department, DepartmentMembership, Region


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "short", "level", "parent", "gb2260"]
    list_filter = ["level", "gb2260"]
    search_fields = ["code", "name", "short"]


class MembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]
    verbose_name = verbose_name_plural = "部门报送员"


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    """Names, levels and regions come from the catalog (departments.yaml, `catalog sync`); the
    credit centre keeps the contact person, the operators and whether the department is active."""

    list_display = ["code", "name", "level", "region", "system", "active", "contact_name", "contact_phone", "member_count"]
    list_filter = ["level", "active", "system"]
    search_fields = ["code", "name", "short_name", "now_name"]
    list_select_related = ["region"]
    fields = ["code", "name", "short_name", "now_name", "system", "level", "region", "parent", "kind", "active", "contact_name", "contact_phone"]
    readonly_fields = ["code", "name", "short_name", "now_name", "system", "level", "region", "parent", "kind"]
    inlines = [MembershipInline]

    @admin.display(description="报送员")
    def member_count(self, obj):
        return obj.members.count()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is DepartmentMembership:
            # an operator is a member of a department *and* of the operator group
            group, _ = Group.objects.get_or_create(name=Role.DEPARTMENT_OPERATOR)
            for membership in formset.new_objects + [obj for obj, _ in formset.changed_objects]:
                membership.user.groups.add(group)


@admin.register(CatalogItem)
class CatalogItemAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "owner", "nature", "disclosure", "active", "loaded_at"]
    list_filter = ["active", "nature", "disclosure", "owner"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "owner", "nature", "disclosure", "active", "catalog_digest", "loaded_at", "definition_pretty"]
    readonly_fields = fields

    @admin.display(description="定义")
    def definition_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.definition, ensure_ascii=False, indent=2))


@admin.register(CatalogLoad)
class CatalogLoadAdmin(ReadOnlyAdmin):
    list_display = ["loaded_at", "version", "digest"]
    fields = ["loaded_at", "version", "digest", "summary"]
    readonly_fields = fields
