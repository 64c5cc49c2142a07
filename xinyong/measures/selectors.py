"""Reads for the staff pages: the measures catalog as tables, and the check–feedback loop
(触发-反馈): per department and measure, how often a check answered the measure and what the
department reported it did."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from xinyong.catalog.models import Department

from .loader import get_measures
from .models import CheckHit, Feedback


@dataclass
class LoopRow:
    department_code: str
    department_name: str
    measure: str
    measure_name: str
    triggered: int  # times a check answered the measure to the department
    applied: int
    not_applied: int

    @property
    def pending(self) -> int:
        """Answered, no feedback yet."""
        return max(self.triggered - self.applied - self.not_applied, 0)

    @property
    def applied_share(self) -> float:
        return self.applied / self.triggered if self.triggered else 0.0


def loop_rows(department_id: int | None = None) -> list[LoopRow]:
    """One row per (department, measure) that was ever answered, most triggered first (two
    grouped queries)."""
    catalog = get_measures()
    hits = CheckHit.objects.all()
    fbs = Feedback.objects.all()
    if department_id is not None:
        hits = hits.filter(department_id=department_id)
        fbs = fbs.filter(department_id=department_id)
    triggered = {(r["department_id"], r["measure"]): r["n"] for r in hits.values("department_id", "measure").annotate(n=Count("id")).order_by()}
    feedback: dict[tuple, dict[bool, int]] = {}
    for r in fbs.values("department_id", "measure", "applied").annotate(n=Count("id")).order_by():
        feedback.setdefault((r["department_id"], r["measure"]), {})[r["applied"]] = r["n"]
    depts = {d.id: d for d in Department.objects.filter(id__in={k[0] for k in triggered} | {k[0] for k in feedback})}
    rows = []
    for key in set(triggered) | set(feedback):
        d = depts.get(key[0])
        m = catalog.measures.get(key[1])
        fb = feedback.get(key, {})
        rows.append(LoopRow(
            d.code if d else "?", d.name if d else "?", key[1], m.name if m else key[1],
            triggered.get(key, 0), fb.get(True, 0), fb.get(False, 0),
        ))
    rows.sort(key=lambda r: (-r.triggered, r.department_code, r.measure))
    return rows


def loop_by_measure(rows: list[LoopRow]) -> dict[str, dict[str, int]]:
    """Totals per measure: applied / not applied / no feedback (for the chart)."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        t = out.setdefault(r.measure, {"applied": 0, "not_applied": 0, "pending": 0})
        t["applied"] += r.applied
        t["not_applied"] += r.not_applied
        t["pending"] += r.pending
    return out


def loop_by_department(rows: list[LoopRow]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        t = out.setdefault(r.department_code, {"applied": 0, "not_applied": 0, "pending": 0})
        t["applied"] += r.applied
        t["not_applied"] += r.not_applied
        t["pending"] += r.pending
    return out
