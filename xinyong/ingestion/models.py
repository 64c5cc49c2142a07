"""Batches (报送批次), their row errors, and the review queue of records whose subject could not
be identified with certainty."""

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models

from xinyong.common.filestore import stored_at

MODE_CHOICES = [("submit", "报送"), ("correct", "更正"), ("withdraw", "撤销")]
DOOR_CHOICES = [("cli", "命令行"), ("web", "网页上传"), ("api", "接口"), ("demo", "演示数据")]
STATUS_CHOICES = [
    ("queued", "排队中"),
    ("running", "处理中"),
    ("succeeded", "已完成"),
    ("failed", "失败"),
]


class Batch(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="batches")
    item_code = models.CharField("信息项", max_length=40)
    mode = models.CharField("方式", max_length=10, choices=MODE_CHOICES, default="submit")
    door = models.CharField("渠道", max_length=10, choices=DOOR_CHOICES)
    filename = models.CharField("文件名", max_length=255, blank=True)
    file_path = models.CharField(max_length=500, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    file_size = models.BigIntegerField(default=0)
    format = models.CharField("格式", max_length=10, blank=True)
    encoding = models.CharField("编码", max_length=20, blank=True)
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default="queued", db_index=True)
    total_rows = models.IntegerField("总行数", default=0)
    accepted = models.IntegerField("接收", default=0)
    rejected = models.IntegerField("拒收", default=0)
    unchanged = models.IntegerField("重复（未变化）", default=0)
    to_review = models.IntegerField("待人工关联", default=0)
    error_file = models.CharField(max_length=500, blank=True)
    message = models.TextField("说明", blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    api_key = models.ForeignKey("security.ApiKey", null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField("报送人", max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "报送批次"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"批次 {self.id} {self.item_code} {self.get_status_display()}"

    @property
    def done(self) -> bool:
        return self.status in ("succeeded", "failed")

    @property
    def folder(self) -> Path:
        """The batch's working folder: the upload while it waits, the progress, the error file."""
        return Path(settings.XINYONG["BATCH_DIR"]) / str(self.public_id)

    @property
    def source_path(self) -> Path:
        """The file to process: the upload's copy in the batch's folder (kept by name), or a file
        of the server's named in full (a local import that is not copied)."""
        path = Path(self.file_path)
        return path if path.is_absolute() else self.folder / path

    @property
    def error_path(self) -> Path | None:
        """The rejected rows' file, kept by name in the batch's folder (filestore.stored_at); None
        when the batch has none."""
        return stored_at(self.folder, self.error_file)

    def summary(self) -> dict:
        return {
            "batch": str(self.public_id),
            "batch_no": self.id,
            "status": self.status,
            "department": self.department.code,
            "item": self.item_code,
            "mode": self.mode,
            "total": self.total_rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unchanged": self.unchanged,
            "to_review": self.to_review,
            "errors": str(self.error_path) if self.error_file else None,
            "message": self.message or None,
            "code": self.error_code or None,
            "warnings": self.warnings,
        }


class BatchError(models.Model):
    """The first rejected rows of a batch, for display (all of them are in the error file)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="row_errors")
    row_no = models.IntegerField("行号")
    field = models.CharField("字段", max_length=100, blank=True)
    message = models.CharField("原因", max_length=500)

    class Meta:
        verbose_name = verbose_name_plural = "拒收行"
        ordering = ["batch", "row_no"]

    def __str__(self) -> str:
        return f"第{self.row_no}行 {self.field}：{self.message}"


class ReviewItem(models.Model):
    """A valid row whose subject is named only by a name that does not match exactly one subject:
    an operator links it to a subject (or rejects it). It is never attached to a guessed subject."""

    STATUS = [("open", "待处理"), ("linked", "已关联"), ("rejected", "已退回")]
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="review_items")
    row_no = models.IntegerField()
    subject_name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)
    reason = models.CharField(max_length=200)
    candidates = models.JSONField(default=list)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=STATUS, default="open", db_index=True)
    subject = models.ForeignKey("subjects.Subject", null=True, blank=True, on_delete=models.PROTECT)
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.SET_NULL)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "待人工关联记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.subject_name}（批次{self.batch_id}第{self.row_no}行）"
