"""Platform bookkeeping shared by every app: runs of scheduled jobs."""

from django.db import models


class JobRun(models.Model):
    """The last runs of each scheduled job (see common/schedule.py)."""

    job = models.CharField("任务", max_length=60, db_index=True)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    ok = models.BooleanField("成功", null=True)
    summary = models.JSONField("结果", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "定时任务运行记录"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}"
