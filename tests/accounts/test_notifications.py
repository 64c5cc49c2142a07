"""Notifications: the list, the unread count in the header, marking read, opening."""

from __future__ import annotations

import pytest

from xinyong.accounts.services import notify

pytestmark = pytest.mark.django_db


def test_unread_count_in_the_header_and_marking_read(client, register, id_number):
    account = register("individual", id_number=id_number())  # the welcome notification: 1 unread
    notify(user=account.user, title="异议已受理", body="您对长市监罚〔2026〕1号提出的异议已受理。", url="/my/")
    client.force_login(account.user)
    home = client.get("/").content.decode()
    assert '站内信<span class="badge unread">2<span class="visually-hidden">条未读</span></span>' in home
    assert "报送工作台" not in home.split("</header>")[0]  # a subject account is not a department user
    page = client.get("/my/notifications/").content.decode()
    assert "（2 条未读）" in page and "异议已受理" in page and "账户已启用" in page
    note = account.user.notifications.get(title="异议已受理")
    opened = client.post(f"/my/notifications/{note.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/my/"
    assert "（1 条未读）" in client.get("/my/notifications/").content.decode()
    client.post("/my/notifications/read/", {"all": "1"})
    assert "（0 条未读）" in client.get("/my/notifications/").content.decode()
    assert 'class="badge unread"' not in client.get("/").content.decode()


def test_a_link_elsewhere_is_not_followed(client, register, id_number):
    account = register("individual", id_number=id_number())
    note = notify(user=account.user, title="t", body="b", url="https://evil.example/phish")[0]
    client.force_login(account.user)
    assert client.post(f"/my/notifications/{note.pk}/open/")["Location"] == "/my/notifications/"


def test_staff_header_is_unchanged(client, operator):
    client.force_login(operator())
    html = client.get("/").content.decode()
    header = html.split("</header>")[0]
    assert "报送工作台" in header and "站内信" not in header


def test_anonymous_header_offers_the_own_area(client):
    assert '<a href="/my/login/">我的信用</a>' in client.get("/").content.decode()


def test_welcome_mail_is_masked(client, id_number, django_capture_on_commit_callbacks):
    from django.core import mail

    number = id_number()
    data = {"name": "王小明", "id_number": number, "mobile": "13912345678", "email": "w@example.com", "username": "wxm", "password1": "Xinyong-portal-2026", "password2": "Xinyong-portal-2026"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/my/register/individual/", data).status_code == 302
    sent = mail.outbox[-1]
    assert sent.to == ["w@example.com"] and "账户已启用" in sent.subject
    for secret in (number, "王小明", "13912345678"):
        assert secret not in sent.subject + sent.body
