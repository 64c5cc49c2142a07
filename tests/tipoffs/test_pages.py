"""The tip-off platform's pages: reporting on the portal (links, receipt code shown once, replays,
bad input, enumeration, rate limit, CSRF), following with the receipt code, and the staff pages
of the joint verification; the reporter's identity never on a page but the credit centre's
reveal."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.cases.conftest import PDF, PNG
from tests.tipoffs.conftest import FACTS, REPORTER_CONTACT, REPORTER_NAME, penalty_values
from xinyong.cases.models import Case, CaseAttachment, CaseEvent
from xinyong.security.models import AuditEntry
from xinyong.subjects.models import Subject
from xinyong.tipoffs.models import Tipoff

SECRETS = (REPORTER_NAME, REPORTER_CONTACT, "1371234", "tip-reporter", "203.0.113.7")


def html(response) -> str:
    return response.content.decode()


def bare(response) -> str:
    """The page without its per-render CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html(response))


def form(target, **over) -> dict:
    data = {"subject": target.uscc, "category": "market_fraud", "facts": FACTS, "occurred_from": "2026-09-01", "name": REPORTER_NAME, "contact": REPORTER_CONTACT, "nonce": "nonce-1"}
    data.update(over)
    return data


def file_on_page(client, subject, **over) -> tuple[Case, str]:
    response = client.post("/tipoffs/new/", form(subject, **over), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302 and response["Location"] == "/tipoffs/filed/", html(response)[:2000]
    page = html(client.get("/tipoffs/filed/"))
    code = re.search(r'id="receipt-code">([A-Z0-9-]{19})<', page).group(1)
    return Case.objects.filter(kind="tipoff").latest("id"), code


@pytest.fixture
def target(firm, clock):
    clock("2026-09-15")
    subject, _ = firm()
    return subject


def test_report_from_a_credit_file_and_follow_it_with_the_receipt_code(client, target, upload):
    home = html(client.get("/"))
    assert 'href="/tipoffs/new/"' in home and 'href="/tipoffs/track/"' in home
    file_page = html(client.get(f"/subjects/{target.uscc}/"))
    assert f"/tipoffs/new/?subject={target.uscc}" in file_page
    page = html(client.get(f"/tipoffs/new/?subject={target.uscc}"))
    assert target.name in page and "举报人保护" in page and 'name="nonce"' in page

    response = client.post("/tipoffs/new/", {**form(target), "files": [upload("现场照片.png", PNG), upload("价签.pdf", PDF, "application/pdf")]})
    assert response.status_code == 302
    filed = client.get("/tipoffs/filed/")
    assert filed["Cache-Control"].startswith("max-age=0") or "no-cache" in filed["Cache-Control"]
    code = re.search(r'id="receipt-code">([A-Z0-9-]{19})<', html(filed)).group(1)
    assert client.get("/tipoffs/filed/").status_code == 302  # shown once
    case = Case.objects.get(kind="tipoff")
    assert case.subject == target and case.attachments.count() == 2
    # the same form sent again (back button, double click): nothing new, no second code
    again = client.post("/tipoffs/new/", form(target))
    assert "该举报已经提交" in html(again) and "receipt-code" not in html(again)
    assert Case.objects.filter(kind="tipoff").count() == 1

    tracked = client.post("/tipoffs/track/", {"code": code.lower().replace("-", " ")})
    assert tracked.status_code == 200 and "信用中心分办中" in html(tracked)
    assert FACTS not in html(tracked) and "长春市" not in html(tracked)  # status only, nothing else


def test_bad_input_is_refused_with_reasons_and_nothing_kept(client, target, upload, settings):
    exe = client.post("/tipoffs/new/", {**form(target), "files": [upload("证据.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf")]})
    assert exe.status_code == 422 and "msg error" in html(exe)
    big = client.post("/tipoffs/new/", {**form(target, nonce="n2"), "files": [upload("大.pdf", PDF + b"0" * (settings.XINYONG["CASES"]["ATTACHMENT_MAX_MB"] * 1024 * 1024), "application/pdf")]})
    assert big.status_code == 422
    long = client.post("/tipoffs/new/", form(target, nonce="n3", facts="假" * (settings.XINYONG["CASES"]["TEXT_MAX_CHARS"] + 1)))
    assert long.status_code == 422 and "不能超过" in html(long)
    bad_date = client.post("/tipoffs/new/", form(target, nonce="n4", occurred_from="2026-13-45"))
    assert bad_date.status_code == 422 and "日期" in html(bad_date)
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()
    assert FACTS[:20] in html(long) or "假假假" in html(long)  # what was typed is kept in the form


def test_private_individual_and_nobody_get_the_same_page(client, target, send, id_number):
    from tests.portal.conftest import traffic_row

    send("traffic_violation", [traffic_row("钱小红", id_number("220102"), 违法日期="2026-09-01", 处理日期="2026-09-08")], "220100-GAT")
    private = Subject.objects.get(kind="individual")
    unknown = "0b6f9c1e-6d0e-4f5e-9d5c-3c1d2e4f5a6b"
    answers = []
    for key, nonce in ((f"p-{private.public_id}", "a"), (f"p-{unknown}", "b")):
        response = client.post("/tipoffs/new/", form(target, subject=key, nonce=nonce))
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html(response).replace(key, "KEY").replace(f'value="{nonce}"', ""))
        answers.append((response.status_code, body))
    assert answers[0] == answers[1] and answers[0][0] == 404
    assert "钱小红" not in answers[0][1] and "钱*红" not in answers[0][1]
    # a link to the form with a private individual's key names nobody either
    assert "钱" not in html(client.get(f"/tipoffs/new/?subject=p-{private.public_id}"))
    assert not Case.objects.exists()


