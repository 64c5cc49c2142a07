"""Credit subjects (信用主体) and their identifiers.

Organizations are keyed by the 18-character unified social credit code (USCC, GB 32100);
individuals by a keyed hash of the resident ID number (GB 11643): the number itself is stored
only encrypted (key outside the database) and shown masked.
"""

import uuid

from django.db import models

KIND_CHOICES = [
    ("enterprise", "企业"),
    ("individual_business", "个体工商户"),
    ("public_institution", "事业单位"),
    ("social_organization", "社会组织"),
    ("credit_service_agency", "信用服务机构"),
    ("other_organization", "其他组织"),
    ("individual", "自然人"),
]


class Subject(models.Model):
    # the subject's address on the portal: organizations are found by USCC, individuals only by
    # this opaque id (never by ID number, nor by a guessable sequence)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("主体类型", max_length=24, choices=KIND_CHOICES, db_index=True)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True, null=True, blank=True)
    id_hash = models.CharField("证件号码摘要", max_length=64, unique=True, null=True, blank=True)
    id_encrypted = models.TextField("证件号码（加密）", blank=True)
    id_masked = models.CharField("证件号码（脱敏）", max_length=32, blank=True)
    name = models.CharField("名称", max_length=200)
    name_key = models.CharField("名称匹配键", max_length=200, db_index=True)
    region = models.CharField("行政区划", max_length=6, blank=True, db_index=True)
    status = models.CharField("登记状态", max_length=20, blank=True)
    # GB/T 4754-2017 section (门类), from registration; a database default keeps raw bulk inserts valid
    industry = models.CharField("行业门类", max_length=30, blank=True, db_default="")
    legal_rep = models.CharField("法定代表人", max_length=50, blank=True)
    registered_on = models.DateField("成立日期", null=True, blank=True)
    registered = models.BooleanField("已有登记信息", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用主体"

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_individual(self) -> bool:
        return self.kind == "individual"

    @property
    def display_name(self) -> str:
        from xinyong.common.masking import mask_person_name

        return mask_person_name(self.name) if self.is_individual else self.name

    @property
    def display_code(self) -> str:
        return self.id_masked if self.is_individual else (self.uscc or "")


class SubjectIdentifier(models.Model):
    """Legacy identifiers (organization code, registration number, tax number, institution or
    social-organization certificate number) mapped to the subject."""

    SCHEMES = [
        ("uscc", "统一社会信用代码"),
        ("org_code", "组织机构代码"),
        ("reg_no", "工商注册号"),
        ("tax_no", "税务登记号"),
        ("institution_no", "事业单位证书号"),
        ("social_org_no", "社会组织登记证号"),
    ]
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=20, choices=SCHEMES)
    value = models.CharField(max_length=40)
    source = models.CharField("来源", max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "主体标识"
        constraints = [models.UniqueConstraint(fields=["scheme", "value"], name="uniq_identifier")]

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.value}"


class SubjectName(models.Model):
    """Name history (曾用名)."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200, db_index=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "主体名称历史"
        ordering = ["subject", "valid_from"]

    def __str__(self) -> str:
        return self.name
