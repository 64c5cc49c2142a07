"""Credit commitments (信用承诺, 国办发〔2019〕35号): what a subject signed, for which matter and case,
before which department, with the text frozen as signed (and its hash), its validity, its
disclosure, and how it ended: fulfilled (fully or partly) or breached — a breach points at the
negative record it created and the focus-list proposal it started."""

from django.db import models

from .templates import DISCLOSURES, KINDS

DOOR_CHOICES = [("portal", "主体网上签署"), ("department", "部门录入（纸质或本部门系统签署）"), ("api", "部门系统接口")]
STATUS_CHOICES = [
    ("in_force", "履约中"),
    ("fulfilled", "全部履约"),
    ("partly", "部分履约"),
    ("breached", "未履约（违背承诺）"),
]
# the catalog's 履约状态 (fulfilment) of each status
FULFILMENT = {"in_force": "履约中", "fulfilled": "全部履约", "partly": "部分履约", "breached": "未履约"}


class Commitment(models.Model):
    code = models.CharField("承诺编码", max_length=20, unique=True)  # 6-digit area + 8-digit date + 6-digit serial
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="commitments")
    template = models.CharField("承诺书范本", max_length=64)
    templates_version = models.CharField("范本版本", max_length=20)
    name = models.CharField("承诺书名称", max_length=100)
    kind = models.CharField("承诺类型", max_length=24, choices=list(KINDS.items()))
    matter = models.CharField("事项类型", max_length=40, db_index=True)
    matter_name = models.CharField("事项类型名称", max_length=40)
    case_no = models.CharField("办件编号", max_length=64)
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+", verbose_name="受理单位")
    text = models.TextField("承诺内容（签署时的文本）")
    text_sha256 = models.CharField("承诺内容摘要", max_length=64)
    legal_basis = models.TextField("依据")
    breach_rule = models.JSONField("违诺后果（签署时的范本）", default=dict)
    signed_on = models.DateField("承诺日期", db_index=True)
    signed_at = models.DateTimeField("签署时间")
    valid_until = models.DateField("有效期至", null=True, blank=True)  # null: 长期
    door = models.CharField("签署渠道", max_length=12, choices=DOOR_CHOICES)
    signed_by = models.CharField("签署或录入人", max_length=150)
    disclosure = models.CharField("公开类型", max_length=12, choices=list(DISCLOSURES.items()), default="public")
    # the department's copy of a commitment signed on paper or in its own system
    document_name = models.CharField("承诺书文件名", max_length=200, blank=True)
    document_path = models.CharField("承诺书文件", max_length=500, blank=True)
    document_sha256 = models.CharField("承诺书文件摘要", max_length=64, blank=True)
    nonce = models.CharField("表单一次性令牌", max_length=64, null=True, blank=True, unique=True)
    status = models.CharField("履约状态", max_length=12, choices=STATUS_CHOICES, default="in_force", db_index=True)
    outcome_on = models.DateField("履约或违诺认定日期", null=True, blank=True)
    outcome_facts = models.TextField("事实", blank=True)
    outcome_document_no = models.CharField("文书号", max_length=64, blank=True)
    outcome_by = models.CharField("认定人", max_length=150, blank=True)
    breach_record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="违诺信用记录")
    focus_entry = models.ForeignKey("sanctions.ListEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="拟列入重点关注名单")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用承诺"
        ordering = ["-signed_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["subject", "matter", "case_no"], name="uniq_commitment_matter_case")]
        indexes = [models.Index(fields=["department", "status"], name="commitment_dept_status")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def fulfilment(self) -> str:
        return FULFILMENT[self.status]

    def in_force_on(self, day) -> bool:
        return self.signed_on <= day and (self.valid_until is None or day <= self.valid_until)
