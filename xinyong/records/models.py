"""The credit file (信用档案): records, their history and the change feed.

A record is one fact about one subject from one department (一数一源), keyed by
(item, department, source record id). Its item-specific fields are in `data` (sensitive ones
encrypted); the columns are what the platform queries: dates, severity, disclosure class and the
publication period. Every record keeps its lineage: department, batch, row, received time and the
source document number.
"""

from django.db import models

STATUS_CHOICES = [("active", "有效"), ("withdrawn", "已撤销"), ("repaired", "已修复")]
DISCLOSURE_CHOICES = [("public", "公开"), ("authorized", "授权查询"), ("internal", "内部")]
AUTHORITY_LEVEL_CHOICES = [("national", "国家级"), ("province", "省级"), ("city", "市级"), ("county", "县级")]


class Record(models.Model):
    item_code = models.CharField("信息项", max_length=40)
    # no single-column indexes: (department, received_at) and (subject, item_code) lead with them
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="records", db_index=False)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="records", db_index=False)
    batch = models.ForeignKey("ingestion.Batch", null=True, blank=True, on_delete=models.PROTECT, related_name="records")
    row_no = models.IntegerField("批次行号", null=True, blank=True)
    source_id = models.CharField("来源记录编号", max_length=64)
    content_hash = models.CharField(max_length=32)
    document_no = models.CharField("决定文书号", max_length=100, blank=True)
    decided_on = models.DateField("决定日期")
    valid_from = models.DateField("有效期自", null=True, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    severity = models.CharField("失信程度", max_length=4, blank=True)
    authority_level = models.CharField("认定机关级别", max_length=10, choices=AUTHORITY_LEVEL_CHOICES)
    disclosure = models.CharField("公开属性", max_length=12, choices=DISCLOSURE_CHOICES)
    publish_from = models.DateField("公示起始", null=True, blank=True)
    publish_until = models.DateField("公示截止", null=True, blank=True)  # null: no end date
    repair_from = models.DateField("可申请修复日期", null=True, blank=True)
    publication_rule = models.CharField("公示规则版本", max_length=40, blank=True)
    report_deadline = models.DateField("报送时限", null=True, blank=True)
    on_time = models.BooleanField("按时报送", null=True)
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default="active")
    # an objection (异议) about this record is being handled: the portal marks it (issue 6 sets it)
    under_objection = models.BooleanField("异议处理中", default=False)
    # when the publication job noticed the end of the publication period (the portal stops
    # showing a record at publish_until by date alone; this marks that the end was processed)
    unpublished_at = models.DateTimeField("停止公示时间", null=True, blank=True)
    version = models.IntegerField("版本", default=1)
    data = models.JSONField("内容")
    received_at = models.DateTimeField("接收时间")
    updated_at = models.DateTimeField("更新时间")

    class Meta:
        verbose_name = verbose_name_plural = "信用记录"
        constraints = [
            models.UniqueConstraint(fields=["item_code", "department", "source_id"], name="uniq_record_source"),
        ]
        indexes = [
            models.Index(fields=["subject", "item_code"], name="record_subject_item"),
            models.Index(fields=["item_code", "decided_on"], name="record_item_decided"),
            models.Index(fields=["department", "received_at"], name="record_dept_received"),
        ]

    def __str__(self) -> str:
        return f"{self.item_code}:{self.source_id}"


class RecordHistory(models.Model):
    """The state of a record before each correction (更正) or withdrawal (撤销)."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="history")
    version = models.IntegerField("被替换的版本")
    action = models.CharField("操作", max_length=12)  # correct / withdraw
    state = models.JSONField("原内容")
    reason = models.CharField("原因", max_length=500, blank=True)
    batch = models.ForeignKey("ingestion.Batch", null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField("操作者", max_length=150)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "记录变更历史"
        ordering = ["record", "version"]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version} {self.action}"


class FeedCursor(models.Model):
    """How far a consumer of the change feed has read (search index, list derivation,
    incremental evaluation, outbound exchange)."""

    consumer = models.CharField(max_length=40, unique=True)
    seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "变更流水读取位置"

    def __str__(self) -> str:
        return f"{self.consumer}@{self.seq}"


class ChangeEvent(models.Model):
    """The change feed: append-only, sequence = primary key, written in the same transaction as
    the change. Search index, incremental evaluation and outbound exchange read from a cursor."""

    OPS = [("ADD", "新增"), ("MOD", "修改"), ("DEL", "删除")]
    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    entity = models.CharField(max_length=12)  # record / subject / list_entry
    entity_id = models.BigIntegerField()
    subject_id = models.BigIntegerField(db_index=True)
    item_code = models.CharField(max_length=40, blank=True)
    op = models.CharField(max_length=3, choices=OPS)
    batch_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "变更流水"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.op} {self.entity}:{self.entity_id}"
