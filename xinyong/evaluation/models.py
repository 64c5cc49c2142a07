"""Evaluation runs and their versioned results (信用评价结果).

A run evaluates every subject (full) or the subjects whose records changed (incremental) under
the models in force, as of a day, with the data up to a change-feed position. A result is written
only when it differs from the subject's current one under that model; the current one is then
closed (`valid_to`). So the grade a subject had on any date under any model version stays
queryable (the result whose [valid_from, valid_to) holds that moment), and an unchanged subject
costs nothing to re-evaluate. A run writes all its results in one transaction: a run that fails
half-way leaves the previous results in force.
"""

import uuid

from django.db import models


def new_token() -> str:
    return uuid.uuid4().hex

RUN_KINDS = [("full", "全量评价"), ("incremental", "增量评价")]
RUN_STATUS = [("running", "进行中"), ("done", "已完成"), ("failed", "失败")]
ENGINES = [("duckdb", "DuckDB"), ("spark", "Spark"), ("reference", "参考实现")]


class EvaluationRun(models.Model):
    kind = models.CharField("评价方式", max_length=12, choices=RUN_KINDS)
    engine = models.CharField("计算引擎", max_length=12, choices=ENGINES, default="duckdb")
    as_of = models.DateField("评价基准日")
    feed_seq = models.BigIntegerField("数据截至（变更序号）", default=0)
    data_as_of = models.DateTimeField("数据截至", null=True, blank=True)
    model_versions = models.JSONField("评价模型版本", default=dict)  # {model code: version}
    status = models.CharField("状态", max_length=10, choices=RUN_STATUS, default="running")
    subjects = models.IntegerField("评价主体数", default=0)
    results = models.IntegerField("评价结果数", default=0)
    changed = models.IntegerField("结果变化数", default=0)
    timings = models.JSONField("各阶段耗时（秒）", default=dict)
    error = models.TextField("失败原因", blank=True)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    actor_label = models.CharField("发起者", max_length=150, blank=True)
    # this run's own mark, unlike its id never reused (a restored database, a rolled-back test):
    # the snapshot mirror trusts what a run that exists in this database wrote (mirror.py)
    token = models.CharField("批次标记", max_length=32, default=new_token, editable=False, db_index=True)

    class Meta:
        verbose_name = verbose_name_plural = "评价批次"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}（{self.as_of}，{self.get_status_display()}）"


class EvaluationResult(models.Model):
    # no foreign-key constraints in the database: results are derived data written millions at a
    # time by one writer (store.py) for subjects it has just read, and PostgreSQL would check
    # each row's two references at commit (minutes for a province's first run); PROTECT still
    # holds in the ORM
    # no index on the run: nothing reads results by run, and every result written (millions in a
    # first run) and every result closed would write an entry in it
    run = models.ForeignKey(EvaluationRun, on_delete=models.PROTECT, related_name="result_rows", db_constraint=False, db_index=False)
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="evaluations", db_index=False, db_constraint=False)
    model_code = models.CharField("评价模型", max_length=60)
    model_version = models.CharField("模型版本", max_length=20)
    score_milli = models.IntegerField("得分（千分）")
    raw_grade = models.CharField("按分数的等级", max_length=20)
    grade = models.CharField("等级", max_length=20)
    override_seq = models.IntegerField("决定等级的调整规则", null=True, blank=True)
    # [[record id, indicator code, points in thousandths], ...]: what made the score
    contributions = models.JSONField("计分记录", default=list)
    digest = models.CharField("结果摘要", max_length=32)  # of score, grades, override, contributions
    valid_from = models.DateTimeField("生效时间")
    valid_to = models.DateTimeField("失效时间", null=True, blank=True)  # null: current

    class Meta:
        verbose_name = verbose_name_plural = "评价结果"
        # One index, and none that reads `valid_to`: closing a result (setting valid_to) is then
        # a heap-only (HOT) update on PostgreSQL — the row's page only, no index entry — where a
        # partial index on "valid_to IS NULL" made every close write new entries in every index.
        # (An incremental run of 10,000 subjects wrote ~34,000 full-page images after a
        # checkpoint; now ~19,000: docs/benchmarks.md.) The one current result per subject and
        # model is kept by the single writer (store.py, under services.run_lock) and checked by
        # the tests; the current results are found by this index (subject, model) and the
        # distribution by a scan. On PostgreSQL the table is filled to 90 % (migration 0005) so
        # a closed row's new version fits on its page.
        indexes = [
            models.Index(fields=["subject", "model_code", "valid_from"], name="eval_subject_model_from"),
        ]

    def __str__(self) -> str:
        return f"{self.model_code} {self.grade}"

    @property
    def score(self) -> float:
        return self.score_milli / 1000
