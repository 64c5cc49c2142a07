"""Bad input: authorization letters checked by content (not by name), size, executables; CSRF on
every form of the own area."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import tiny_png
from xinyong.accounts.models import AuthorizationLetter, SubjectAccount

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def pending(client, firm, id_number):
    company = firm()
    data = {"uscc": company.uscc, "name": "钱经办", "id_number": id_number(), "mobile": "13900001234", "username": "agent", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post("/my/register/organization/", data).status_code == 302
    return SubjectAccount.objects.get(user__username="agent")


def _post(client, name: str, data: bytes, content_type: str = "application/pdf"):
    return client.post("/my/authorization/", {"letter": SimpleUploadedFile(name, data, content_type=content_type)})


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("委托书.pdf", "这是一份文本文件，不是PDF".encode(), "文件类型不符"),
        ("委托书.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "可执行文件"),
        ("scan.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "可执行文件"),
        ("letter.pdf", b"PK\x03\x04" + b"\x00" * 100, "可执行文件"),
        ("letter.pdf", b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n", "可执行内容"),
        ("letter.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "无法识别"),
    ],
)
def test_bad_letters_are_refused_with_the_reason(client, pending, name, data, reason):
    response = _post(client, name, data)
    assert response.status_code == 200 and reason in response.content.decode()
    assert not AuthorizationLetter.objects.exists()


def test_too_large(client, pending, settings):
    settings.XINYONG = {**settings.XINYONG, "LETTER_MAX_KB": 1}
    response = _post(client, "big.pdf", PDF + b"0" * 2048)
    assert "文件过大" in response.content.decode() and not AuthorizationLetter.objects.exists()


def test_type_comes_from_the_content_not_the_name(client, pending):
    assert _post(client, "scan.exe", PDF, "application/x-msdownload").status_code == 302
    assert _post(client, "photo.pdf", tiny_png(), "application/pdf").status_code == 302
    types = sorted(AuthorizationLetter.objects.values_list("content_type", flat=True))
    assert types == ["application/pdf", "image/png"]
    # stored under our own name: nothing of the uploaded name reaches the disk
    assert all(".exe" not in n and "photo" not in n for n in AuthorizationLetter.objects.values_list("file", flat=True))


def test_a_bad_letter_at_registration_refuses_nothing_else(client, firm, id_number):
    company = firm()
    data = {"uscc": company.uscc, "name": "钱经办", "id_number": id_number(), "mobile": "13900001234", "username": "agent", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post("/my/register/organization/", {**data, "letter": SimpleUploadedFile("a.pdf", b"MZ" + b"\x00" * 64)})
    assert response.status_code == 200 and "可执行文件" in response.content.decode()
    assert not SubjectAccount.objects.exists()  # nothing half-made: the whole registration rolled back


@pytest.mark.parametrize(
    "path",
    ["/my/login/", "/my/register/individual/", "/my/register/organization/", "/my/logout/", "/my/password/", "/my/report/", "/my/notifications/read/", "/my/authorization/"],
)
def test_csrf_is_required_on_every_form(path, register, id_number):
    account = register("individual", id_number=id_number())
    client = Client(enforce_csrf_checks=True)
    client.force_login(account.user)
    response = client.post(path, {"username": "x", "password": "y", "all": "1"})
    assert response.status_code == 403
    assert account.user.notifications.filter(read_at__isnull=True).exists()


def test_a_form_with_its_token_goes_through(register, id_number):
    account = register("individual", id_number=id_number())
    client = Client(enforce_csrf_checks=True)
    client.force_login(account.user)
    client.get("/my/notifications/")
    token = client.cookies["csrftoken"].value
    assert client.post("/my/notifications/read/", {"all": "1", "csrfmiddlewaretoken": token}).status_code == 302
    assert not account.user.notifications.filter(read_at__isnull=True).exists()


def test_staff_review_needs_csrf_too(platform_admin, pending):
    letter_client = Client(enforce_csrf_checks=True)
    letter_client.force_login(platform_admin)
    assert letter_client.post(f"/dept/accounts/{pending.pk}/disable/", {"reason": "x"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"
