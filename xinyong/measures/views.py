"""Staff pages of joint rewards and punishments (credit-centre staff, under /dept/measures/):
the measures catalog, and the check–feedback loop per department and measure as tables and
server-rendered charts (evaluation.charts, no JavaScript)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinyong.catalog.registry import get_catalog
from xinyong.evaluation import charts
from xinyong.ingestion.views import staff_view

from . import selectors
from .loader import get_measures

OUTCOMES = [("applied", "已实施"), ("not_applied", "未实施"), ("pending", "未反馈")]


@require_GET
@staff_view
def catalog_page(request):
    catalog = get_measures()
    systems = get_catalog().systems
    return render(request, "measures/catalog.html", {
        "scope": request.scope, "catalog": catalog, "systems": systems,
        "matters": list(catalog.matters.values()), "measures": list(catalog.measures.values()), "rules": catalog.rules,
    })


@require_GET
@staff_view
def loop_page(request):
    catalog = get_measures()
    rows = selectors.loop_rows()
    measure_names = {code: m.name for code, m in catalog.measures.items()}
    dept_names = {r.department_code: r.department_name for r in rows}
    chart_list = [
        charts.stacked("各项措施的执行反馈", OUTCOMES, selectors.loop_by_measure(rows), measure_names),
        charts.stacked("各部门的执行反馈", OUTCOMES, selectors.loop_by_department(rows), dept_names),
    ]
    return render(request, "measures/loop.html", {"scope": request.scope, "rows": rows, "charts": chart_list})
