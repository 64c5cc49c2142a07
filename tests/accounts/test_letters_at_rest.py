"""Authorization letters at rest (issue 7 item 6): the letter an authorized person uploads (it
carries names, ID numbers, a company seal) is encrypted on disk, given back byte for byte to the
credit centre's reviewer; a letter stored before encryption is still served and `xinyong files
encrypt` seals it; a tampered letter gives the Chinese error page, not a 500 with a traceback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from xinyong.accounts.models import AuthorizationLetter
from xinyong.common import filestore

pytestmark = pytest.mark.django_db

ID_NUMBER = "220102198807154417"
LETTER = ("%PDF-1.4\n1 0 obj<</Title(授权委托书 委托人 赵立新 受托人 钱经办 " + ID_NUMBER + ")>>endobj\ntrailer<<>>\n%%EOF\n").encode()


@pytest.fixture
def media(tmp_path, settings):
    """The letters' file storage in a folder of this test (the other stores too: `files encrypt`
    walks them all)."""
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(tmp_path / "media")}}}
    settings.XINYONG = {
        **settings.XINYONG, "BATCH_DIR": str(tmp_path / "batches"),
        **{app: {**settings.XINYONG[app], "FILES_DIR": str(tmp_path / app.lower())} for app in ("CASES", "ACCESS", "COMMITMENTS")},
    }
    return tmp_path / "media"


@pytest.fixture
def letter(media, firm, register, id_number):
    subject = firm()
    account = register("organization", name="钱经办", uscc=subject.uscc, id_number=id_number(),
                       letter=SimpleUploadedFile("委托书.pdf", LETTER, content_type="application/pdf"))
    stored = AuthorizationLetter.objects.get(account=account)
    return stored, Path(stored.file.path)


@pytest.fixture
def reviewer(platform_admin):
    browser = Client()
    browser.force_login(platform_admin)
    return browser


def download(reviewer, stored):
    return reviewer.get(f"/dept/accounts/letters/{stored.pk}/file")


def test_the_letter_is_encrypted_on_disk_and_downloaded_as_it_was(letter, reviewer, media):
    stored, path = letter
    assert path.is_relative_to(media / "accounts" / "letters") and path.suffix == ".pdf"
    raw = path.read_bytes()
    assert raw.startswith(filestore.MAGIC)
    assert ID_NUMBER.encode() not in raw and "赵立新".encode() not in raw and b"%PDF" not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    response = download(reviewer, stored)
    assert response.status_code == 200 and b"".join(response.streaming_content) == LETTER
    assert response["Content-Type"] == "application/pdf" and response["Content-Length"] == str(len(LETTER))
    assert response["Content-Disposition"] == f'attachment; filename="letter-{stored.pk}.pdf"'
    assert response["Cache-Control"] == "no-store"


def test_a_letter_of_before_encryption_is_served_and_files_encrypt_seals_it(letter, reviewer):
    stored, path = letter
    path.write_bytes(LETTER)  # as stored before this change
    assert b"".join(download(reviewer, stored).streaming_content) == LETTER

    out = io.StringIO()
    call_command("files", "encrypt", stdout=out, stderr=io.StringIO())
    counts = json.loads(out.getvalue())["stores"]["letters"]
    assert (counts["files"], counts["changed"]) == (1, 1)
    assert filestore.is_sealed(path) and ID_NUMBER.encode() not in path.read_bytes()
    assert b"".join(download(reviewer, stored).streaming_content) == LETTER


def test_a_tampered_letter_gives_the_error_page(letter, reviewer):
    stored, path = letter
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1][:40] + (b"A" if lines[1][40:41] != b"A" else b"B") + lines[1][41:]
    path.write_bytes(b"".join(lines))
    response = download(reviewer, stored)
    page = response.content.decode()
    assert response.status_code == 500 and "文件无法读取" in page and "Traceback" not in page
    assert "Content-Disposition" not in response and response["Cache-Control"] == "no-store"
