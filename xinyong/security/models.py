"""Roles, API keys of department systems, and the audit trail (append-only, hash-chained:
see `security/chain.py` and docs/security.md, "Audit chain")."""

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
    # after a rotation the previous secret stays valid until previous_valid_until (the overlap,
    # XINYONG_API_ROTATION_OVERLAP_HOURS), so that the department's systems can switch over
    previous_secret_hash = models.CharField(max_length=64, blank=True, default="")
    previous_secret_encrypted = models.TextField(blank=True, default="")
    previous_valid_until = models.DateTimeField("旧密钥有效至", null=True, blank=True)
    # requests per period ("600/m"); empty: XINYONG_API_KEY_RATE
    rate_limit = models.CharField("频率限制", max_length=20, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "接口密钥"

    def __str__(self) -> str:
        return f"{self.name}（{self.key_id}）"


class AppendOnlyQuerySet(models.QuerySet):
    """No UPDATE or DELETE through the ORM (on PostgreSQL a trigger refuses them too)."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: update refused")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only: delete refused")

    _raw_delete = delete


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} is append-only: update refused")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} is append-only: delete refused")


# References from the audit trail are historical: a deleted user, key or department keeps its id
# in the entries (and its name in actor_label); no cascade may ever rewrite an entry.
_HISTORICAL = {"null": True, "blank": True, "on_delete": models.DO_NOTHING, "db_constraint": False, "related_name": "+"}


class AuditEntry(AppendOnlyModel):
    """Every write, and every read of non-public data: who, what, when, why.

    Append-only and hash-chained: `seq` is the entry's position in the chain (1, 2, 3 ...),
    `hash` the SHA-256 of its canonical form, which includes `prev_hash`, the hash of entry
    seq - 1. Written only by `services.audit_log`; checked by `xinyong audit verify`.
    """

    at = models.DateTimeField("时间", db_index=True)
    actor_type = models.CharField("操作者类型", max_length=10)  # user / key / system / public
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, **_HISTORICAL)
    actor_key = models.ForeignKey(ApiKey, **_HISTORICAL)
    actor_label = models.CharField("操作者", max_length=150)
    department = models.ForeignKey("catalog.Department", **_HISTORICAL)
    action = models.CharField("操作", max_length=60, db_index=True)
    object_type = models.CharField("对象类型", max_length=40)
    object_id = models.CharField("对象标识", max_length=64, blank=True)
    subject_id = models.BigIntegerField("信用主体", null=True, blank=True, db_index=True)
    purpose = models.CharField("目的", max_length=200, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    seq = models.BigIntegerField("序号", unique=True)
    prev_hash = models.CharField("前一条的哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"


class AuditCheckpoint(AppendOnlyModel):
    """A signed statement "the chain up to entry `seq` has hash `hash`" (Ed25519, with the
    audit signing key, which lives outside the database). Made by the job audit.checkpoint."""

    at = models.DateTimeField("时间")
    seq = models.BigIntegerField("序号")
    hash = models.CharField("哈希", max_length=64)
    key_id = models.CharField("签名密钥", max_length=16)  # fingerprint of the public key
    signature = models.CharField("签名", max_length=128)

    class Meta:
        verbose_name = verbose_name_plural = "审计检查点"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:12]}"


class ApiNonce(models.Model):
    """Nonces of signed API requests, kept while their timestamp is inside the window (so that a
    replay is refused by every server process); purged by the job security.purge."""

    # no index of its own: the unique (key, nonce) index serves lookups by key (one index fewer
    # to write on every signed request)
    # no foreign key in the database (CASCADE holds in the ORM): see measures.models.Check.key
    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    nonce = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "nonce"], name="apinonce_key_nonce_unique")]

    def __str__(self) -> str:
        return self.nonce


class ApiRequest(models.Model):
    """One line per request to a key-authenticated API operation, accepted or refused (with the
    machine reason): the record that issue 7 asks for, and the input of anomaly alerts."""

    at = models.DateTimeField(db_index=True)
    # (key, at) serves it; no foreign key in the database (SET_NULL holds in the ORM): see measures.models.Check.key
    key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False, db_constraint=False)
    key_label = models.CharField(max_length=40, blank=True)  # the key id as presented (even unknown)
    department_id = models.BigIntegerField(null=True, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=40, blank=True)  # error code, or "" when accepted
    auth = models.CharField(max_length=10, blank=True)  # signed / bearer / none
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口请求记录"
        ordering = ["-id"]
        indexes = [models.Index(fields=["key", "at"], name="apirequest_key_at")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status} {self.code}"


class StaffSecurity(models.Model):
    """What the platform keeps about a staff user's sign-in (docs/security.md, "People"): the
    TOTP secret (encrypted with the field keys, common/crypto.py) once confirmed, the last time
    step used (a code is never accepted twice), when the password was last changed (password
    age), and since when the user's sessions are valid ("sign out everywhere")."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="xy_security")
    totp_secret_encrypted = models.TextField(blank=True, default="")
    totp_confirmed_at = models.DateTimeField("双因素认证启用时间", null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    sessions_valid_after = models.DateTimeField("此前的会话已失效", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作人员登录安全"

    def __str__(self) -> str:
        return str(self.user)

    @property
    def two_factor_enabled(self) -> bool:
        return bool(self.totp_confirmed_at and self.totp_secret_encrypted)


class RecoveryCode(models.Model):
    """A single-use recovery code of a staff user's two-factor authentication: only its keyed
    hash is kept (common.crypto.lookup_hash; the codes are random, a fast keyed hash suffices)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "恢复码"

    def __str__(self) -> str:
        return f"{self.user_id}:{self.code_hash[:8]}"


class PasswordHistory(models.Model):
    """The hashes of a user's last passwords (XINYONG_PASSWORD_HISTORY), so that none is reused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "历史密码"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.created_at:%Y-%m-%d}"


class Alert(models.Model):
    """An anomaly seen by the monitoring (security/alerts.py): who (a user, a key, a client
    address), what, in which window, how much against which usual level. E-mailed to the
    security officers and shown at /dept/security/ until acknowledged."""

    KINDS = {
        "many_individuals": "查询个人数量异常",
        "portal_scraping": "疑似批量抓取信用档案",
        "api_refusals": "接口请求被拒次数异常",
        "login_failures": "登录失败次数异常",
        "audit_chain": "审计日志校验未通过",
    }
    STATUSES = {"new": "待处理", "acknowledged": "已确认"}

    kind = models.CharField("类型", max_length=30, choices=list(KINDS.items()))
    status = models.CharField("状态", max_length=20, choices=list(STATUSES.items()), default="new", db_index=True)
    actor = models.CharField("对象", max_length=150)  # the user's name, the key id, the address
    user = models.ForeignKey(settings.AUTH_USER_MODEL, **_HISTORICAL)
    key = models.ForeignKey(ApiKey, **_HISTORICAL)
    ip = models.GenericIPAddressField(null=True, blank=True)
    window_start = models.DateTimeField("时间窗口开始")
    window_end = models.DateTimeField("时间窗口结束", db_index=True)
    count = models.IntegerField("数量")
    baseline = models.FloatField("通常水平", default=0)
    threshold = models.IntegerField("阈值", default=0)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, **_HISTORICAL)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField("处理说明", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "安全告警"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "actor", "window_end"], name="alert_kind_actor_end")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.actor} {self.count}"
