"""Background jobs of redress (django-tasks; `xinyong worker` runs them)."""

from __future__ import annotations

from datetime import date

from django_tasks import task


@task()
def repair_followup(day: str | None = None) -> dict:
    """After a repair: the lists and the evaluation follow the change feed now (services.repair_effects)."""
    from .services import repair_effects

    return repair_effects(day=date.fromisoformat(day) if day else None)
