"""The bases on which a department may see a subject's non-public credit information.

- `QueryRight` (查询权限): the credit centre grants a department the right to query one catalog
  item, or every item of a kind (an item group: all penalties, all ratings), for a period, on a
  legal basis; revoked by the credit centre, effective at once.
- `Consent` (信息主体授权): a subject (from its portal account) or, on paper, a department on the
  subject's signed authorization, lets one department query its authorized-class information:
  purpose, scope (items or every authorized item), last day; revocable by the subject.
- `SpecialRequest` (特殊查询申请): a department asks for access beyond its rights (subjects,
  items, purpose, legal basis, period); the credit centre approves with a time and scope limit,
  which is a grant the rule honours until its last day, or refuses with reasons.

The rule that uses them is `selectors.visible_records` (re-exported by records.selectors). Every
date here is inclusive: a consent until 2026-12-31 works all of that day and no longer.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models


class QueryRight(models.Model):
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="query_rights")
    # exactly one of item_code (one item) and item_kind (every item of that kind)
    item_code = models.CharField("信息项", max_length=40, blank=True)
    item_kind = models.CharField("信息类别", max_length=30, blank=True)
    valid_from = models.DateField("有效期自")
    valid_until = models.DateField("有效期至", null=True, blank=True)  # null: until revoked
    legal_basis = models.CharField("法律依据", max_length=500)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField("授予时间")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoke_reason = models.CharField("撤销原因", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "查询权限"
        ordering = ["-id"]
        indexes = [models.Index(fields=["department", "revoked_at"], name="queryright_dept")]

    def __str__(self) -> str:
        return f"{self.department_id}:{self.item_code or 'kind:' + self.item_kind}"

    def in_force(self, day: date) -> bool:
        return self.revoked_at is None and self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class Consent(models.Model):
    SOURCE_CHOICES = [("portal", "本人在线授权"), ("paper", "书面授权（部门录入）")]

    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="consents")
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField("查询用途", max_length=200)
    all_items = models.BooleanField("全部授权查询类信息", default=False)
    items = models.JSONField("授权的信息项", default=list, blank=True)
    valid_from = models.DateField("授权自")
    expires_on = models.DateField("授权至")  # the last day the consent works
    source = models.CharField("授权方式", max_length=10, choices=SOURCE_CHOICES)
    account = models.ForeignKey("accounts.SubjectAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # a paper consent: the signed document, checked by common.uploads and kept outside the web root
    document_name = models.CharField("书面授权文件", max_length=200, blank=True)
    document_path = models.CharField(max_length=300, blank=True)
    document_type = models.CharField(max_length=40, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("授权时间")
    revoked_at = models.DateTimeField("撤回时间", null=True, blank=True)
    revoked_by_label = models.CharField("撤回人", max_length=150, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "信息主体授权"
        ordering = ["-id"]
        indexes = [models.Index(fields=["subject", "department"], name="consent_subject_dept")]

    def __str__(self) -> str:
        return f"consent {self.pk}: {self.subject_id} → {self.department_id}"

    def in_force(self, day: date) -> bool:
        return self.revoked_at is None and self.valid_from <= day <= self.expires_on

    def covers(self, item_code: str) -> bool:
        return self.all_items or item_code in (self.items or [])


class SpecialRequest(models.Model):
    STATUS_CHOICES = [("pending", "待审批"), ("approved", "已批准"), ("refused", "不予批准")]

    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="special_requests")
    subjects = models.ManyToManyField("subjects.Subject", related_name="+", verbose_name="查询对象")
    items = models.JSONField("申请查询的信息项", default=list)
    purpose = models.CharField("查询用途", max_length=200)
    legal_basis = models.CharField("法律依据", max_length=500)
    period_from = models.DateField("申请期限自")
    period_until = models.DateField("申请期限至")
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default="pending", db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField("申请时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=1000, blank=True)
    # an approval: the grant's scope (a subset of `items`) and its time limit
    granted_items = models.JSONField("批准的信息项", default=list, blank=True)
    grant_from = models.DateField("批准期限自", null=True, blank=True)
    grant_until = models.DateField("批准期限至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "特殊查询申请"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"special request {self.pk}"

    def in_force(self, day: date) -> bool:
        return self.status == "approved" and self.grant_from is not None and self.grant_until is not None and self.grant_from <= day <= self.grant_until
