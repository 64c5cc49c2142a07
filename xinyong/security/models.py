"""Roles, API keys of department systems, and the audit trail."""

from django.conf import settings
from django.db import models


class Role:
    """Django groups that carry the platform's roles."""

    PLATFORM_ADMIN = "platform_admin"  # 信用中心管理员
    DEPARTMENT_OPERATOR = "department_operator"  # 部门报送员

    LABELS = {PLATFORM_ADMIN: "信用中心管理员", DEPARTMENT_OPERATOR: "部门报送员"}


class ApiKey(models.Model):
    """Credentials of a department's system (部门业务系统接口凭证).

    The client sends `Authorization: Bearer <key_id>.<secret>`. Only a hash of the secret is kept
    for bearer checks; the secret itself is kept encrypted so that signed requests (HMAC, issue #7)
    can be verified.
    """

    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField("名称", max_length=100)
    key_id = models.CharField("密钥标识", max_length=32, unique=True)
    secret_hash = models.CharField(max_length=64)
    secret_encrypted = models.TextField()
    scopes = models.JSONField("权限范围", default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = verbose_name_plural = "接口密钥"

    def __str__(self) -> str:
        return f"{self.name}（{self.key_id}）"


class AuditEntry(models.Model):
    """Every write, and every read of non-public data: who, what, when, why."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor_type = models.CharField("操作者类型", max_length=10)  # user / key / system / public
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField("操作者", max_length=150)
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=40)
    object_id = models.CharField("对象标识", max_length=64, blank=True)
    subject_id = models.BigIntegerField("信用主体", null=True, blank=True, db_index=True)
    purpose = models.CharField("目的", max_length=200, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
