"""Django admin for records (read-only: records change only through ingestion and the record
services, which keep history and the change feed). Encrypted values are never shown; opening a
non-public record is audited."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from xinyong.security.admin import ReadOnlyAdmin, admin_actor
from xinyong.security.services import audit_log

from .models import ChangeEvent, Record, RecordHistory


def _without_secrets(data) -> str:
    if isinstance(data, dict):
        data = {k: (_strip(v) if k == "data" else v) for k, v in data.items() if not str(k).startswith("_")}
    return json.dumps(data, ensure_ascii=False, indent=2)


def _strip(value):
    return {k: v for k, v in value.items() if not str(k).startswith("_")} if isinstance(value, dict) else value


class HistoryInline(admin.TabularInline):
    model = RecordHistory
    extra = 0
    fields = ["version", "action", "reason", "actor_label", "batch", "at", "state_shown"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="原内容")
    def state_shown(self, obj):
        return format_html("<pre>{}</pre>", _without_secrets(obj.state))


@admin.register(Record)
class RecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "item_code", "department", "subject", "document_no", "decided_on", "status", "disclosure", "received_at"]
    list_filter = ["status", "disclosure", "authority_level", "item_code"]
    search_fields = ["source_id", "document_no", "subject__uscc", "subject__name"]
    list_select_related = ["department", "subject"]
    date_hierarchy = "decided_on"
    show_full_result_count = False
    fields = [
        "item_code", "department", "subject", "batch", "row_no", "source_id", "document_no", "decided_on", "valid_from", "valid_until",
        "severity", "authority_level", "disclosure", "publish_from", "publish_until", "repair_from", "publication_rule",
        "report_deadline", "on_time", "status", "version", "received_at", "updated_at", "data_shown",
    ]
    readonly_fields = fields
    inlines = [HistoryInline]

    @admin.display(description="内容")
    def data_shown(self, obj):
        return format_html("<pre>{}</pre>", _without_secrets(_strip(obj.data)))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        from xinyong.ingestion.selectors import record_is_public

        record = Record.objects.select_related("subject").filter(pk=object_id).first() if str(object_id).isdigit() else None
        if record is not None and not record_is_public(record):
            audit_log(actor=admin_actor(request), action="record.view", object_type="record", object_id=record.pk, subject_id=record.subject_id, purpose="管理后台查看", detail={"item": record.item_code, "disclosure": record.disclosure})
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "op", "entity", "entity_id", "subject_id", "item_code", "batch_id"]
    list_filter = ["op", "entity"]
    search_fields = ["item_code"]
    show_full_result_count = False
