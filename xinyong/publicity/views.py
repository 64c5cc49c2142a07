"""The 双公示 pages of 信用吉林 (/shuanggongshi/): the latest public licensing and penalty decisions
(filterable, paginated, each with its 7-working-day timeliness flag), the departments'
timeliness figures, and one decision with all its public fields. Thin: parse, select, render."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from xinyong.catalog.registry import get_catalog
from xinyong.common.paging import PageError, paginate, parse_page

from . import selectors
from .forms import DecisionFilterForm

FILTER_KEYS = ("type", "category", "system", "region", "dept", "decided_from", "decided_to")


@require_GET
def index(request):
    conf = settings.XINYONG["LISTINGS"]
    form = DecisionFilterForm(request.GET)
    page, report, problem, status = None, None, "", 200
    if form.is_valid():
        filters = form.filters()
        query = selectors.DecisionQuery(filters)
        try:
            page = paginate(
                fetch=query.fetch,
                count=query.count,
                number=parse_page(request.GET.get("page")),
                size=conf["PAGE_SIZE"],
                cap=conf["MAX_RESULTS"],
            )
        except PageError as exc:
            problem, status = exc.message, 404
        report = selectors.timeliness(filters)
    else:
        status = 400
    catalog = get_catalog()
    rows = [_row(record, catalog) for record in page.items] if page else []
    current_type = request.GET.get("type", "") if request.GET.get("type", "") in selectors.KINDS else ""
    tabs = [("", "全部"), *selectors.KINDS.items()]
    return render(
        request,
        "publicity/index.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "report": report,
            "problem": problem,
            "tabs": tabs,
            "current_type": current_type,
            "filtered": any(request.GET.get(k) for k in FILTER_KEYS),
            "deadline_days": _deadline_days(catalog),
        },
        status=status,
    )


@require_GET
def decision(request, pk: int):
    record = selectors.public_decision(pk) if pk < 2**62 else None
    if record is None:
        raise Http404("决定不存在或未公示")
    catalog = get_catalog()
    item = catalog.items[record.item_code]
    return render(
        request,
        "publicity/decision.html",
        {
            "row": _row(record, catalog),
            "fields": selectors.decision_fields(record, item),
            "item": item,
            "doc_label": _label(item, "document_no", "决定文书号"),
            "date_label": _label(item, "decided_on", "决定日期"),
        },
    )


def _row(record, catalog) -> dict:
    from xinyong.portal.selectors import subject_url

    item = catalog.items.get(record.item_code)
    subject = record.subject
    return {
        "record": record,
        "kind": item.kind if item else "",
        "kind_label": selectors.KINDS.get(item.kind, "") if item else "",
        "item_name": item.name if item else record.item_code,
        "subject_name": selectors.subject_display_name(record, item),
        # an individual's credit file is public only where the law publishes it: no link here
        "subject_url": None if subject.is_individual else subject_url(subject),
        "received_on": timezone.localdate(record.received_at),
        "deadline_days": item.reporting_deadline_days if item else None,
    }


def _label(item, role: str, default: str) -> str:
    name = item.roles.get(role)
    return item.field_map[name].label if name else default


def _deadline_days(catalog) -> int | None:
    days = {catalog.items[c].reporting_deadline_days for c in selectors.decision_items()}
    return days.pop() if len(days) == 1 else None
