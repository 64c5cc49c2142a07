"""Login throttling and lock-out (MLPS level 3, 登录失败处理), on the staff and the portal login."""

from __future__ import annotations

import pytest
from django.test import Client

from xinyong.security.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "Xinyong-test-2026"


@pytest.fixture
def limits(settings):
    settings.XINYONG = {**settings.XINYONG, "LOGIN": {"MAX_FAILURES": 3, "LOCK_MINUTES": 15}}


@pytest.mark.parametrize("url", ["/accounts/login/", "/my/login/"])
def test_an_account_is_locked_after_repeated_failures_even_against_the_right_password(client, operator, limits, url, time_machine):
    time_machine.move_to("2026-11-30 09:00:00+08:00")
    operator("220100-GSJ", username="liu")
    for _ in range(3):
        assert client.post(url, {"username": "liu", "password": "wrong"}).status_code == 200
    locked = client.post("/accounts/login/", {"username": "LIU", "password": PASSWORD})  # the name, whatever its case
    assert locked.status_code == 429 and "登录失败次数过多" in locked.content.decode() and locked["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 3
    assert AuditEntry.objects.filter(action="auth.login_locked").exists()
    time_machine.move_to("2026-11-30 09:14:00+08:00")
    assert client.post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 429
    time_machine.move_to("2026-11-30 09:16:00+08:00")  # 15 minutes after the last failure
    assert client.post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 302


def test_a_success_clears_the_count_and_other_accounts_are_not_locked(client, operator, limits):
    operator("220100-GSJ", username="liu")
    operator("220200-HBT", username="wang")
    for _ in range(2):
        client.post("/accounts/login/", {"username": "liu", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 302
    other = Client()
    for _ in range(2):
        other.post("/accounts/login/", {"username": "liu", "password": "wrong"})
    assert other.post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 302  # 2 + 2, not 4: the count restarted
    assert Client().post("/accounts/login/", {"username": "wang", "password": PASSWORD}).status_code == 302


def test_one_address_spraying_many_names_is_locked_out(operator, limits):
    operator("220100-GSJ", username="liu")
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(12):  # four times the per-name limit, each name tried once
        sprayer.post("/accounts/login/", {"username": f"guess{i}", "password": "123456"})
    assert sprayer.post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.7").post("/accounts/login/", {"username": "liu", "password": PASSWORD}).status_code == 302
