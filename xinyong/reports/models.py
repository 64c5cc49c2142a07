"""Issued credit reports (公共信用信息报告).

A report is a PDF of a subject's public credit file as of the moment it was issued. The platform
keeps what it needs to vouch for it later, not the PDF itself: the content snapshot (canonical
JSON, exactly the bytes that were hashed and rendered), its SHA-256, the SHA-256 of the PDF, and
a keyed hash of the verification code printed on it. Nothing about the requester in clear: only
a keyed hash of the address, to look into abuse.
"""

from django.db import models

DOOR_CHOICES = [("web", "网站"), ("api", "接口")]


class CreditReport(models.Model):
    # random, not a sequence: JL + issuing date + 10 random base-32 characters (50 bits)
    number = models.CharField("报告编号", max_length=24, unique=True)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="credit_reports")
    issued_at = models.DateTimeField("出具时间")
    as_of = models.DateField("信息截至日")  # the day whose publication windows were applied
    # canonical JSON (sorted keys, no spaces, UTF-8): kept as text so the hashed bytes stay exact
    content = models.TextField("报告内容快照")
    content_sha256 = models.CharField("内容摘要（SHA-256）", max_length=64)
    pdf_sha256 = models.CharField("PDF 文件摘要（SHA-256）", max_length=64)
    pdf_bytes = models.PositiveIntegerField("PDF 文件大小")
    pages = models.PositiveSmallIntegerField("页数")
    facts = models.PositiveIntegerField("信息条数")
    # HMAC-SHA256 (platform lookup key) of the number and the verification code printed on the
    # report: the code is checked without being stored
    code_hash = models.CharField("验证码摘要", max_length=64)
    requester_hash = models.CharField("申请方地址摘要", max_length=64, blank=True)
    door = models.CharField("渠道", max_length=4, choices=DOOR_CHOICES)

    class Meta:
        verbose_name = verbose_name_plural = "信用报告"
        indexes = [models.Index(fields=["subject", "issued_at"], name="report_subject_issued")]

    def __str__(self) -> str:
        return self.number
