"""Password policy (length, common, numeric, similarity, no reuse, age) with Chinese messages, and
staff sessions (idle timeout, sign out everywhere) — docs/security.md, "People"."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from xinyong.security.models import AuditEntry, PasswordHistory, StaffSecurity

pytestmark = pytest.mark.django_db
PASSWORD = "Xinyong-test-2026"
CJK = re.compile(r"[\u4e00-\u9fff]")


def staff_auth(settings, **values):
    settings.XINYONG = {**settings.XINYONG, "STAFF_AUTH": {**settings.XINYONG["STAFF_AUTH"], **values}}


def change(client: Client, old: str, new: str):
    return client.post("/accounts/security/password/", {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Short-1a", "密码长度太短"),  # under 12 characters
        ("password1234", "这个密码太常见了"),
        ("482915736204", "密码只包含数字"),
        ("liuxiaoming-2026", "用户名 太相似"),  # similar to the user name
    ],
)
def test_weak_passwords_are_refused_with_chinese_messages(operator, password, expected):
    user = operator("220100-GSJ", username="liuxiaoming")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:  # as the pages run
        validate_password(password, user)
    messages = " ".join(refused.value.messages)
    assert expected in messages and CJK.search(messages)


def test_a_strong_password_passes_and_the_help_text_is_chinese(operator):
    user = operator("220100-GSJ", username="liu")
    validate_password("Changchun-river-7391", user)
    with translation.override("zh-hans"):
        assert all(CJK.search(t) for t in password_validators_help_texts())


def test_the_change_page_shows_the_rules_and_refusals_in_chinese(client, operator):
    client.force_login(operator("220100-GSJ", username="liu"))
    page = client.get("/accounts/security/password/").content.decode()
    assert "密码至少需要 12 个字符" in page and "不能与最近用过的 5 个密码相同" in page
    refused = change(client, PASSWORD, "Short-1a").content.decode()
    assert "密码长度太短，至少需要 12 个字符" in refused and "This password" not in refused


def test_password_change_page_refuses_reuse_of_recent_passwords(client, operator, settings):
    staff_auth(settings, PASSWORD_HISTORY=3)
    user = operator("220100-GSJ", username="liu")
    client.force_login(user)
    same = change(client, PASSWORD, PASSWORD)
    assert same.status_code == 200 and "不能使用最近用过的 3 个密码之一" in same.content.decode()
    current = PASSWORD
    for new in ("Changchun-river-0001", "Changchun-river-0002", "Changchun-river-0003"):
        response = change(client, current, new)
        assert response.status_code == 302, response.content.decode()[:2000]
        current = new
    assert PasswordHistory.objects.filter(user=user).count() == 3  # the last 3 only
    assert "不能使用最近用过的" in change(client, current, "Changchun-river-0001").content.decode()
    assert change(client, current, PASSWORD).status_code == 302  # 4 changes ago: allowed again
    assert AuditEntry.objects.filter(action="auth.password_change", actor_user=user).count() == 4
    assert client.get("/dept/").status_code == 200  # the session survives one's own change


def test_an_aged_password_must_be_changed_before_anything_else(client, operator, settings, time_machine):
    staff_auth(settings, PASSWORD_MAX_AGE_DAYS=90)
    time_machine.move_to("2026-01-05 09:00:00+08:00", tick=False)
    operator("220100-GSJ", username="liu")
    time_machine.move_to("2026-04-04 09:00:00+08:00", tick=False)  # 89 days later: fine
    assert client.post("/accounts/login/", {"username": "liu", "password": PASSWORD})["Location"] == "/dept/"
    other = Client()
    time_machine.move_to("2026-04-06 09:00:00+08:00", tick=False)  # 91 days
    response = other.post("/accounts/login/", {"username": "liu", "password": PASSWORD})
    assert response["Location"] == "/accounts/security/password/"
    assert other.get("/dept/")["Location"] == "/accounts/security/password/"
    assert change(other, PASSWORD, "Changchun-river-5555")["Location"] == "/accounts/security/"
    assert other.get("/dept/").status_code == 200
    assert StaffSecurity.objects.get(user__username="liu").password_changed_at.date().isoformat() == "2026-04-06"


def test_idle_sessions_end(client, operator, settings, time_machine):
    staff_auth(settings, IDLE_MINUTES=30)
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    operator("220100-GSJ", username="liu")
    client.post("/accounts/login/", {"username": "liu", "password": PASSWORD})
    time_machine.move_to("2026-11-30 09:29:00+08:00", tick=False)
    assert client.get("/dept/").status_code == 200
    time_machine.move_to("2026-11-30 09:58:00+08:00", tick=False)  # 29 minutes after the last request
    assert client.get("/dept/").status_code == 200
    time_machine.move_to("2026-11-30 10:29:00+08:00", tick=False)  # 31 minutes
    response = client.get("/dept/records/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/dept/records/"
    assert "_auth_user_id" not in client.session
    assert "超过 30 分钟没有操作" in client.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="auth.session_idle").count() == 1


def test_sign_out_everywhere_ends_every_session_of_the_user_only(operator, time_machine):
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    operator("220100-GSJ", username="liu")
    operator("220200-HBT", username="wang")
    office, phone, colleague = Client(), Client(), Client()
    for browser, name in ((office, "liu"), (phone, "liu"), (colleague, "wang")):
        assert browser.post("/accounts/login/", {"username": name, "password": PASSWORD}).status_code == 302
    time_machine.move_to("2026-11-30 09:10:00+08:00", tick=False)
    assert office.post("/accounts/security/logout-everywhere/")["Location"] == "/accounts/login/"
    assert phone.get("/dept/")["Location"].startswith("/accounts/login/")
    assert office.get("/dept/")["Location"].startswith("/accounts/login/")
    assert colleague.get("/dept/").status_code == 200
    time_machine.move_to("2026-11-30 09:11:00+08:00", tick=False)
    assert phone.post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 302
    assert phone.get("/dept/").status_code == 200  # a new login is valid again
    assert AuditEntry.objects.filter(action="auth.logout_everywhere").count() == 1


def test_the_credit_centre_signs_a_user_out_everywhere_and_resets_a_lost_second_factor_in_the_admin(operator, django_user_model, time_machine):
    time_machine.move_to("2026-11-30 09:00:00+08:00", tick=False)
    user = operator("220100-GSJ", username="liu")
    state = StaffSecurity.objects.create(user=user, totp_secret_encrypted="gAAAA-enrolled", totp_confirmed_at=user.date_joined)
    phone = Client()
    phone.force_login(user)
    admin = Client()
    admin.force_login(django_user_model.objects.create_superuser(username="root", password=PASSWORD))
    time_machine.move_to("2026-11-30 09:05:00+08:00", tick=False)
    changelist = "/admin/security/staffsecurity/"
    assert admin.post(changelist, {"action": "logout_everywhere", "_selected_action": [state.pk]}).status_code == 302
    assert phone.get("/dept/")["Location"].startswith("/accounts/login/")
    assert admin.post(changelist, {"action": "reset_two_factor", "_selected_action": [state.pk]}).status_code == 302
    state.refresh_from_db()
    assert not state.two_factor_enabled
    assert AuditEntry.objects.filter(action="auth.2fa_reset", actor_label="root", object_id=str(user.pk)).exists()
    assert AuditEntry.objects.filter(action="auth.logout_everywhere", actor_label="root").exists()
