"""Django admin for batches and the review queue, read-only: batches are written by the
pipeline, review items are handled on the review pages (/dept/review/)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from xinyong.security.admin import ReadOnlyAdmin

from .models import Batch, BatchError, ReviewItem


class BatchErrorInline(admin.TabularInline):
    model = BatchError
    extra = 0
    fields = ["row_no", "field", "message"]
    readonly_fields = fields
    can_delete = False
    max_num = 0


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "department", "item_code", "mode", "door", "status", "total_rows", "accepted", "rejected", "unchanged", "to_review", "actor_label", "created_at"]
    list_filter = ["status", "mode", "door", "item_code"]
    search_fields = ["public_id", "filename", "department__code", "department__name", "actor_label"]
    list_select_related = ["department"]
    date_hierarchy = "created_at"
    fields = [
        "page_link", "public_id", "department", "item_code", "mode", "door", "status", "filename", "format", "encoding", "file_size", "file_sha256",
        "total_rows", "accepted", "rejected", "unchanged", "to_review", "message", "error_code", "warnings", "duplicate_of",
        "actor_label", "created_by", "api_key", "created_at", "started_at", "finished_at",
    ]
    readonly_fields = fields
    inlines = [BatchErrorInline]

    @admin.display(description="批次页面")
    def page_link(self, obj):
        return format_html('<a href="{}">打开批次页面（含拒收行文件下载）</a>', reverse("dept:batch", args=[obj.public_id]))


@admin.register(ReviewItem)
class ReviewItemAdmin(ReadOnlyAdmin):
    list_display = ["id", "subject_name", "reason", "batch", "row_no", "status", "resolved_by", "resolved_at"]
    list_filter = ["status"]
    search_fields = ["subject_name", "name_key"]
    list_select_related = ["batch", "resolved_by"]
    fields = ["page_link", "batch", "row_no", "subject_name", "reason", "candidates", "status", "subject", "record", "resolved_by", "resolved_at", "note"]
    readonly_fields = fields

    @admin.display(description="处理")
    def page_link(self, obj):
        return format_html('<a href="{}">在待人工关联页面处理</a>', reverse("dept:review_item", args=[obj.pk]))
