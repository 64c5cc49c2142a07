"""An enterprise objects to a record and applies for credit repair, end to end in a real browser
on the demo province: its account, the credit file page, the case pages, the department's
review and the credit centre's decision (issue 6, "Done when")."""

from __future__ import annotations

import random
import re

import pytest

from tests.conftest import tiny_png

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PASSWORD = "Xinyong-portal-2026"
PNG = tiny_png()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def repairable_penalty():
    """A public general penalty of a registered enterprise (legal representative on record),
    past its minimum publication period, not under objection: repair may be asked today."""
    from xinyong.records.models import Record
    from xinyong.records.selectors import public_q, today
    from xinyong.redress.rules import repair_eligibility

    candidates = (
        Record.objects.filter(public_q(), item_code__startswith="penalty.", severity="一般", repair_from__lte=today(), under_objection=False)
        .exclude(subject__kind="individual").exclude(subject__legal_rep="").filter(subject__registered=True)
        .select_related("subject", "department").order_by("id")
    )
    for record in candidates[:200]:
        if repair_eligibility(record=record, day=today()).eligible:
            return record
    raise AssertionError("the demo province has no enterprise penalty open to repair today")


def login(page, site, path: str, username: str, password: str) -> None:
    page.goto(site.at(path))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def accessible(page) -> None:
    """No serious or critical WCAG 2.1 A/AA violation (axe-core) on the current page, one h1."""
    from .demo_data import BLOCKING, axe_run, axe_summary

    assert page.locator("h1").count() == 1
    blocking = [v for v in axe_run(page)["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"{page.url}: serious or critical accessibility violations:\n{axe_summary(blocking)}"


def fact(page, document_no: str):
    return page.locator("article.fact").filter(has=page.locator("dd.code", has_text=re.compile(rf"^\s*{re.escape(document_no)}\s*$")))


def test_an_enterprise_objects_to_a_record_and_gets_it_repaired(chromium, site, request, django_user_model):
    from django.contrib.auth.models import Group

    from tests.browser.conftest import DESKTOP, _open_context
    from xinyong.accounts.services import account_register
    from xinyong.catalog.models import DepartmentMembership
    from xinyong.demo.codes import make_id_number
    from xinyong.records.models import Record
    from xinyong.security.models import Role

    record = repairable_penalty()
    firm = record.subject
    account = account_register(kind="organization", name=firm.legal_rep, id_number=make_id_number(random.Random(6), region="220102"), mobile="13900001234", username="firm-browser", password=PASSWORD, uscc=firm.uscc)
    assert account.status == "active"
    operator = django_user_model.objects.create_user(username="op-browser", password=PASSWORD)
    operator.groups.add(Group.objects.get_or_create(name=Role.DEPARTMENT_OPERATOR)[0])
    DepartmentMembership.objects.create(user=operator, department=record.department)
    centre = django_user_model.objects.create_user(username="centre-browser", password=PASSWORD, is_staff=True)
    centre.groups.add(Group.objects.get_or_create(name=Role.PLATFORM_ADMIN)[0])

    firm_ctx = _open_context(chromium, request, viewport=DESKTOP)
    page = firm_ctx.new_page()
    try:
        login(page, site, "/my/login/", "firm-browser", PASSWORD)
        # 1. the objection, from the fact on the enterprise's credit file
        page.goto(site.at(f"/subjects/{firm.uscc}/"))
        fact(page, record.document_no).get_by_role("link", name="对该条信息提出异议").click()
        page.wait_for_url(re.compile(r"/objections/new/\d+/"))
        assert page.locator("h1").inner_text() == "对信用信息提出异议"
        accessible(page)
        page.get_by_label("处罚内容").check()
        page.get_by_label("异议理由").fill("罚款金额与处罚决定书不一致，决定书载明罚款1万元。")
        page.get_by_label("证明材料").set_input_files({"name": "处罚决定书.png", "mimeType": "image/png", "buffer": PNG})
        page.get_by_role("button", name="提交异议").click()
        page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/filed/"))
        assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}", page.locator("#receipt-code").inner_text())
        page.goto(site.at(f"/subjects/{firm.uscc}/"))
        assert "异议处理中" in fact(page, record.document_no).inner_text()

        # 2. the repair application, with its conditions listed
        page.goto(site.at("/repair/"))
        card = page.locator("article.card").filter(has=page.locator("dd.code", has_text=record.document_no))
        card.get_by_role("link", name="申请信用修复").click()
        page.wait_for_url(re.compile(rf"/repair/new/{record.pk}/"))
        assert "已满足：最短公示期已届满" in page.locator("ul.checklist").inner_text()
        accessible(page)
        page.get_by_label("纠正失信行为、履行法定义务的情况").fill("已于上月缴清罚款，并完成广告整改。")
        page.get_by_label("证明材料").set_input_files({"name": "缴款凭证.pdf", "mimeType": "application/pdf", "buffer": PDF})
        page.get_by_label("本主体已阅读并签署上述信用承诺").check()
        page.get_by_role("button", name="提交信用修复申请").click()
        page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/filed/"))
        repair_url = page.get_by_role("link", name="查看办件").get_attribute("href")
        page.goto(site.at(repair_url))
        assert "认定部门审核中" in page.locator("p.lead").inner_text()
        accessible(page)
    except BaseException:
        firm_ctx.close()
        raise

    staff_ctx = _open_context(chromium, request, viewport=DESKTOP)
    staff_page = staff_ctx.new_page()
    try:
        # 3. the recognizing department reviews
        login(staff_page, site, "/accounts/login/", "op-browser", PASSWORD)
        staff_page.goto(site.at("/dept/cases/?kind=repair"))
        staff_page.locator("table a").filter(has_text=f"{record.document_no}）信用修复").click()
        accessible(staff_page)
        staff_page.get_by_label("已核实，同意修复（反馈信用中心）").check()
        staff_page.get_by_label("审核意见（不同意的，写明理由）").fill("已核实罚款缴纳凭证。")
        staff_page.get_by_role("button", name="提交审核意见").click()
        assert "审核意见已反馈信用中心" in staff_page.locator("ul.messages").inner_text()
        # the objection is in its queue too, with the fields the applicant disputes
        staff_page.goto(site.at("/dept/cases/?kind=objection"))
        staff_page.locator("table a").filter(has_text=f"{record.document_no}）的异议").click()
        staff_page.get_by_label("维持原记录").check()
        staff_page.get_by_label("书面答复").fill("经核查，原记录与处罚决定书一致，予以维持。")
        staff_page.get_by_role("button", name="作出结论并答复申请人").click()
        assert "核查结论已作出" in staff_page.locator("ul.messages").inner_text()
    finally:
        staff_ctx.close()

    centre_ctx = _open_context(chromium, request, viewport=DESKTOP)
    centre_page = centre_ctx.new_page()
    try:
        # 4. the credit centre decides
        login(centre_page, site, "/accounts/login/", "centre-browser", PASSWORD)
        centre_page.goto(site.at("/dept/cases/?kind=repair"))
        centre_page.locator("table a").filter(has_text=f"{record.document_no}）信用修复").click()
        centre_page.get_by_label("予以信用修复（停止公示，更新评价和名单）").check()
        centre_page.get_by_label("决定说明（不予修复的，写明理由）").fill("符合信用修复条件，予以修复。")
        centre_page.get_by_role("button", name="作出决定").click()
        assert "已决定信用修复" in centre_page.locator("ul.messages").inner_text()
    finally:
        centre_ctx.close()

    try:
        # 5. the enterprise sees the outcome; the public file no longer shows the record
        page.goto(site.at(repair_url))
        assert "已修复" in page.locator("p.lead").inner_text()
        page.goto(site.at(f"/subjects/{firm.uscc}/"))
        assert fact(page, record.document_no).count() == 0
        assert Record.objects.get(pk=record.pk).status == "repaired"
    finally:
        firm_ctx.close()