def test_wrong_receipt_codes_rate_limits_and_csrf(client, target, monkeypatch, settings):
    monkeypatch.setitem(settings.XINYONG["RATE_LIMITS"], "tipoff", "2/h")
    monkeypatch.setitem(settings.XINYONG["RATE_LIMITS"], "verify", "3/m")
    _, code = file_on_page(client, target)
    wrong = [client.post("/tipoffs/track/", {"code": c}) for c in ("AAAA-BBBB-CCCC-DDDD", code[:-1] + ("A" if code[-1] != "A" else "B"))]
    assert [r.status_code for r in wrong] == [400, 400] and bare(wrong[0]) == bare(wrong[1])
    assert client.post("/tipoffs/track/", {"code": code}).status_code == 200
    assert client.post("/tipoffs/track/", {"code": code}).status_code == 429  # the 4th try this minute
    client.post("/tipoffs/new/", form(target, nonce="second"), REMOTE_ADDR="203.0.113.7")
    third = client.post("/tipoffs/new/", form(target, nonce="third"), REMOTE_ADDR="203.0.113.7")
    assert third.status_code == 429 and Case.objects.filter(kind="tipoff").count() == 2
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/tipoffs/new/", form(target, nonce="csrf")).status_code == 403
    assert browser.post("/tipoffs/track/", {"code": code}).status_code == 403


