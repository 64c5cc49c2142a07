"""Enterprise annual reports (企业年度报告, 《企业信息公示暂行条例》第八、九条) and the
applications for removal from the abnormal operations list that filing them makes.

A report has a public part (items (一)–(六) of Art. 9: address, contact, status, investments,
website) and a part the enterprise chooses whether to publish (item (七): employees, assets,
liabilities, revenue, profit, tax; `publish_finances`). A filed report is corrected, never
replaced: each correction keeps what changed (AnnualReportCorrection), and the publicity says so.
The abnormal operations listing itself is a normal ListEntry (xinyong/sanctions)."""

from django.db import models

DOOR_CHOICES = [("portal", "企业网上报送"), ("department", "登记机关代为录入"), ("api", "部门系统接口")]
BUSINESS_STATUS_CHOICES = [("open", "开业"), ("suspended", "歇业"), ("liquidation", "清算")]

# the fields of a report by part: what the filing form asks and the publicity shows
PUBLIC_FIELDS = ["address", "postcode", "phone", "email", "business_status", "has_investments", "has_equity_transfer", "website"]
OPTIONAL_FIELDS = ["employees", "total_assets", "total_liabilities", "revenue", "net_profit", "total_tax"]


class AnnualReport(models.Model):
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="annual_reports")
    year = models.PositiveSmallIntegerField("报告年度")
    filed_on = models.DateField("报送日期")
    filed_at = models.DateTimeField("报送时间")
    late = models.BooleanField("逾期报送", default=False)
    door = models.CharField("报送渠道", max_length=12, choices=DOOR_CHOICES)
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="代为录入或报送的部门")
    filed_by = models.CharField("报送人", max_length=150)
    # public part (第九条第一至六项)
    address = models.CharField("通信地址", max_length=300)
    postcode = models.CharField("邮政编码", max_length=6, blank=True)
    phone = models.CharField("联系电话", max_length=20)  # masked in the publicity
    email = models.CharField("电子邮箱", max_length=100, blank=True)
    business_status = models.CharField("存续状态", max_length=12, choices=BUSINESS_STATUS_CHOICES)
    has_investments = models.BooleanField("有投资设立企业或购买股权", default=False)
    has_equity_transfer = models.BooleanField("有股权转让等股权变更", default=False)
    website = models.CharField("网站或网店网址", max_length=200, blank=True)
    # published at the enterprise's choice (第九条第七项); amounts in 10,000 yuan
    employees = models.PositiveIntegerField("从业人数", null=True, blank=True)
    total_assets = models.DecimalField("资产总额（万元）", max_digits=16, decimal_places=4, null=True, blank=True)
    total_liabilities = models.DecimalField("负债总额（万元）", max_digits=16, decimal_places=4, null=True, blank=True)
    revenue = models.DecimalField("营业总收入（万元）", max_digits=16, decimal_places=4, null=True, blank=True)
    net_profit = models.DecimalField("净利润（万元）", max_digits=16, decimal_places=4, null=True, blank=True)
    total_tax = models.DecimalField("纳税总额（万元）", max_digits=16, decimal_places=4, null=True, blank=True)
    publish_finances = models.BooleanField("公示从业人数及资产、收入、纳税等信息", default=False)
    corrections = models.PositiveSmallIntegerField("更正次数", default=0)
    corrected_on = models.DateField("最近更正日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "企业年度报告"
        ordering = ["subject", "-year"]
        constraints = [models.UniqueConstraint(fields=["subject", "year"], name="uniq_annual_report_year")]
        # the listing job: "has filed the report of year Y" by (year, subject)
        indexes = [models.Index(fields=["year", "subject"], name="annual_report_year_subject")]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.year}年度报告"


class AnnualReportCorrection(models.Model):
    """One correction of a filed report: the fields changed, before and after (the optional part's
    values are kept too; the publicity shows only that and when a report was corrected)."""

    report = models.ForeignKey(AnnualReport, on_delete=models.CASCADE, related_name="correction_history")
    on = models.DateField("更正日期")
    at = models.DateTimeField("更正时间", auto_now_add=True)
    door = models.CharField("更正渠道", max_length=12, choices=DOOR_CHOICES)
    actor = models.CharField("更正人", max_length=150)
    changes = models.JSONField("更正内容", default=dict)  # {field: [before, after]}
    reason = models.CharField("更正说明", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度报告更正记录"
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} 更正 {self.on}"


REMOVAL_STATUS_CHOICES = [("pending", "待审核"), ("approved", "已移出"), ("refused", "不予移出")]


class RemovalApplication(models.Model):
    """An application for removal from the abnormal operations list (《企业经营异常名录管理暂行
    办法》第十一条): filing the missing report is the application; the department decides within
    `removal_decision_working_days` (rules.yaml), or it is approved at once when the setting
    XINYONG["ANNUAL_REPORTS"]["AUTO_REMOVAL"] says so."""

    entry = models.ForeignKey("sanctions.ListEntry", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(AnnualReport, on_delete=models.PROTECT, related_name="removal_applications")
    applied_on = models.DateField("申请日期")
    due_on = models.DateField("应作出决定日期")
    status = models.CharField("状态", max_length=10, choices=REMOVAL_STATUS_CHOICES, default="pending")
    decided_on = models.DateField("决定日期", null=True, blank=True)
    decided_by = models.CharField("决定人", max_length=150, blank=True)
    note = models.CharField("说明", max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "移出经营异常名录申请"
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["entry"], condition=models.Q(status="pending"), name="uniq_pending_removal_per_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} 移出申请 {self.applied_on} ({self.get_status_display()})"
