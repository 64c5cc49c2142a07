"""Scheduled jobs: one registry, run by `xinyong worker` (every job when it is due) and by hand
with `xinyong job run NAME` (or `xinyong job list`).

    from xinyong.common.schedule import scheduled

    @scheduled("publication.expire", every=timedelta(hours=1), title="公示期满停止公示")
    def expire_publication() -> dict:
        ...
        return {"expired": 12}   # kept in JobRun.summary

A job must be idempotent (it may run twice, or late after an outage) and short enough to run in
one go, or process what it can and leave the rest for its next run. Jobs are registered at
import time by the apps' `jobs.py` modules (loaded by `load_jobs`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.apps import apps
from django.utils import timezone

log = logging.getLogger("xinyong.schedule")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    title: str
    run: Callable[[], dict]


REGISTRY: dict[str, Job] = {}


def scheduled(name: str, *, every: timedelta, title: str):
    def register(fn: Callable[[], dict]) -> Callable[[], dict]:
        REGISTRY[name] = Job(name, every, title, fn)
        return fn

    return register


def load_jobs() -> dict[str, Job]:
    """Import every installed app's `jobs` module, which registers its jobs."""
    for config in apps.get_app_configs():
        if config.name.startswith("xinyong."):
            try:
                import_module(f"{config.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.jobs":
                    raise
    return REGISTRY


def run_job(name: str) -> dict:
    """Run one job now, recording the run (JobRun); failures are recorded, then re-raised."""
    from .models import JobRun

    job = load_jobs()[name]
    run = JobRun.objects.create(job=name, started_at=timezone.now())
    try:
        summary = job.run() or {}
    except Exception as exc:
        run.finished_at, run.ok, run.summary = timezone.now(), False, {"error": f"{type(exc).__name__}: {exc}"[:500]}
        run.save()
        log.exception("job failed", extra={"job": name})
        raise
    run.finished_at, run.ok, run.summary = timezone.now(), True, summary
    run.save()
    log.info("job done", extra={"job": name, "summary": summary})
    return summary


def due_jobs(now=None) -> list[Job]:
    """Jobs whose last successful start is older than their interval (or that never ran)."""
    from .models import JobRun

    now = now or timezone.now()
    due = []
    for job in load_jobs().values():
        last = JobRun.objects.filter(job=job.name, ok=True).order_by("-started_at").values_list("started_at", flat=True).first()
        if last is None or now - last >= job.every:
            due.append(job)
    return due


def run_due_jobs() -> dict[str, dict | str]:
    """Run every due job once; one failing job does not stop the others."""
    results: dict[str, dict | str] = {}
    for job in due_jobs():
        try:
            results[job.name] = run_job(job.name)
        except Exception as exc:  # noqa: BLE001 — recorded in JobRun, logged; the others still run
            results[job.name] = f"failed: {type(exc).__name__}"
    return results
