"""The registry of credit service agencies (信用服务机构): an organization subject (with a USCC)
and its registration with the supervising department — business types, the filing or licence
number (备案/许可), entry date, status (在业 / 暂停 / 退出, 市场退出 with reason and date), key
staff — and the history of each change (AgencyEvent, public: the status history of the file).

Complaints about an agency are cases of kind `complaint` (xinyong/cases) whose subject is the
agency's subject; their number closed is public, their contents never are.
"""

from django.db import models

STATUS_CHOICES = [("active", "在业"), ("suspended", "暂停"), ("exited", "退出")]
ACTION_CHOICES = [("register", "登记"), ("update", "变更"), ("suspend", "暂停业务"), ("resume", "恢复业务"), ("exit", "市场退出")]


class Agency(models.Model):
    subject = models.OneToOneField("subjects.Subject", on_delete=models.PROTECT, related_name="agency")
    business_types = models.JSONField("业务类型", default=list)  # codes of agencies.yaml
    licence_kind = models.CharField("备案/许可", max_length=4)
    licence_no = models.CharField("备案或许可编号", max_length=64)
    supervisor = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="agencies")
    entered_on = models.DateField("准入日期")
    status = models.CharField("状态", max_length=10, choices=STATUS_CHOICES, default="active", db_index=True)
    status_since = models.DateField("状态日期")
    status_reason = models.TextField("暂停或退出原因", blank=True)
    exited_on = models.DateField("退出日期", null=True, blank=True)
    key_staff = models.PositiveIntegerField("从业人员数（关键岗位）", default=0)
    service_note = models.TextField("业务范围说明", blank=True)
    region = models.CharField("行政区划", max_length=6, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用服务机构"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.subject.name}（{self.get_status_display()}）"


class AgencyEvent(models.Model):
    """One change of the registration: what was done, on which day, by which department, the
    status after it and the reason given (public: the file's status history)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="events")
    action = models.CharField("事项", max_length=10, choices=ACTION_CHOICES)
    on = models.DateField("日期")
    at = models.DateTimeField(auto_now_add=True)
    status = models.CharField("变更后状态", max_length=10, choices=STATUS_CHOICES)
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+")
    note = models.TextField("说明", blank=True)
    changes = models.JSONField("变更内容", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用服务机构登记变更"
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.on} {self.get_action_display()}"
