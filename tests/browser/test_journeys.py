"""The public's journeys on 信用吉林 in a real browser, on the demo province (JOURNEYS.md: 张先生
before signing a contract; issue 3's Deliver and "Done when")."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from . import demo_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def pdf_flat_text(data: bytes) -> str:
    """The report's text without the spaces and breaks the extractor puts between glyphs."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


def fact(page, document_no: str):
    """The fact (article) of a credit file that carries this decision document number."""
    return page.locator("article.fact").filter(has=page.locator("dd.code", has_text=re.compile(rf"^\s*{re.escape(document_no)}\s*$")))


def shown_value(scope, label: str) -> str:
    """The value (dd) of a label (dt) in a list of facts."""
    return scope.locator(f'dt:text-is("{label}") + dd').first.inner_text()


def section_count(page, key: str) -> int:
    """The count shown in a section's heading of a credit file: “（N 条）”."""
    heading = page.locator(f"#h-{key}").inner_text()
    return int(re.search(r"（(\d+) 条）", heading).group(1))


def test_a_citizen_on_a_phone_finds_a_company_reads_its_file_and_verifies_its_report(phone, site):
    """张先生: part of a name → the result → the credit file (licences, penalties with source and
    document number) → a credit report (PDF) → /verify/ says genuine; a tampered number is refused."""
    firm = demo_data.organization_with_penalty_and_licence()
    penalties = demo_data.public_penalties(firm)
    fragment = demo_data.name_fragment(firm)
    page = phone

    page.goto(site.at("/"))
    assert page.locator("h1").inner_text() == "信用吉林"
    page.get_by_label("输入主体名称、统一社会信用代码或注册号").fill(fragment)
    page.get_by_role("button", name="查询").first.click()
    page.wait_for_url(re.compile(r"/search/\?q="))
    assert f"“{fragment}”：共找到" in page.locator(".search-summary").inner_text()
    result = page.locator("li.search-result").filter(has_text=firm.uscc)
    assert result.count() == 1, f"{firm.name} ({firm.uscc}) is not on the first page of results for “{fragment}”"
    assert fragment in result.locator("mark").inner_text()  # the matched part is highlighted
    # no sideways scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    result.get_by_role("link").click()

    page.wait_for_url(f"**/subjects/{firm.uscc}/")
    assert page.locator("h1").inner_text() == firm.name
    assert firm.uscc in page.locator(".file-id").inner_text()
    assert section_count(page, "licensing") >= 1
    assert page.locator("#s-licensing article.fact").count() >= 1
    assert section_count(page, "penalty") == len(penalties)
    for record in penalties:
        shown = fact(page, record.document_no)
        assert shown.count() == 1, f"penalty {record.document_no} is not on the credit file"
        text = shown.inner_text()
        assert "信息来源部门" in text and record.department.name in text
        assert record.decided_on.isoformat() in text
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="出具信用报告（PDF）").click()
    page.wait_for_url(re.compile(r"/reports/new\?subject="))
    assert page.locator("h1").inner_text() == "出具公共信用信息报告"
    with page.expect_download() as download_info:
        page.get_by_role("button", name="生成并下载报告（PDF）").click()
    download = download_info.value
    shown_number = re.fullmatch(r"信用报告-(JL-\d{8}-[0-9A-Z]{5}-[0-9A-Z]{5})\.pdf", download.suggested_filename)
    assert shown_number, download.suggested_filename
    number = shown_number.group(1)
    pdf_path = download.path()
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF-")
    text = pdf_flat_text(data)
    assert number in text and firm.name in text and firm.uscc in text
    for record in penalties:
        assert record.document_no.replace(" ", "") in text
    code = re.search(r"验证码([0-9A-Z]{4}-[0-9A-Z]{4})", text).group(1)

    # the verification page, from the site's navigation, as his lawyer would (number and code
    # typed from the paper, and the PDF file itself)
    page.goto(site.at("/"))
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="报告验证").click()
    page.wait_for_url("**/verify/")
    page.get_by_label("报告编号", exact=True).fill(number)
    page.get_by_label("验证码", exact=True).fill(code.lower())  # as typed: case does not matter
    page.get_by_label("报告文件（可选）", exact=True).set_input_files(str(pdf_path))
    page.get_by_role("button", name="核验").click()
    verdict = page.locator(".notice[role=status]")
    assert verdict.inner_text().startswith("报告真实，文件未被改动")
    assert firm.name in page.locator("dl.facts.card").inner_text()
    assert number in page.locator("dl.facts.card").inner_text()

    # the same report with one byte of the file changed: the number is right, the file is not
    altered = bytearray(data)
    altered[len(altered) // 2] ^= 0x01
    altered_path = pdf_path.with_name("altered.pdf")
    altered_path.write_bytes(bytes(altered))
    page.get_by_label("报告编号", exact=True).fill(number)
    page.get_by_label("验证码", exact=True).fill(code)
    page.get_by_label("报告文件（可选）", exact=True).set_input_files(str(altered_path))
    page.get_by_role("button", name="核验").click()
    assert page.locator(".notice[role=status]").inner_text().startswith("文件已被改动")

    # a tampered number: one character of its random part changed
    tail = number[-1]
    tampered = number[:-1] + ("X" if tail != "X" else "Y")
    page.get_by_label("报告编号", exact=True).fill(tampered)
    page.get_by_label("验证码", exact=True).fill(code)
    page.get_by_role("button", name="核验").click()
    assert page.locator(".notice[role=status]").inner_text().startswith("未能核验")
    assert "未找到与该报告编号和验证码相符的报告" in page.locator(".notice[role=status]").inner_text()
    assert firm.name not in page.locator("main").inner_text()


def test_a_penalty_leaves_the_file_and_the_listings_the_day_after_its_period_ends(page, site):
    """publish_until yesterday: gone from the credit file and 双公示; publish_until today: shown
    (the last day of the period is included)."""
    from django.utils import timezone

    from xinyong.records.models import Record

    today = timezone.localdate()
    firm = demo_data.organization_with_penalty_and_licence()
    ending, *others = demo_data.public_penalties(firm)
    dept = ending.department

    page.goto(site.at(f"/subjects/{firm.uscc}/"))
    before = section_count(page, "penalty")
    assert fact(page, ending.document_no).count() == 1
    page.goto(site.at(f"/shuanggongshi/?dept={dept.code}&type=penalty"))
    listed_before = page.locator("main").inner_text()
    assert ending.document_no in listed_before
    total_before = int(re.search(r"共 (\d+) 条", listed_before).group(1))

    # its last day is today: still published
    Record.objects.filter(pk=ending.pk).update(publish_until=today)
    page.goto(site.at(f"/subjects/{firm.uscc}/"))
    assert fact(page, ending.document_no).count() == 1
    assert shown_value(fact(page, ending.document_no), "公示截止日期") == today.isoformat()

    # its period ended yesterday: no longer published, without waiting for any job
    Record.objects.filter(pk=ending.pk).update(publish_until=today - timedelta(days=1))
    page.reload()
    assert fact(page, ending.document_no).count() == 0
    assert section_count(page, "penalty") == before - 1
    assert ending.document_no not in page.locator("main").inner_text()
    for record in others:  # the firm's other penalties, still in their period, still show
        assert fact(page, record.document_no).count() == 1
    page.goto(site.at(f"/shuanggongshi/?dept={dept.code}&type=penalty"))
    listed_after = page.locator("main").inner_text()
    assert ending.document_no not in listed_after
    if total_before > 1:
        assert int(re.search(r"共 (\d+) 条", listed_after).group(1)) == total_before - 1
    else:
        assert "没有符合筛选条件的公示信息" in listed_after


def test_an_ended_record_no_longer_counts_in_the_lists(page, site):
    """A list entry derived from a record leaves the list (its page, its counts on the lists index
    and the home page) once the record's publication period is over and the jobs have run."""
    from django.utils import timezone

    from xinyong.common.schedule import run_job
    from xinyong.records.models import Record
    from xinyong.sanctions.models import ListEntry

    code, entry = demo_data.busiest_derived_list()
    subject = entry.subject
    page.goto(site.at(f"/lists/{code}/"))
    name = page.locator("h1").inner_text()
    before = int(re.search(r"共 (\d+) 条", page.locator("main").inner_text()).group(1))
    assert page.locator("tbody tr").filter(has_text=subject.display_name).count() >= 1
    page.goto(site.at("/"))
    home_row = page.locator("ul.list-counts li").filter(has=page.get_by_role("link", name=name, exact=True))
    assert home_row.inner_text().endswith(f"{before} 个主体")
    page.goto(site.at("/lists/"))
    index_row = page.locator("main tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))
    assert index_row.locator("td.num").inner_text() == f"{before} 个主体"

    # every record of the kind that puts the subject on this list ends its period yesterday
    entries = ListEntry.objects.filter(list_code=code, subject=subject, status="listed")
    items = set(Record.objects.filter(pk__in=entries.values("basis_record_id")).values_list("item_code", flat=True))
    leaving = entries.count()
    Record.objects.filter(subject=subject, item_code__in=items).update(publish_until=timezone.localdate() - timedelta(days=1))
    run_job("publication.expire")
    run_job("lists.update")

    page.goto(site.at(f"/lists/{code}/"))
    text = page.locator("main").inner_text()
    after = int(re.search(r"共 (\d+) 条", text).group(1)) if "共 " in text else 0
    assert after == before - leaving
    assert page.locator("tbody tr").filter(has_text=subject.display_name).count() == 0
    page.goto(site.at("/"))
    assert home_row.inner_text().endswith(f"{after} 个主体")
    page.goto(site.at("/lists/"))
    assert index_row.locator("td.num").inner_text() == f"{after} 个主体"
    page.goto(site.at(f"/lists/{code}/{entry.id}/"))
    assert page.locator("h1").inner_text() != subject.display_name


def test_a_record_under_objection_is_marked(page, site):
    record = demo_data.record_under_objection()
    page.goto(site.at(f"/subjects/{record.subject.uscc}/"))
    notice = page.locator(".notice.warn")
    assert "正在异议处理中" in notice.inner_text()
    shown = fact(page, record.document_no)
    assert shown.count() == 1
    assert shown.locator(".badge.objection").inner_text() == "异议处理中"
    assert "已对该条信息提出异议" in shown.inner_text()
    # other facts of the file carry no mark
    assert page.locator("article.fact .badge.objection").count() == page.locator("article.fact.disputed").count() == 1
    # the decision's own page on 双公示 says so too
    page.goto(site.at(f"/shuanggongshi/{record.id}/"))
    assert page.locator("main .badge.objection").first.inner_text() == "异议处理中"


def test_shuanggongshi_filters_by_department_and_flags_the_seven_working_days(page, site):
    from xinyong.catalog.registry import get_catalog

    record = demo_data.a_decision()
    dept = record.department
    system = get_catalog().departments[dept.code].system

    page.goto(site.at("/"))
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="双公示").click()
    page.wait_for_url("**/shuanggongshi/")
    assert page.locator("h1").inner_text() == "“双公示”信息"
    # without JavaScript: choose the system, filter, then the department of that system
    page.get_by_label("决定部门（条线）").select_option(system)
    page.get_by_role("button", name="筛选").click()
    page.get_by_label("具体部门").select_option(dept.code)
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(re.compile(r"dept="))
    rows = page.locator("table").first.locator("tbody tr")
    assert rows.count() >= 1
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        assert cells.nth(3).inner_text() == dept.name
        assert re.match(r"^(按时公示|超期公示|—)", cells.nth(5).inner_text())
    row = rows.filter(has_text=record.document_no)
    assert row.count() == 1
    flag = "按时公示" if record.on_time else "超期公示"
    assert row.locator("td").nth(5).inner_text().startswith(flag)
    row.get_by_role("link", name=re.compile("^详情")).click()
    page.wait_for_url(f"**/shuanggongshi/{record.id}/")
    summary = page.locator("#h-summary + dl").inner_text()
    assert record.document_no in summary and dept.name in summary
    assert "7个工作日内" in summary and flag in summary
    assert page.locator("h1").inner_text().endswith(record.document_no)


def test_a_list_page_shows_entries_and_links_to_their_basis(page, site):
    code, entry = demo_data.busiest_derived_list()
    page.goto(site.at("/lists/"))
    page.locator("main table").get_by_role("link", name=demo_data.list_name(code), exact=True).click()
    page.wait_for_url(f"**/lists/{code}/")
    rows = page.locator("main table tbody tr")
    assert rows.count() >= 1
    assert "法律依据" in page.locator("main .card").first.inner_text()
    row = rows.filter(has=page.locator(f'a[href$="/lists/{code}/{entry.id}/"]'))
    assert row.count() == 1
    row.get_by_role("link", name=re.compile("^详情")).click()
    page.wait_for_url(f"**/lists/{code}/{entry.id}/")
    assert page.locator("h1").inner_text() == entry.subject.display_name
    basis = page.locator("section", has=page.locator("#h-basis"))
    assert entry.basis_record.document_no in basis.inner_text() or not entry.basis_record.document_no
    basis.get_by_role("link", name="在信用档案中查看这条记录").click()
    page.wait_for_url(re.compile(rf"/subjects/.+#f-{entry.basis_record_id}$"))
    assert page.locator(f"#f-{entry.basis_record_id}").is_visible()


def test_large_text_mode_switches_without_javascript_and_stays_on_across_pages(page_without_js, site):
    page = page_without_js
    page.goto(site.at("/shuanggongshi/"))

    def root_px() -> float:
        # Playwright's own script: the site's pages get no JavaScript in this tab
        return float(page.locator("html").evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))

    normal = root_px()
    page.get_by_role("link", name=re.compile("^大字模式：关")).click()
    page.wait_for_url("**/shuanggongshi/")  # back on the same page
    assert page.locator("html.large-text").count() == 1
    assert root_px() >= normal * 1.2
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="信用名单").click()
    page.wait_for_url("**/lists/")
    assert page.locator("html.large-text").count() == 1 and root_px() >= normal * 1.2
    page.get_by_role("link", name=re.compile("^大字模式：开")).click()
    page.wait_for_url("**/lists/")
    assert page.locator("html.large-text").count() == 0 and root_px() == normal
    page.goto(site.at("/"))
    assert page.locator("html.large-text").count() == 0
    assert page.get_by_role("link", name=re.compile("^大字模式：关")).count() == 1


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
            const e = document.activeElement, s = getComputedStyle(e);
            return {tag: e.tagName, id: e.id, text: (e.innerText || e.value || '').trim(),
                    outline: s.outlineStyle, width: parseFloat(s.outlineWidth), nav: !!e.closest('nav.site-nav')};
        }"""
    )


def test_search_and_navigation_work_from_the_keyboard_with_visible_focus(page, site):
    firm = demo_data.organization_with_penalty_and_licence()
    fragment = demo_data.name_fragment(firm)
    page.goto(site.at("/"))

    page.keyboard.press("Tab")
    first = _focused(page)
    assert first["text"] == "跳到正文" and first["outline"] != "none" and first["width"] >= 2
    assert page.locator("a.skip").bounding_box()["x"] >= 0  # shown when focused

    seen_nav = []
    for _ in range(30):
        page.keyboard.press("Tab")
        now = _focused(page)
        if now["nav"]:
            seen_nav.append(now["text"])
            assert now["outline"] != "none" and now["width"] >= 2, f"no visible focus on {now}"
        if now["id"] == "home-q":
            break
    else:
        pytest.fail("the search box cannot be reached with the Tab key")
    assert {"首页", "信用查询", "双公示", "信用名单", "报告验证"} <= set(seen_nav)
    assert now["outline"] != "none"
    page.keyboard.type(fragment)
    page.keyboard.press("Tab")  # on to the search button, and press it
    button = _focused(page)
    assert button["tag"] == "BUTTON" and button["text"] == "查询" and button["outline"] != "none" and button["width"] >= 2
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))

    # from the results: Tab to the firm's link and open it with Enter
    target = f"/subjects/{firm.uscc}/"
    for _ in range(80):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href')")
        if href == target:
            break
    else:
        pytest.fail("the result cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{target}")
    assert page.locator("h1").inner_text() == firm.name

    # the main navigation from the keyboard: focus 双公示 and press Enter
    page.goto(site.at("/"))
    for _ in range(30):
        page.keyboard.press("Tab")
        if _focused(page)["text"] == "双公示" and _focused(page)["nav"]:
            break
    else:
        pytest.fail("双公示 cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    page.wait_for_url("**/shuanggongshi/")
