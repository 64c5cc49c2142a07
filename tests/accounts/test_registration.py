"""Registration through the pages, each path to each outcome; enumeration-safe refusals."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from xinyong.accounts.models import AuthorizationLetter, SubjectAccount
from xinyong.accounts.services import REGISTRATION_REFUSED
from xinyong.security.models import AuditEntry

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def form(**over) -> dict:
    data = {"name": "赵立新", "mobile": "13900001234", "email": "", "username": "jingban", "password1": PASSWORD, "password2": PASSWORD}
    data.update(over)
    return data


def errors(response) -> str:
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", m) for m in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S))


def test_individual_with_a_file_is_tied_to_it_and_active_at_once(client, person_with_file):
    subject, number = person_with_file(name="张三")
    response = client.post("/my/register/individual/", form(name="张三", id_number=number, username="zhangsan"))
    assert response.status_code == 302 and response["Location"] == "/my/"
    account = SubjectAccount.objects.get(user__username="zhangsan")
    assert (account.kind, account.status, account.basis) == ("individual", "active", "realname")
    assert account.holder_id_masked == number[:6] + "********" + number[-4:]
    # nothing personal in clear in the account row
    assert number not in str(SubjectAccount.objects.filter(pk=account.pk).values().first())
    home = client.get("/my/").content.decode()
    assert "长市监罚〔2026〕901号" in home


def test_individual_without_a_file_gets_an_empty_file(client, id_number):
    response = client.post("/my/register/individual/", form(name="李明", id_number=id_number(), username="liming"), follow=True)
    html = response.content.decode()
    assert response.status_code == 200 and "暂无信用信息" in html and "平台目前没有归集到您的信用信息" in html


def test_legal_representative_is_active_at_once(client, firm, id_number):
    subject = firm(legal_rep="赵立新")
    response = client.post("/my/register/organization/", form(uscc=subject.uscc, id_number=id_number()))
    assert response.status_code == 302
    account = SubjectAccount.objects.get(user__username="jingban")
    assert (account.status, account.basis, account.uscc) == ("active", "legal_rep", subject.uscc)
    assert "吉林省北辰食品有限公司" in client.get("/my/").content.decode()


def test_authorized_person_waits_for_the_letter_then_staff_approve(client, firm, id_number, platform_admin, django_capture_on_commit_callbacks):
    subject = firm(legal_rep="赵立新")
    letter = _upload("委托书.pdf", PDF, "application/pdf")
    response = client.post("/my/register/organization/", {**form(name="钱经办", uscc=subject.uscc, id_number=id_number(), email="qian@example.com"), "letter": letter})
    assert response.status_code == 302
    account = SubjectAccount.objects.get(user__username="jingban")
    assert (account.status, account.basis) == ("pending", "")
    status = client.get("/my/").content.decode()
    assert "待审核授权委托书" in status and "正在等待信用中心审核" in status
    assert "长市监罚" not in status  # nothing of the file before approval
    assert client.get("/my/report/").status_code == 403

    staff = client.__class__()
    staff.force_login(platform_admin)
    queue = staff.get("/dept/accounts/").content.decode()
    stored = AuthorizationLetter.objects.get(account=account)
    assert f"/dept/accounts/letters/{stored.pk}/" in queue and subject.uscc in queue
    download = staff.get(f"/dept/accounts/letters/{stored.pk}/file")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf" and download["Content-Disposition"].startswith("attachment")
    with django_capture_on_commit_callbacks(execute=True):
        decided = staff.post(f"/dept/accounts/letters/{stored.pk}/", {"decision": "approve", "reason": ""})
    assert decided.status_code == 302
    account.refresh_from_db()
    assert (account.status, account.basis) == ("active", "authorization")
    assert "吉林省北辰食品有限公司" in client.get("/my/").content.decode()
    assert mail.outbox[-1].to == ["qian@example.com"] and "审核通过" in mail.outbox[-1].subject
    assert AuditEntry.objects.filter(action="account.letter_approve", object_id=str(account.pk)).exists()


def test_refused_letter_gives_the_reason_and_a_new_upload_goes_back_to_review(client, firm, id_number, platform_admin):
    subject = firm()
    client.post("/my/register/organization/", {**form(name="钱经办", uscc=subject.uscc, id_number=id_number()), "letter": _upload("a.pdf", PDF, "application/pdf")})
    account = SubjectAccount.objects.get(user__username="jingban")
    staff = client.__class__()
    staff.force_login(platform_admin)
    letter = AuthorizationLetter.objects.get(account=account)
    assert "不通过时须写明原因" in staff.post(f"/dept/accounts/letters/{letter.pk}/", {"decision": "refuse", "reason": ""}).content.decode()
    staff.post(f"/dept/accounts/letters/{letter.pk}/", {"decision": "refuse", "reason": "未加盖单位公章"})
    account.refresh_from_db()
    assert account.status == "refused"
    page = client.get("/my/").content.decode()
    assert "未加盖单位公章" in page and "重新上传授权委托书" in page
    assert client.post("/my/authorization/", {"letter": _upload("b.pdf", PDF, "application/pdf")}).status_code == 302
    account.refresh_from_db()
    assert account.status == "pending" and account.letters.count() == 2


def test_operator_cannot_review_letters(client, operator):
    client.force_login(operator())
    assert client.get("/dept/accounts/").status_code == 403


def test_staff_disable_an_enterprise_account(client, firm, id_number, platform_admin):
    subject = firm()
    client.post("/my/register/organization/", form(uscc=subject.uscc, id_number=id_number()))
    account = SubjectAccount.objects.get(user__username="jingban")
    staff = client.__class__()
    staff.force_login(platform_admin)
    listing = staff.get(f"/dept/accounts/?uscc={subject.uscc}").content.decode()
    assert "jingban" in listing and "已启用" in listing
    staff.post(f"/dept/accounts/{account.pk}/disable/", {"reason": "经办人离职"})
    account.refresh_from_db()
    assert account.status == "disabled" and not account.user.is_active
    # the session ends with the user, and the login page refuses with the usual words
    assert client.get("/my/").status_code == 302
    login = client.post("/my/login/", {"username": "jingban", "password": PASSWORD})
    assert "登录名或密码不正确" in login.content.decode()


def test_refusals_say_the_same_whatever_the_cause(client, person_with_file, firm, id_number, uscc, register):
    existing, number = person_with_file(name="张三")
    register("individual", id_number=number, name="张三", username="first")
    causes = {
        "fake name, known person": form(name="张假三", id_number=number, username="u1"),
        "fake name, unknown person": form(name="张假三", id_number=id_number(), username="u2"),
        "mobile not the person's, known person": form(name="张三", id_number=number, mobile="13900000000", username="u3"),
        "already registered": form(name="张三", id_number=number, username="u4"),
    }
    messages = set()
    for cause, data in causes.items():
        response = client.post("/my/register/individual/", data)
        assert response.status_code == 200, cause
        messages.add(errors(response))
    assert len(messages) == 1 and REGISTRATION_REFUSED in messages.pop()
    assert SubjectAccount.objects.count() == 1

    company = firm()
    org_messages = set()
    for code in (company.uscc, uscc()):  # known and unknown enterprise
        response = client.post("/my/register/organization/", form(name="假经办", uscc=code, id_number=id_number(), username="u9"))
        org_messages.add(errors(response))
    assert len(org_messages) == 1 and REGISTRATION_REFUSED in org_messages.pop()


def test_an_unknown_enterprise_and_a_non_representative_get_the_same_outcome(client, firm, uscc, id_number):
    company = firm(legal_rep="赵立新")
    pages = []
    for i, code in enumerate((company.uscc, uscc())):
        c = client.__class__()
        c.post("/my/register/organization/", form(name="钱经办", uscc=code, id_number=id_number(), username=f"agent{i}"))
        pages.append(re.sub(r"\b[0-9A-Z]{18}\b|agent\d|\d{6}\*+\d{3}[\dX]|csrfmiddlewaretoken\" value=\"[^\"]+", "", c.get("/my/").content.decode()))
    assert SubjectAccount.objects.filter(status="pending").count() == 2
    assert pages[0] == pages[1]


def test_every_outcome_costs_the_same_work(client, person_with_file, id_number, settings):
    from . import instruments

    settings.PASSWORD_HASHERS = ["tests.accounts.instruments.CountingHasher"]
    settings.XINYONG = {**settings.XINYONG, "REALNAME_PROVIDER": "tests.accounts.instruments.CountingProvider"}
    _, number = person_with_file()
    outcomes = [
        form(name="张三", id_number=number, username="ok1"),  # registered
        form(name="张三", id_number=number, username="ok2"),  # refused: already registered
        form(name="张假三", id_number=id_number(), username="ok3"),  # refused: real-name check
    ]
    for data in outcomes:
        before = dict(instruments.CALLS)
        c = client.__class__()
        c.post("/my/register/individual/", data)
        assert instruments.CALLS["verify"] - before["verify"] == 1
        assert instruments.CALLS["hash"] - before["hash"] == 1, data


def test_format_errors_are_about_the_input_only(client):
    response = client.post("/my/register/individual/", form(id_number="220102199001011235", mobile="123"))
    text = errors(response)
    assert "校验位错误" in text and "请填写11位手机号码" in text


def test_django_password_validators_apply(client, id_number):
    response = client.post("/my/register/individual/", form(id_number=id_number(), password1="12345678", password2="12345678"))
    assert response.status_code == 200 and not SubjectAccount.objects.exists()
    assert "密码" in errors(response)


def test_login_errors_are_the_same_for_unknown_users_wrong_passwords_and_staff(client, register, id_number, operator):
    register("individual", id_number=id_number(), username="known")
    operator(username="staffer")
    texts = set()
    for username, password in (("known", "wrong-password-1"), ("nobody-here", PASSWORD), ("staffer", "Xinyong-test-2026")):
        response = client.post("/my/login/", {"username": username, "password": password})
        assert response.status_code == 200
        texts.add(errors(response))
    assert len(texts) == 1 and "登录名或密码不正确" in texts.pop()
    ok = client.post("/my/login/", {"username": "known", "password": PASSWORD})
    assert ok.status_code == 302 and ok["Location"] == "/my/"
    assert AuditEntry.objects.filter(action="account.login").count() == 1


def test_logout_and_password_change(client, register, id_number):
    account = register("individual", id_number=id_number(), username="known")
    client.force_login(account.user)
    changed = client.post("/my/password/", {"old_password": PASSWORD, "new_password1": "Another-portal-2027", "new_password2": "Another-portal-2027"})
    assert changed.status_code == 302
    client.post("/my/logout/")
    assert client.get("/my/notifications/").status_code == 302
    assert client.post("/my/login/", {"username": "known", "password": "Another-portal-2027"}).status_code == 302


def _upload(name: str, data: bytes, content_type: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)
