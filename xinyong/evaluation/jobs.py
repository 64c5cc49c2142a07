"""Scheduled evaluation jobs.

`evaluation.update` — every 5 minutes: re-evaluates the subjects whose records or list
memberships changed (the change feed, consumer "evaluation"); on a database with no result yet,
a full run (how `xinyong demo`, which ends with `run_due_jobs()`, gets its grades).
`evaluation.full` — daily: every subject again, since time alone changes results (a record
ages into a lower decay year; a publication period ends) without any change event.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from xinyong.common.schedule import scheduled
from xinyong.security.services import Actor

from .models import EvaluationRun
from .services import evaluation_run, evaluation_update


@scheduled("evaluation.update", every=timedelta(minutes=5), title="信用评价增量更新")
def update() -> dict:
    return evaluation_update()


@scheduled("evaluation.full", every=timedelta(days=1), title="信用评价全量评价（每日）")
def full() -> dict:
    today = timezone.localdate()
    if EvaluationRun.objects.filter(kind="full", status="done", as_of=today).exists():
        return {"skipped": f"{today} 的全量评价已完成"}
    run = evaluation_run(kind="full", actor=Actor.system("每日全量评价"), as_of=today)
    return {"run": run.pk, "results": run.results, "changed": run.changed}
