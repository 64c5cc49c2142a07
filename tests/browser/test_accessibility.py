"""axe-core on the portal's main pages (WCAG 2.1 A and AA rules): no serious or critical
violation, on a desktop screen and in large-text mode (适老化)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from . import demo_data
from .demo_data import BLOCKING, axe_run, axe_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PAGES = [
    "home",
    "search",
    "search_results",
    "organization_file",
    "individual_file",
    "shuanggongshi",
    "decision",
    "lists_index",
    "list",
    "list_entry",
    "report_new",
    "verify",
    "verify_result",
    "not_found",
    "file_not_found",
    "home_large_text",
    "organization_file_large_text",
]


DANGLING_REFERENCES = """() => {
    const out = [];
    for (const e of document.querySelectorAll('[aria-describedby], [aria-labelledby], [aria-controls], label[for]')) {
        for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls', 'for']) {
            for (const id of (e.getAttribute(attr) || '').split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) out.push(`${e.tagName.toLowerCase()}[${attr}=${id}]`);
            }
        }
    }
    return out;
}"""


@pytest.fixture(scope="module")
def paths(site):
    from xinyong.portal.selectors import subject_url
    from xinyong.reports import services as report_services
    from xinyong.security.services import Actor

    org = demo_data.organization_with_penalty_and_licence()
    person = demo_data.listed_individual()
    list_code, entry = demo_data.busiest_list()
    issued = report_services.report_issue(subject=org, actor=Actor.system("浏览器测试"), requester="", door="web", site_url=site.url)
    org_url = subject_url(org)
    return {
        "home": "/",
        "search": "/search/",
        "search_results": f"/search/?q={quote(demo_data.name_fragment(org))}",
        "organization_file": org_url,
        "individual_file": subject_url(person),
        "shuanggongshi": "/shuanggongshi/",
        "decision": f"/shuanggongshi/{demo_data.a_decision().id}/",
        "lists_index": "/lists/",
        "list": f"/lists/{list_code}/",
        "list_entry": f"/lists/{list_code}/{entry.id}/",
        "report_new": f"/reports/new?subject={org.uscc}",
        "verify": "/verify/",
        "verify_result": f"/verify/?n={issued.report.number}&c={issued.code}",
        "not_found": "/no-such-page/",
        "file_not_found": "/subjects/91220101MA0000000X/",
        "home_large_text": "/",
        "organization_file_large_text": org_url,
    }


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_accessibility_violations(page, site, paths, name):
    if name.endswith("_large_text"):
        # switched on the way a visitor does: the link in the header, then back to the page
        page.goto(site.at("/"))
        page.get_by_role("link", name="大字模式：关").click()
        assert page.locator("html.large-text").count() == 1
    response = page.goto(site.at(paths[name]))
    expected = 404 if name.endswith("not_found") else 200
    assert response is not None and response.status == expected, f"{paths[name]}: HTTP {response and response.status}"
    assert page.locator("h1").count() == 1
    results = axe_run(page)
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    others = [v for v in results["violations"] if v["impact"] not in BLOCKING]
    if others:
        print(f"{name}: minor/moderate findings:\n{axe_summary(others)}")
    print(f"{name}: axe-core {results['testEngine']['version']}, {len(results['violations'])} violations")
    assert not blocking, f"{paths[name]}: serious or critical accessibility violations:\n{axe_summary(blocking)}"
    # references axe-core lets pass: a description or label pointing at an id that is not there
    dangling = page.evaluate(DANGLING_REFERENCES)
    assert not dangling, f"{paths[name]}: references to missing ids: {dangling}"


def test_the_check_finds_what_it_is_meant_to_find(page):
    """The same check on a page with known faults fails (a check that cannot fail is no check)."""
    page.set_content(
        '<html><head><title>坏页面</title></head><body><main><h1>坏页面</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#bbb;background:#fff">对比度不足的文字</p>'
        '<input type="text" name="q"><a href="/x"></a></main></body></html>'
    )
    found = {v["id"] for v in axe_run(page)["violations"] if v["impact"] in BLOCKING}
    assert {"html-has-lang", "image-alt", "color-contrast", "label", "link-name"} <= found, found
    page.set_content('<html lang="zh-Hans"><body><input aria-describedby="nowhere"><label for="gone">x</label></body></html>')
    assert page.evaluate(DANGLING_REFERENCES) == ["input[aria-describedby=nowhere]", "label[for=gone]"]
