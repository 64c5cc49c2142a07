"""The public site 信用吉林: the home page, credit files (信用档案), and the large-text mode.

Views stay thin: the credit file is assembled by `portal.selectors.credit_file`, with the
visibility rules of `records.selectors`; the home page reads the 双公示 and lists selectors.
"""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from xinyong.catalog.registry import get_catalog
from xinyong.common.ratelimit import rate_limited
from xinyong.evaluation import selectors as evaluation_selectors
from xinyong.publicity import selectors as publicity_selectors
from xinyong.records import selectors as record_selectors
from xinyong.sanctions import selectors as list_selectors

from . import selectors

LARGE_TEXT_COOKIE = "xy_large_text"
LARGE_TEXT_MAX_AGE = 365 * 24 * 3600


@require_GET
def home(request):
    catalog = get_catalog()
    decisions = []
    for record in publicity_selectors.latest_decisions(limit=10):
        item = catalog.items.get(record.item_code)
        subject = record.subject
        decisions.append(
            {
                "record": record,
                "kind": "行政许可" if item is not None and item.kind == "licensing" else "行政处罚",
                "subject_name": subject.display_name,
                # an individual's file is public only where the law publishes it: no link from here
                "url": None if subject.is_individual else selectors.subject_url(subject),
            }
        )
    # every public list with its count, in catalog order (the lists selector decides what is public)
    specs = getattr(catalog, "lists", None) or {}
    lists = [
        {"code": code, "name": str(getattr(specs.get(code), "name", "") or code), "count": count}
        for code, count in list_selectors.list_counts().items()
    ]
    return render(
        request,
        "portal/home.html",
        {"decisions": decisions, "lists": lists, "data_as_of": record_selectors.data_as_of()},
    )


@rate_limited("file")
@require_GET
def subject(request, uscc: str):
    found = selectors.public_organization(uscc)
    return _file_or_404(request, found)


@rate_limited("file")
@require_GET
def person(request, public_id: str):
    found = selectors.public_person(public_id)
    return _file_or_404(request, found)


def _file_or_404(request, found):
    if found is None:
        # the same page for an unknown subject and for an individual the law does not publish
        return render(request, "portal/subject_404.html", status=404)
    # a subject with thousands of licences: the newest facts of each section, the rest on request
    # (only those are assembled: a heavy file costs what it shows)
    expand = request.GET.get("all", "")
    credit_file = selectors.credit_file(found, newest=None if expand else selectors.section_limit())
    sections = selectors.page_sections(credit_file, expand=expand)
    grades = [] if found.is_individual else evaluation_selectors.public_grades(found.id, day=credit_file.day)
    return render(request, "portal/subject.html", {"file": credit_file, "basics": credit_file.basics, "sections": sections, "grades": grades})


@require_GET
def display(request):
    """Large-text mode (适老化) on or off: a cookie, then back to the page the visitor was on.
    A plain link, so it works without JavaScript."""
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = redirect(target)
    if request.GET.get("large") == "on":
        response.set_cookie(LARGE_TEXT_COOKIE, "1", max_age=LARGE_TEXT_MAX_AGE, samesite="Lax", httponly=True, secure=request.is_secure())
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
    return response
