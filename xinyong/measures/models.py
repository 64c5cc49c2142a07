"""Checks (触发) and feedback (反馈) of joint rewards and punishments.

A `Check` row is the audit of one check: who asked (key, department), for which case and matter,
about which subject, what was answered (its digest and the measures), on which data (the change
feed's position). It is written in the request, one compact row (plus one `CheckHit` per measure
answered, when there is any), so that auditing does not dominate the check's latency. A bulk
check writes one `BulkCheck` row for the call and one `CheckHit` per (subject, measure) answered.

`Feedback` is what a department reports it did: the measure applied (or not) in a case, with its
outcome; one row per (department, case, subject, measure) — a replay is answered from it.
"""

import uuid

from django.db import models


class BulkCheck(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField("核查时间")
    key = models.ForeignKey("security.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, db_index=False)
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+")
    case_no = models.CharField("案件编号", max_length=100)
    matter = models.CharField("事项类型", max_length=40)
    filename = models.CharField("文件名", max_length=200, blank=True)
    total = models.IntegerField("提交条数")
    unique = models.IntegerField("不重复主体数")
    duplicates = models.IntegerField("重复条数")
    not_found = models.IntegerField("平台无记录的主体数")
    with_measures = models.IntegerField("有适用措施的主体数")
    digest = models.CharField("答复摘要", max_length=64)
    data_seq = models.BigIntegerField("数据版本（变更流水位置）")
    data_at = models.DateTimeField("数据截至", null=True, blank=True)
    catalog_version = models.CharField("措施清单版本", max_length=20)
    seconds = models.FloatField("耗时（秒）", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "批量核查"
        indexes = [models.Index(fields=["department", "case_no"], name="bulkcheck_dept_case")]

    def __str__(self) -> str:
        return f"bulk {self.public_id} {self.case_no}"


class Check(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField("核查时间")
    # no foreign key in the database (the ORM's on_delete still holds; keys and departments are
    # never deleted, only revoked or deactivated): PostgreSQL checked both references of every
    # check row at commit by locking the key's and the department's row FOR KEY SHARE — the same
    # rows for all of a department's checks, a WAL record each; with the nonce's and the request
    # log line's, 15 % of the database's CPU per check (docs/benchmarks.md).
    key = models.ForeignKey("security.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, db_index=False, db_constraint=False)
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    case_no = models.CharField("案件编号", max_length=100)
    matter = models.CharField("事项类型", max_length=40)
    subject_id = models.BigIntegerField("信用主体", null=True, blank=True)  # null: not on the platform
    subject_code = models.CharField("主体代码（个人脱敏）", max_length=32)
    hits = models.IntegerField("适用措施数", default=0)
    digest = models.CharField("答复摘要", max_length=64)
    data_seq = models.BigIntegerField("数据版本（变更流水位置）")
    catalog_version = models.CharField("措施清单版本", max_length=20)

    class Meta:
        verbose_name = verbose_name_plural = "核查记录"
        indexes = [models.Index(fields=["department", "case_no"], name="check_dept_case")]

    def __str__(self) -> str:
        return f"check {self.public_id} {self.case_no}"


class CheckHit(models.Model):
    """A measure answered to a department for a subject in a case (of a check or a bulk check)."""

    check_row = models.ForeignKey(Check, null=True, blank=True, on_delete=models.CASCADE, related_name="hit_rows")
    bulk = models.ForeignKey(BulkCheck, null=True, blank=True, on_delete=models.CASCADE, related_name="hit_rows", db_index=False)
    at = models.DateTimeField("核查时间")
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+", db_index=False)
    case_no = models.CharField("案件编号", max_length=100)
    matter = models.CharField("事项类型", max_length=40)
    subject_id = models.BigIntegerField("信用主体")
    measure = models.CharField("措施", max_length=40)
    reasons = models.CharField("触发原因", max_length=400)  # "list:env_bad#12;grade:environmental:环保不良企业"

    class Meta:
        verbose_name = verbose_name_plural = "触发的措施"
        indexes = [
            models.Index(fields=["department", "case_no", "subject_id"], name="checkhit_case"),
            models.Index(fields=["department", "measure"], name="checkhit_dept_measure"),
        ]

    def __str__(self) -> str:
        return f"{self.case_no} {self.measure}"


class Feedback(models.Model):
    OUTCOMES = [("applied", "已实施"), ("not_applied", "未实施")]

    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+", db_index=False)
    case_no = models.CharField("案件编号", max_length=100)
    subject_id = models.BigIntegerField("信用主体")
    measure = models.CharField("措施", max_length=40)
    matter = models.CharField("事项类型", max_length=40)
    check_row = models.ForeignKey(Check, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    bulk = models.ForeignKey(BulkCheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    applied = models.BooleanField("已实施")
    outcome = models.CharField("实施结果", max_length=500)
    decided_on = models.DateField("实施日期", null=True, blank=True)
    at = models.DateTimeField("报送时间")
    key = models.ForeignKey("security.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, db_index=False)

    class Meta:
        verbose_name = verbose_name_plural = "措施执行反馈"
        constraints = [
            models.UniqueConstraint(fields=["department", "case_no", "subject_id", "measure"], name="uniq_feedback_case_measure"),
        ]
        indexes = [models.Index(fields=["department", "measure"], name="feedback_dept_measure")]

    def __str__(self) -> str:
        return f"{self.case_no} {self.measure} {'applied' if self.applied else 'not applied'}"
