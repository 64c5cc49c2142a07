"""Cases (办件): one workflow record for objections, repairs, tip-offs and complaints.

A case has a kind and a state of that kind's state machine (workflows.py, cases.yaml), the
subject and the records concerned, the department responsible for it (`department`, for the
SLA figures), the department holding it now (`holder`; others joined for a joint verification
are `routes`), an assignee, the deadline of its current state, and its event log, messages and
attachments. The applicant follows it through an account or with a receipt code (回执码), of
which only a keyed hash is stored.
"""

import uuid

from django.conf import settings
from django.db import models

KIND_CHOICES = [("objection", "异议"), ("repair", "信用修复"), ("tipoff", "失信举报"), ("complaint", "信用服务机构投诉")]
SIDE_CHOICES = [("applicant", "申请人"), ("staff", "工作人员"), ("system", "系统")]


class Case(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("类型", max_length=12, choices=KIND_CHOICES)
    state = models.CharField("状态", max_length=20)
    is_open = models.BooleanField("办理中", default=True)
    title = models.CharField("事项", max_length=200)
    body = models.TextField("理由")
    data = models.JSONField("事项数据", default=dict, blank=True)
    subject = models.ForeignKey("subjects.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    records = models.ManyToManyField("records.Record", blank=True, related_name="cases")
    department = models.ForeignKey("catalog.Department", null=True, on_delete=models.PROTECT, related_name="cases_responsible")
    holder = models.ForeignKey("catalog.Department", null=True, on_delete=models.PROTECT, related_name="cases_held")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases_assigned")
    # who filed it: an account (user, and the subject it acts for) or anyone (name and contact)
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases_filed")
    applicant_subject = models.ForeignKey("subjects.Subject", null=True, blank=True, on_delete=models.PROTECT, related_name="cases_filed")
    applicant_name = models.CharField("申请人", max_length=100)
    applicant_contact_encrypted = models.TextField(blank=True)
    applicant_contact_masked = models.CharField("联系方式（脱敏）", max_length=60, blank=True)
    receipt_hash = models.CharField(max_length=64, unique=True)
    filed_on = models.DateField("受理日期")
    filed_at = models.DateTimeField("提交时间")
    state_since = models.DateField("进入当前状态日期")
    due_on = models.DateField("办理期限", null=True, blank=True)
    deadline_basis = models.CharField("期限依据", max_length=200, blank=True)
    reminded_for = models.DateField("已提醒的期限", null=True, blank=True)
    escalated_at = models.DateTimeField("逾期督办时间", null=True, blank=True)
    outcome = models.CharField("结论", max_length=20, blank=True)
    reply = models.TextField("书面答复", blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["holder", "is_open"], name="case_holder_open"),
            models.Index(fields=["department", "is_open"], name="case_dept_open"),
            models.Index(fields=["is_open", "due_on"], name="case_open_due"),
        ]

    def __str__(self) -> str:
        from .workflows import workflow

        try:
            state = workflow(self.kind).state(self.state).label
        except KeyError:
            state = self.state
        return f"{self.title}（{state}，{self.filed_on:%Y-%m-%d} 提交）"

    def get_absolute_url(self) -> str:
        """The applicant's page of the case (its access rule: cases.selectors)."""
        return f"/cases/{self.public_id}/"


class CaseRoute(models.Model):
    """A department taking part in a case: the one it was routed to, others joined for a joint
    verification (联合核查). `active` while the department is expected to act."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="routes")
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="case_routes")
    role = models.CharField(max_length=10, default="lead")  # lead / joint
    active = models.BooleanField(default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件流转"
        constraints = [models.UniqueConstraint(fields=["case", "department"], name="uniq_case_route")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department_id} ({self.role})"


class CaseEvent(models.Model):
    """The event log of a case: filing, each transition, assignment, message, reminder, escalation."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    on = models.DateField()
    action = models.CharField(max_length=30)
    label = models.CharField(max_length=100)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    side = models.CharField(max_length=10, choices=SIDE_CHOICES)
    actor_label = models.CharField(max_length=150)
    note = models.TextField(blank=True)
    # shown to the applicant (internal steps such as assignment and reminders are not)
    public = models.BooleanField(default=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件记录"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.on} {self.label}"


class CaseMessage(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    at = models.DateTimeField(auto_now_add=True)
    side = models.CharField(max_length=10, choices=SIDE_CHOICES)
    author_label = models.CharField(max_length=150)
    body = models.TextField()

    class Meta:
        verbose_name = verbose_name_plural = "办件留言"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.author_label}"


class CaseAttachment(models.Model):
    """A file given with a case (evidence, materials, a reply), stored outside the web root
    under a random name, served only to the case's parties (views check)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(CaseMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    side = models.CharField(max_length=10, choices=SIDE_CHOICES)
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=80)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件附件"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
