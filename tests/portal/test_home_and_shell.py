"""The home page and the site's shell: Chinese, accessible (skip link, landmarks, headings in
order, labelled search), and the large-text mode for elderly users (适老化) that works without
JavaScript."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

from tests.portal.conftest import org, penalty, person
from xinyong.sanctions.models import ListEntry
from xinyong.subjects.models import Subject


def headings(html: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]


def assert_accessible_shell(html: str) -> None:
    assert '<html lang="zh-Hans"' in html and 'name="viewport"' in html
    assert '<a class="skip" href="#main">跳到正文</a>' in html and '<main id="main"' in html
    assert '<header class="site-header">' in html and '<nav class="site-nav" aria-label="主导航">' in html and "<footer>" in html
    levels = headings(html)
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # no level skipped


@pytest.fixture
def decisions(send, uscc, id_number):
    code = uscc("220102")
    send(
        "penalty.gsj",
        [
            penalty(org("长春市青禾餐饮管理有限公司", code), "长市监罚〔2026〕31号", 处罚决定日期="2026-11-20"),
            penalty(person("王小明", id_number("220102")), "长市监罚〔2026〕32号", 处罚决定日期="2026-11-21"),
            penalty(org("长春市青禾餐饮管理有限公司", code), "长市监罚〔2026〕33号", 处罚决定日期="2026-11-22", 失信严重程度="轻微", 处罚类别="警告", 处罚内容="警告", **{"罚款金额（万元）": ""}),
        ],
        "220100-GSJ",
    )
    return code


def test_the_home_page_has_search_latest_decisions_lists_and_data_time(client, decisions):
    firm = Subject.objects.get(uscc=decisions)
    ListEntry.objects.create(list_code="dishonest_debtors", subject=firm, listed_on="2026-09-01")
    ListEntry.objects.create(list_code="dishonest_debtors", subject=Subject.objects.get(kind="individual"), individual=True, listed_on="2026-09-02")
    ListEntry.objects.create(list_code="tax_a_grade", subject=firm, listed_on="2026-04-15")
    ListEntry.objects.create(list_code="tax_a_grade", subject=firm, listed_on="2025-04-15", status="removed")
    ListEntry.objects.create(list_code="research_misconduct", subject=firm, listed_on="2025-04-15")  # not a public list
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_accessible_shell(html)
    # the search box: a labelled field sent by GET to /search/
    assert re.search(r'<form method="get" action="/search/" role="search"', html)
    assert '<label for="home-q">' in html and '<input type="search" id="home-q" name="q"' in html
    # the latest 双公示 decisions: an organization links to its file; an individual's name is masked, no link
    assert f'<a href="/subjects/{decisions}/">长春市青禾餐饮管理有限公司</a>' in html
    assert "王*明" in html and "王小明" not in html and "长市监罚〔2026〕32号" in html
    assert "长市监罚〔2026〕33号" not in html  # a warning (轻微) is not published
    # list counts, data time, the way to every public service
    assert '<a href="/lists/dishonest_debtors/">失信被执行人名单</a> <span class="count">2 个主体</span>' in html
    assert '<a href="/lists/tax_a_grade/">纳税信用A级纳税人</a> <span class="count">1 个主体</span>' in html
    assert "research_misconduct" not in html and "科研失信" not in html
    assert re.search(r'数据更新至：<time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d</time>', html)
    for link in ('href="/shuanggongshi/"', 'href="/lists/"', 'href="/verify/"', 'href="/search/"'):
        assert link in html, link


def test_an_empty_platform_has_a_friendly_home_page(client, db):
    html = client.get("/").content.decode()
    assert "暂无公示中的行政许可和行政处罚信息" in html and "数据更新至：暂无数据" in html


def test_the_credit_file_and_404_pages_keep_headings_in_order(client, decisions):
    assert_accessible_shell(client.get(f"/subjects/{decisions}/").content.decode())
    missing = client.get("/subjects/p/00000000-0000-0000-0000-000000000000/")
    assert missing.status_code == 404
    assert_accessible_shell(missing.content.decode())


def test_large_text_mode_is_switched_by_a_link_and_a_cookie(client, decisions):
    url = f"/subjects/{decisions}/"
    html = client.get(url).content.decode()
    assert "large-text" not in html.split("<head>")[0] and "大字模式：关" in html
    toggle = re.search(r'<a class="mode-toggle" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert toggle.startswith("/display/?large=on&next=")

    response = client.get(toggle)
    assert response.status_code == 302 and response["Location"] == url
    cookie = response.cookies["xy_large_text"]
    assert cookie.value == "1" and cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 30 * 86400

    html = client.get(url).content.decode()
    assert '<html lang="zh-Hans" class="large-text">' in html and "大字模式：开" in html
    assert client.get("/").content.decode().count('class="large-text"') == 1  # site-wide, every page

    off = re.search(r'<a class="mode-toggle" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "large=off" in off
    response = client.get(off)
    assert response.status_code == 302 and response.cookies["xy_large_text"]["max-age"] == 0
    html = client.get(url).content.decode()
    assert 'class="large-text"' not in html and "大字模式：关" in html


def test_large_text_mode_never_redirects_off_site(client, db):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.get("/display/", {"large": "on", "next": target})
        assert response.status_code == 302 and response["Location"] == "/"


def test_the_style_sheet_enlarges_type_and_spacing_and_keeps_focus_visible():
    css = open(finders.find("portal/site.css"), encoding="utf-8").read()
    assert re.search(r"html\.large-text \{ font-size: 125%; \}", css)
    assert "html.large-text body { line-height:" in css
    assert ":focus-visible { outline: 3px solid" in css
    assert "@media (max-width: 720px)" in css and ".home-grid { grid-template-columns: 1fr; }" in css
    # sizes in rem/em (so the mode scales everything): no fixed pixel font sizes
    assert not re.search(r"font-size:\s*\d+px", css)


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_have_a_contrast_of_at_least_4_5_to_1():
    css = open(finders.find("portal/site.css"), encoding="utf-8").read()
    var = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [
        ("ink", "bg"), ("ink", "card"), ("muted", "bg"), ("muted", "card"), ("link", "bg"), ("link", "card"),
        ("bad", "card"), ("ok", "card"), ("warn", "card"), ("brand", "card"),
    ]
    for fg, bg in pairs:
        assert contrast(var[fg], var[bg]) >= 4.5, (fg, bg, round(contrast(var[fg], var[bg]), 2))
    assert contrast("#ffffff", var["brand"]) >= 4.5  # the header's text
    assert contrast("#7a4100", "#fff1d6") >= 4.5  # the 异议处理中 badge