def test_staff_pages_route_verify_conclude_and_record_and_never_show_the_reporter(client, target, staff, account, firm, clock, upload):
    # the reporter is signed in with a portal account (of another enterprise)
    other, _ = firm()
    reporter = account(other, "tip-reporter")
    client.force_login(reporter)
    case, code = file_on_page(client, target)
    client.logout()
    tipoff = Tipoff.objects.get(case=case)
    assert tipoff.reporter_kind == "account"
    stored = str(Case.objects.filter(pk=case.pk).values().get()) + str(Tipoff.objects.filter(pk=tipoff.pk).values().get())
    stored += str(list(CaseEvent.objects.filter(case=case).values())) + str(list(AuditEntry.objects.filter(object_type="case").values("actor_label", "detail")))
    assert not any(s in stored for s in SECRETS)  # encrypted at rest, nowhere in clear

    centre, gsj, hbt = Client(), Client(), Client()
    centre.force_login(staff())
    gsj.force_login(staff("220100-GSJ"))
    hbt.force_login(staff("220100-HBT"))
    page = html(centre.get(f"/dept/cases/{case.pk}/"))
    assert "分办至核查部门" in page and "长春市市场监督管理局" in page and "查看举报人身份" in page
    assert "被标记为恶意或虚假举报 <strong>0</strong> 次" in page
    assert centre.post(f"/dept/tipoffs/{case.pk}/route/", {"lead": "220100-GSJ", "joint": ["220100-HBT"]}).status_code == 302
    assert "联合核查中" in html(hbt.get("/dept/cases/"))
    assert hbt.post(f"/dept/tipoffs/{case.pk}/finding/", {"finding": "partly", "note": "部分价签与广告不符"}).status_code == 302
    # a department may not read who reported
    assert gsj.post(f"/dept/tipoffs/{case.pk}/reveal/", {"reason": "需要联系举报人补充材料原件"}).status_code == 403
    lead_page = html(gsj.get(f"/dept/cases/{case.pk}/"))
    assert "部分价签与广告不符" in lead_page and "作出核查结论" in lead_page
    assert gsj.post(f"/dept/tipoffs/{case.pk}/finding/", {"finding": "confirmed", "note": "经调取销售记录核实", "reply": "经核查，举报问题属实，已依法处理。"}).status_code == 302
    record_form = html(gsj.get(f"/dept/cases/{case.pk}/"))
    assert "录入认定记录" in record_form and target.name in record_form
    values = {f"rec_{k}": v for k, v in penalty_values(target, decided="2026-09-15").items()}
    values["rec_penalty_category"] = ["警告", "罚款"]
    assert gsj.post(f"/dept/tipoffs/{case.pk}/record/", {"item": "penalty.gsj", **values}).status_code == 302
    tipoff.refresh_from_db()
    assert tipoff.record is not None and tipoff.record.data["penalty_category"] == "警告；罚款"

    # the reveal: credit centre, with a reason; audited, in the case history, never cached
    revealed = centre.post(f"/dept/tipoffs/{case.pk}/reveal/", {"reason": "需要联系举报人补充材料原件"})
    assert revealed.status_code == 200 and "no-store" in revealed["Cache-Control"]
    assert REPORTER_NAME in html(revealed) and REPORTER_CONTACT in html(revealed) and "tip-reporter" in html(revealed)
    assert AuditEntry.objects.filter(action="tipoff.reveal", object_id=str(case.pk)).count() == 1
    history = html(gsj.get(f"/dept/cases/{case.pk}/"))
    assert "信用中心查看举报人身份" in history and "需要联系举报人补充材料原件" in history

    # every other page: staff of each department and the centre, the subject's own file, the public
    subject_user = account(target, "target-firm")
    own = Client()
    own.force_login(subject_user)
    pages = {
        "centre case": centre.get(f"/dept/cases/{case.pk}/"), "centre queue": centre.get("/dept/cases/?status=all"),
        "centre sla": centre.get("/dept/cases/sla/"), "lead case": gsj.get(f"/dept/cases/{case.pk}/"),
        "lead queue": gsj.get("/dept/cases/?status=all"), "lead record": gsj.get(f"/dept/records/{tipoff.record_id}/"),
        "joint case": hbt.get(f"/dept/cases/{case.pk}/"), "own file": own.get("/my/"),
        "public file": client.get(f"/subjects/{target.uscc}/"), "tracking": client.post("/tipoffs/track/", {"code": code}),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        text = html(response)
        leaked = [s for s in SECRETS if s in text]
        assert not leaked, (name, leaked)
    assert "查证属实" in html(pages["tracking"]) and "经核查，举报问题属实，已依法处理。" in html(pages["tracking"])
    assert "部分价签与广告不符" not in html(pages["tracking"]) and "经调取销售记录核实" not in html(pages["tracking"])
    assert FACTS not in html(pages["own file"])  # the reported subject is not told of the tip-off

    # flag after closing: counted for the contact, visible to the centre only
    assert gsj.post(f"/dept/tipoffs/{case.pk}/flag/", {"flag_reason": "捏造"}).status_code == 403
    assert centre.post(f"/dept/tipoffs/{case.pk}/flag/", {"flag_reason": "经核查系同行恶意举报"}).status_code == 302
    assert "恶意或虚假举报" in html(centre.get(f"/dept/cases/{case.pk}/"))


def test_a_tip_off_receipt_code_does_not_open_the_case_page(client, target):
    """The general case tracker (异议与修复办件查询) takes any case's receipt code: a tip-off's
    must not open the applicant's case page (messages, files, events), only its own tracker."""
    case, code = file_on_page(client, target)
    tracked = client.post("/cases/track/", {"code": code})
    assert tracked.status_code == 400 and "/tipoffs/track/" in html(tracked)
    assert FACTS not in html(tracked)
    # nor when the browser session remembers it (as the tracker does for other cases)
    session = client.session
    session["case_receipts"] = [case.pk]
    session.save()
    assert client.get(f"/cases/{case.public_id}/").status_code == 404
    assert client.post("/tipoffs/track/", {"code": code}).status_code == 200


def test_the_receipt_page_gives_the_deadline_and_says_when_it_was_counted_monday_to_friday(client, firm, clock, tmp_path, monkeypatch):
    from xinyong.common import calendar as module

    (tmp_path / "calendar.yaml").write_text("years:\n  2029:\n    off: [2029-01-01]\n", encoding="utf-8")
    monkeypatch.setattr(module, "calendar_file", lambda: tmp_path / "calendar.yaml")  # 2030 not loaded
    clock("2029-12-27")  # 5 working days for the credit centre to route it: into 2030
    subject, _ = firm(decided="2029-12-01")
    response = client.post("/tipoffs/new/", form(subject, occurred_from="2029-12-01"), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302, html(response)[:2000]
    case = Case.objects.filter(kind="tipoff").latest("id")
    assert case.due_on.year == 2030
    page = html(client.get("/tipoffs/filed/"))
    assert f"<dd>{case.due_on.isoformat()}（2030年节假日安排尚未载入工作日历，暂按周一至周五计算，可能顺延）</dd>" in page
