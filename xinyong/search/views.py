"""The search page of 信用吉林: /search/?q=...&page=N (server-rendered, works without JavaScript)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.views.decorators.http import require_GET

from xinyong.common.ratelimit import rate_limited

from .selectors import InvalidQuery, conf, search_subjects


@rate_limited("search")
@require_GET
def search(request):
    q = request.GET.get("q", "")
    context = {"q": q, "max_chars": conf("MAX_QUERY_CHARS"), "count_cap": conf("COUNT_CAP"), "result": None, "problem": None, "pages": []}
    if q.strip():
        try:
            result = search_subjects(q, page=_page_number(request.GET.get("page")))
        except InvalidQuery as exc:
            context["problem"] = exc
            if exc.code == "query_too_long":
                context["q"] = ""  # not echoed back into the field
        else:
            context["result"] = result
            context["pages"] = _pages(result.query, result.page, result.pages)
            context["previous_url"] = _url(result.query, result.page - 1) if result.has_previous else None
            context["next_url"] = _url(result.query, result.page + 1) if result.has_next else None
    return render(request, "search/search.html", context)


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1_000_000))
    except ValueError:
        return 1


def _url(q: str, page: int) -> str:
    return "?" + urlencode({"q": q, "page": page})


def _pages(q: str, current: int, last: int) -> list[dict]:
    """Links to the first, the last and the pages around the current one; None marks a gap."""
    shown = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    out, previous = [], 0
    for n in shown:
        if n - previous > 1:
            out.append(None)
        out.append({"number": n, "url": _url(q, n), "current": n == current})
        previous = n
    return out
