"""Portal accounts of credit subjects (主体账户), their authorization letters, and notifications.

A portal account is a Django user with a `SubjectAccount`; staff users (department operators, the
credit centre) have none, so a staff user is never a subject account. An account acts for one
subject: an organization (by USCC, through an authorized person, 经办人) or an individual (by the
lookup hash of their ID number). The subject itself is resolved at read time
(`accounts.selectors.account_subject`), so an individual whose file appears later sees it at once.
"""

from django.conf import settings
from django.db import models


class SubjectAccount(models.Model):
    KIND_CHOICES = [("organization", "单位账户"), ("individual", "个人账户")]
    STATUS_CHOICES = [
        ("pending", "待审核授权委托书"),
        ("active", "已启用"),
        ("refused", "授权委托书未通过审核"),
        ("disabled", "已停用"),
    ]
    BASIS_CHOICES = [
        ("legal_rep", "登记的法定代表人"),
        ("authorization", "授权委托书（经信用中心审核）"),
        ("realname", "本人实名核验"),
        ("", "—"),
    ]

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subject_account")
    kind = models.CharField("账户类型", max_length=12, choices=KIND_CHOICES)
    # organization accounts: the subject's USCC; individual accounts: the lookup hash of the ID number
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True, db_index=True)
    subject_id_hash = models.CharField("本人证件号码摘要", max_length=64, blank=True, db_index=True)
    # the account holder (经办人 or the individual): real name and ID number encrypted, shown masked
    holder_name_encrypted = models.TextField(blank=True)
    holder_name_masked = models.CharField("经办人姓名（脱敏）", max_length=50, blank=True)
    holder_id_hash = models.CharField("经办人证件号码摘要", max_length=64, db_index=True)
    holder_id_masked = models.CharField("经办人证件号码（脱敏）", max_length=32, blank=True)
    mobile_encrypted = models.TextField(blank=True)
    mobile_masked = models.CharField("手机号码（脱敏）", max_length=20, blank=True)
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, db_index=True)
    basis = models.CharField("启用依据", max_length=14, choices=BASIS_CHOICES, blank=True)
    verified_at = models.DateTimeField("实名核验时间")
    activated_at = models.DateTimeField("启用时间", null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status_reason = models.CharField("原因", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "主体账户"
        constraints = [
            # one individual account per person (an enterprise may have several)
            models.UniqueConstraint(fields=["subject_id_hash"], condition=models.Q(kind="individual"), name="uniq_individual_account"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uscc or self.holder_id_masked}（{self.get_status_display()}）"

    @property
    def is_active_account(self) -> bool:
        return self.status == "active" and self.user.is_active


class AuthorizationLetter(models.Model):
    """An authorization letter (授权委托书) uploaded by an organization's authorized person."""

    DECISIONS = [("", "待审核"), ("approved", "通过"), ("refused", "不通过")]

    account = models.ForeignKey(SubjectAccount, on_delete=models.CASCADE, related_name="letters")
    file = models.FileField(upload_to="accounts/letters/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField("审核结果", max_length=10, choices=DECISIONS, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField("审核意见", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "授权委托书"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"授权委托书 #{self.pk}"


class Notification(models.Model):
    """A portal notification (站内信) to one user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    subject = models.ForeignKey("subjects.Subject", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    url = models.CharField("链接", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内信"
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class SelfReport(models.Model):
    """A credit report a subject downloaded about itself (the yearly free quota counts these)."""

    account = models.ForeignKey(SubjectAccount, on_delete=models.PROTECT, related_name="self_reports")
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey("reports.CreditReport", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(db_index=True)
    issued_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "本人信用报告"

    def __str__(self) -> str:
        return f"{self.year} #{self.pk}"
