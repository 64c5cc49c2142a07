"""Lists of joint rewards and punishments (联合奖惩): red list (守信激励), focus list (重点关注),
black list (严重失信主体名单) and sector lists. The list types are declared in the catalog
(definitions/lists.yaml). An entry is either derived from a record by a rule of its list type
(e.g. an A-grade tax rating → the A-grade taxpayers' red list, a court's dishonest-debtor record
→ the dishonest judgment debtors' list) or designated by an authority through the due process of
issue 5 (proposed → notified → listed → removed)."""

from django.db import models
from django.db.models import Q

STATUS_CHOICES = [
    ("proposed", "拟列入"),
    ("notified", "已告知"),
    ("listed", "已列入"),
    ("removed", "已移出"),
    ("dropped", "不予列入"),  # a designation ended before a listing decision
]
REMOVAL_KIND_CHOICES = [
    ("expiry", "期满移出"),
    ("repair", "信用修复移出"),
    ("revocation", "撤销列入决定"),
    ("basis", "依据记录已撤销或修复"),
]
SOURCE_CHOICES = [("rule", "依据记录自动列入"), ("designation", "认定机关认定")]


class ListEntry(models.Model):
    list_code = models.CharField("名单", max_length=40, db_index=True)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="list_entries")
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default="listed")
    source = models.CharField("来源", max_length=12, choices=SOURCE_CHOICES, default="rule")
    basis_record = models.ForeignKey("records.Record", null=True, blank=True, on_delete=models.PROTECT, related_name="list_entries")
    basis_records = models.JSONField("依据记录", default=list, blank=True)
    designating_department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="list_entries")
    authority_level = models.CharField("认定机关级别", max_length=10, blank=True)
    legal_basis = models.TextField("法律依据", blank=True)
    reason = models.TextField("列入理由", blank=True)
    listed_on = models.DateField("列入日期", null=True, blank=True)
    expires_on = models.DateField("有效期至", null=True, blank=True)
    removed_on = models.DateField("移出日期", null=True, blank=True)
    removal_reason = models.CharField("移出原因", max_length=500, blank=True)
    market_exit = models.BooleanField("市场退出", default=False)
    # lineage of a derived entry: the catalog rule that listed it ("tax_rating[grade=A]/latest:year")
    # and the version of lists.yaml it was derived under
    rule = models.CharField("列入规则", max_length=200, blank=True)
    # the subject is an individual (copied from the subject, whose kind never changes): individuals
    # are shown only on lists whose basis publishes their names; kept here so that counts and
    # list pages need no join
    individual = models.BooleanField("自然人", default=False)
    # the due process of a designated entry (source="designation"), step by step
    proposed_on = models.DateField("拟列入日期", null=True, blank=True)
    notified_on = models.DateField("告知日期", null=True, blank=True)
    notice = models.TextField("告知内容", blank=True)  # facts, reasons, basis, the subject's rights
    statement_due = models.DateField("陈述申辩截止日", null=True, blank=True)
    statement = models.TextField("当事人陈述申辩", blank=True)
    statement_on = models.DateField("陈述申辩日期", null=True, blank=True)
    statement_reply = models.TextField("陈述申辩核实及采纳情况", blank=True)
    decision_no = models.CharField("列入决定文书号", max_length=100, blank=True)
    measures = models.TextField("惩戒或激励措施", blank=True)
    removal_terms = models.TextField("移出条件和程序", blank=True)
    remedies = models.TextField("救济途径", blank=True)
    # an entity's legal representative and responsible persons: [{"role": "法定代表人", "name": ...}]
    persons = models.JSONField("法定代表人及相关责任人", default=list, blank=True)
    warning_entry = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="先行列入的重点关注名单条目")
    warning_exemption = models.TextField("免予先行警示的法律依据", blank=True)
    removal_kind = models.CharField("移出方式", max_length=12, choices=REMOVAL_KIND_CHOICES, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "名单条目"
        constraints = [
            models.UniqueConstraint(fields=["list_code", "basis_record"], condition=Q(basis_record__isnull=False), name="uniq_list_entry_per_record"),
        ]
        indexes = [
            models.Index(fields=["list_code", "status", "listed_on"], name="list_entry_code_status"),
            # list_counts (home page): an index-only count per list
            models.Index(fields=["status", "list_code", "individual", "expires_on"], name="list_entry_counts"),
            # the expiry sweep of the lists.update job
            models.Index(fields=["status", "expires_on"], name="list_entry_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.list_code}:{self.subject_id} ({self.get_status_display()})"


STEP_CHOICES = [
    ("propose", "拟列入"),
    ("notify", "告知"),
    ("statement", "陈述申辩"),
    ("decide", "列入决定"),
    ("drop", "不予列入"),
    ("remove", "移出"),
]


class ListEntryStep(models.Model):
    """One step of a designated entry's due process: its timeline (who, when, what)."""

    entry = models.ForeignKey(ListEntry, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField("环节", max_length=10, choices=STEP_CHOICES)
    on = models.DateField("日期")
    at = models.DateTimeField("办理时间", auto_now_add=True)
    actor = models.CharField("办理人", max_length=150)
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="办理机关")
    on_behalf = models.BooleanField("信用中心代为办理", default=False)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "名单条目办理环节"
        ordering = ["entry", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.get_step_display()} {self.on}"


class DerivationState(models.Model):
    """The rules the derived entries were last rebuilt under (one row). The lists.update job
    rebuilds everything on its first run and whenever the rules of lists.yaml change; otherwise
    it follows the change feed (consumer "lists")."""

    rules_digest = models.CharField("规则摘要", max_length=64)
    rebuilt_at = models.DateTimeField("重建时间")
    rebuilt_seq = models.BigIntegerField("重建时的变更流水位置", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "名单生成状态"

    def __str__(self) -> str:
        return f"{self.rules_digest[:12]} @ {self.rebuilt_seq}"
