"""The lists pages of 信用吉林 (/lists/): every public list with its count, a list's entries
(filterable, paginated), one entry with its basis. Thin: parse, call a selector, render."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinyong.common.paging import PageError, paginate, parse_page
from xinyong.portal.selectors import subject_url

from . import selectors
from .forms import ListFilterForm

KIND_ORDER = ("red", "focus", "black", "sector")
KIND_TITLES = {"red": "守信激励名单（红名单）", "focus": "重点关注名单", "black": "严重失信主体名单（黑名单）", "sector": "行业名单"}


@require_GET
def index(request):
    counts = selectors.list_counts()
    lists = selectors.public_list_types()
    groups = []
    for kind in KIND_ORDER:
        members = [(lt, counts.get(lt.code, 0)) for lt in lists if lt.kind == kind]
        if members:
            groups.append({"kind": kind, "title": KIND_TITLES[kind], "lists": members})
    return render(request, "sanctions/index.html", {"groups": groups})


@require_GET
def list_page(request, code: str):
    lt = selectors.public_list(code)
    if lt is None:
        raise Http404("名单不存在")
    conf = settings.XINYONG["LISTINGS"]
    form = ListFilterForm(request.GET, list_type=lt)
    page = None
    problem = ""
    status = 200
    if form.is_valid():
        d = form.cleaned_data
        entries = selectors.list_entries(
            lt,
            region=d.get("region") or None,
            department_code=d.get("dept") or None,
            listed_from=d.get("listed_from"),
            listed_to=d.get("listed_to"),
        )
        try:
            page = paginate(
                fetch=lambda offset, n: list(entries[offset : offset + n]),
                count=lambda cap: entries[:cap].count(),
                number=parse_page(request.GET.get("page")),
                size=conf["PAGE_SIZE"],
                cap=conf["MAX_RESULTS"],
            )
        except PageError as exc:
            problem, status = exc.message, 404
    else:
        status = 400
    rows = [_row(entry, lt) for entry in page.items] if page else []
    filtered = any(request.GET.get(k) for k in ("region", "dept", "listed_from", "listed_to"))
    return render(
        request,
        "sanctions/list.html",
        {"lt": lt, "form": form, "page": page, "rows": rows, "problem": problem, "filtered": filtered},
        status=status,
    )


@require_GET
def entry_page(request, code: str, entry_id: int):
    lt = selectors.public_list(code)
    entry = selectors.public_entry(lt, entry_id) if lt is not None and entry_id < 2**62 else None
    if entry is None:
        raise Http404("名单条目不存在")
    return render(request, "sanctions/entry.html", {"lt": lt, "row": _row(entry, lt)})


def _row(entry, lt) -> dict:
    """What the public sees of an entry: the subject (an individual only on a list that publishes
    names, ID number masked), the listing, its basis and its department."""
    from xinyong.catalog.registry import get_catalog
    from xinyong.portal.selectors import region_name
    from xinyong.records.models import AUTHORITY_LEVEL_CHOICES

    catalog = get_catalog()
    subject = entry.subject
    basis = entry.basis_record
    item = catalog.items.get(basis.item_code) if basis is not None else None
    department = entry.designating_department or (basis.department if basis is not None else None)
    rule = next((r for r in lt.rules if entry.rule.startswith(r.key + "@")), None)
    return {
        "entry": entry,
        "subject_name": subject.name,
        "subject_code_label": "公民身份号码" if subject.is_individual else "统一社会信用代码",
        "subject_code": subject.id_masked if subject.is_individual else (subject.uscc or ""),
        "subject_url": subject_url(subject),
        "region": region_name(subject.region, catalog),
        "department": department.name if department is not None else "",
        "authority_level": dict(AUTHORITY_LEVEL_CHOICES).get(entry.authority_level, ""),
        "document_no": basis.document_no if basis is not None else "",
        "item_name": item.name if item is not None else "",
        "basis": basis,
        "rule_text": _rule_text(rule, item) if rule is not None else "",
    }


def _rule_text(rule, item) -> str:
    """The rule in words: 纳税信用等级评价结果中纳税信用级别为A（取各主体最新的评价年度）."""
    if item is None:
        return ""
    parts = [f"{item.field_map[name].label}为{'或'.join(sorted(values))}" for name, values in rule.when if name in item.field_map]
    text = f"{item.name}" + (f"中{'，'.join(parts)}" if parts else "") + "，在公示期内"
    if rule.latest_by and rule.latest_by in item.field_map:
        text += f"（取各主体最新的{item.field_map[rule.latest_by].label}）"
    return text
