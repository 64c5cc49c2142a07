"""Departments, regions and the database mirror of the catalog.

The YAML registry is the source; these tables are what was loaded (`xinyong catalog sync`), so
records can reference departments by key and a catalog change that would orphan stored records
can be detected and refused.
"""

from django.conf import settings
from django.db import models

LEVEL_CHOICES = [("province", "省级"), ("city", "市级"), ("county", "县级")]


class Region(models.Model):
    code = models.CharField("行政区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=60)
    short = models.CharField("简称", max_length=30)
    level = models.CharField("级别", max_length=10, choices=LEVEL_CHOICES)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    gb2260 = models.BooleanField("GB/T 2260 代码", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Department(models.Model):
    code = models.CharField("部门编码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=100)
    system = models.CharField("条线", max_length=10, blank=True, db_index=True)
    level = models.CharField("级别", max_length=10, choices=LEVEL_CHOICES)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="departments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    now_name = models.CharField("现名称", max_length=100, blank=True)
    kind = models.CharField("类别", max_length=20, default="government")
    active = models.BooleanField("启用", default=True)
    # the person the plan asks each department to name for exchange with the platform
    contact_name = models.CharField("信息报送负责人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "数据提供单位"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.short_name or self.name


class DepartmentMembership(models.Model):
    """A department operator (部门报送员): sees and changes only this department's submissions."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="members")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "部门报送员"

    def __str__(self) -> str:
        return f"{self.user} @ {self.department}"


class CatalogItem(models.Model):
    """What was loaded of an information item: its definition as JSON, for history and checks."""

    code = models.CharField("信息项编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    owner = models.CharField("责任条线", max_length=10)
    nature = models.CharField("性质", max_length=10)
    disclosure = models.CharField("公开属性", max_length=12)
    definition = models.JSONField("定义")
    catalog_digest = models.CharField("目录摘要", max_length=16)
    active = models.BooleanField("在用", default=True)
    loaded_at = models.DateTimeField("载入时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "信息项（已载入）"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class CatalogLoad(models.Model):
    """One `catalog sync`: the catalog version that was loaded and what changed."""

    version = models.CharField(max_length=20)
    digest = models.CharField(max_length=16)
    loaded_at = models.DateTimeField(auto_now_add=True)
    summary = models.JSONField(default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "目录载入记录"
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.version} ({self.digest})"
