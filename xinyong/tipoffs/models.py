"""Tip-offs (失信举报) on top of the case machinery (xinyong.cases): what the case itself does not
hold. The reporter's identity and contact are kept only here, encrypted (`common.crypto`, the
platform's field encryption); a keyed hash of the contact counts reports flagged as malicious or
false per contact without revealing it. Each department taking part in the joint verification
(联合核查) enters its finding."""

from django.db import models

FINDING_CHOICES = [("confirmed", "查证属实"), ("unfounded", "查无实据"), ("partly", "部分属实")]
REPORTER_CHOICES = [("anonymous", "匿名"), ("named", "实名"), ("account", "主体账户")]


class Tipoff(models.Model):
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="tipoff")
    category = models.CharField("举报类别", max_length=30)
    occurred_from = models.DateField("失信行为发生日期", null=True, blank=True)
    occurred_until = models.DateField("持续至", null=True, blank=True)
    reporter_kind = models.CharField("举报方式", max_length=10, choices=REPORTER_CHOICES)
    # name, contact, portal account and client address of the reporter, as encrypted JSON
    reporter_encrypted = models.TextField(blank=True)
    # keyed hash of the normalized contact: flags are counted per contact (never shown)
    contact_hash = models.CharField(max_length=64, blank=True, db_index=True)
    public_reply = models.TextField("公开答复", blank=True)
    flagged = models.BooleanField("恶意或虚假举报", default=False)
    flag_reason = models.TextField("标记理由", blank=True)
    flagged_on = models.DateField(null=True, blank=True)
    record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="tipoffs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "失信举报"

    def __str__(self) -> str:
        return f"举报 {self.case_id}"


class TipoffFinding(models.Model):
    """One department's finding in the joint verification; the lead department's concludes the case."""

    tipoff = models.ForeignKey(Tipoff, on_delete=models.CASCADE, related_name="findings")
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="tipoff_findings")
    lead = models.BooleanField("牵头部门", default=False)
    finding = models.CharField("核查结论", max_length=10, choices=FINDING_CHOICES)
    note = models.TextField("核查情况")
    actor_label = models.CharField(max_length=150)
    on = models.DateField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "联合核查意见"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tipoff", "department"], name="uniq_tipoff_finding")]

    def __str__(self) -> str:
        return f"{self.tipoff_id} {self.department_id} {self.finding}"
