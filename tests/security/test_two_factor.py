"""Two-factor authentication of staff (TOTP, RFC 6238) at /accounts/login/: enrolment with a QR
code, a second step after the password, recovery codes, no replay, lock-out on the second step,
and the required mode of production (docs/security.md, "People")."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client

from xinyong.common.crypto import decrypt
from xinyong.security.models import AuditEntry, RecoveryCode, StaffSecurity

pytestmark = pytest.mark.django_db
PASSWORD = "Xinyong-test-2026"


def staff_auth(settings, **values):
    settings.XINYONG = {**settings.XINYONG, "STAFF_AUTH": {**settings.XINYONG["STAFF_AUTH"], **values}}


def enrol(client: Client, username: str) -> tuple[str, list[str]]:
    """Sign in (second factor optional here), enrol through the pages; (secret, recovery codes)."""
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302
    page = client.get("/accounts/security/two-factor/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "双因素认证二维码" in html
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", html).group(1).replace(" ", "")
    done = client.post("/accounts/security/two-factor/", {"action": "confirm", "code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.content.decode())
    assert done.status_code == 200 and "恢复码只显示这一次" in done.content.decode() and len(codes) == 10
    return secret, codes


def second_step(client: Client, username: str, code: str):
    first = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert first.status_code == 302 and first["Location"] == "/accounts/login/verify/"
    assert "_auth_user_id" not in client.session  # not signed in after the password alone
    return client.post("/accounts/login/verify/", {"code": code})


def test_enrolment_then_login_with_a_real_code_and_the_secret_is_encrypted_and_shown_once(client, operator, time_machine):
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    user = operator("220100-GSJ", username="liu")
    secret, _ = enrol(client, "liu")
    state = StaffSecurity.objects.get(user=user)
    assert secret not in state.totp_secret_encrypted and decrypt(state.totp_secret_encrypted) == secret
    again = client.get("/accounts/security/two-factor/").content.decode()
    assert secret not in again and "已启用双因素认证" in again  # never shown again
    assert AuditEntry.objects.filter(action="auth.2fa_enrol", actor_user=user).exists()

    time_machine.move_to("2026-11-30 09:01:00+08:00", tick=False)
    browser = Client()
    response = second_step(browser, "liu", pyotp.TOTP(secret).now())
    assert response.status_code == 302 and response["Location"] == "/dept/"
    assert browser.session["_auth_user_id"] == str(user.pk)
    assert browser.get("/dept/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", actor_user=user, detail__second_factor="totp").exists()


def test_a_wrong_code_is_refused_and_a_code_is_never_accepted_twice(client, operator, time_machine):
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    operator("220100-GSJ", username="liu")
    secret, _ = enrol(client, "liu")
    totp = pyotp.TOTP(secret)

    wrong = second_step(Client(), "liu", "000000" if totp.now() != "000000" else "111111")
    assert wrong.status_code == 200 and "验证码不正确或已使用过" in wrong.content.decode()
    assert AuditEntry.objects.filter(action="auth.2fa_failed").count() == 1

    # the code that confirmed the enrolment, in the same 30 seconds: refused (already used)
    assert "验证码不正确或已使用过" in second_step(Client(), "liu", totp.now()).content.decode()

    time_machine.move_to("2026-11-30 09:00:30+08:00", tick=False)
    code = totp.now()
    first = Client()
    assert second_step(first, "liu", code).status_code == 302
    replay = Client()
    assert second_step(replay, "liu", code).status_code == 200  # the same code at once: refused
    assert "_auth_user_id" not in replay.session
    time_machine.move_to("2026-11-30 09:00:35+08:00", tick=False)
    assert second_step(Client(), "liu", totp.at(time_machine_time(-30))).status_code == 200  # an earlier step: refused too


def time_machine_time(offset: int) -> int:
    import time

    return int(time.time()) + offset


def test_a_recovery_code_works_once(client, operator, time_machine):
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    user = operator("220100-GSJ", username="liu")
    _, codes = enrol(client, "liu")
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert not any(RecoveryCode.objects.filter(code_hash__contains=c.replace("-", "")).exists() for c in codes)  # hashed at rest

    browser = Client()
    response = second_step(browser, "liu", codes[3].upper())  # as typed, whatever the case
    assert response.status_code == 302 and browser.session["_auth_user_id"] == str(user.pk)
    assert "还剩 9 个" in browser.get("/dept/", follow=True).content.decode()
    again = Client()
    assert second_step(again, "liu", codes[3]).status_code == 200
    assert "_auth_user_id" not in again.session
    assert second_step(Client(), "liu", codes[4]).status_code == 302


def test_the_second_step_locks_out_after_repeated_wrong_codes_even_with_the_right_one(client, operator, settings, time_machine):
    settings.XINYONG = {**settings.XINYONG, "LOGIN": {"MAX_FAILURES": 3, "LOCK_MINUTES": 15}}
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    operator("220100-GSJ", username="liu")
    secret, _ = enrol(client, "liu")
    time_machine.move_to("2026-11-30 09:05:00+08:00", tick=False)
    attacker = Client()
    assert attacker.post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 302
    for _ in range(3):
        assert attacker.post("/accounts/login/verify/", {"code": "123456"}).status_code == 200
    locked = attacker.post("/accounts/login/verify/", {"code": pyotp.TOTP(secret).now()})
    assert locked.status_code == 429 and "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in attacker.session
    # the right password does not clear the count either: the name stays locked
    assert Client().post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 429
    time_machine.move_to("2026-11-30 09:21:00+08:00", tick=False)
    assert second_step(Client(), "liu", pyotp.TOTP(secret).now()).status_code == 302


def test_the_second_step_expires_and_cannot_be_reached_without_the_password(client, operator, time_machine):
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    operator("220100-GSJ", username="liu")
    secret, _ = enrol(client, "liu")
    assert Client().post("/accounts/login/verify/", {"code": pyotp.TOTP(secret).now()})["Location"] == "/accounts/login/"
    browser = Client()
    browser.post("/accounts/login/", {"username": "liu", "password": PASSWORD})
    time_machine.move_to("2026-11-30 09:06:30+08:00", tick=False)  # more than 5 minutes later
    late = browser.post("/accounts/login/verify/", {"code": pyotp.TOTP(secret).now()})
    assert late.status_code == 302 and late["Location"] == "/accounts/login/" and "_auth_user_id" not in browser.session


def test_required_mode_sends_a_staff_user_to_enrolment_and_allows_nothing_else(client, operator, settings, time_machine):
    staff_auth(settings, TWO_FACTOR_REQUIRED=True)
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    operator("220100-GSJ", username="liu")
    response = client.post("/accounts/login/", {"username": "liu", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/security/two-factor/"
    for path in ("/dept/", "/dept/upload/", "/accounts/security/", "/admin/"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked["Location"] == "/accounts/security/two-factor/", path
    assert client.get("/accounts/logout/").status_code == 200  # signing out stays possible
    html = client.get("/accounts/security/two-factor/").content.decode()
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", html).group(1).replace(" ", "")
    wrong = client.post("/accounts/security/two-factor/", {"action": "confirm", "code": "12"})
    assert "验证码不正确" in wrong.content.decode() and secret not in wrong.content.decode()
    assert client.get("/dept/").status_code == 302  # still not enrolled
    html = client.get("/accounts/security/two-factor/").content.decode()  # a new secret
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", html).group(1).replace(" ", "")
    assert client.post("/accounts/security/two-factor/", {"action": "confirm", "code": pyotp.TOTP(secret).now()}).status_code == 200
    assert client.get("/dept/").status_code == 200


def test_optional_mode_keeps_password_only_login_and_portal_accounts_are_not_concerned(client, operator, settings):
    staff_auth(settings, TWO_FACTOR_REQUIRED=False)
    operator("220100-GSJ", username="liu")
    response = client.post("/accounts/login/", {"username": "liu", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dept/"
    assert client.get("/dept/").status_code == 200


def test_session_key_is_rotated_at_login(client, operator):
    operator("220100-GSJ", username="liu")
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/accounts/login/", {"username": "liu", "password": PASSWORD})
    assert client.session.session_key and client.session.session_key != before


def test_the_admin_has_no_login_of_its_own(client, platform_admin):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/admin/login/", {"username": platform_admin.username, "password": PASSWORD}).status_code == 302
    assert "_auth_user_id" not in client.session
