"""A signed paper consent at rest (issue 7 item 6): encrypted on disk with the field keys, given
back byte for byte to the consenting department; one written before encryption still served;
a tampered one gives a Chinese error page, not a traceback."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.access.conftest import GAT, GSJ
from xinyong.access.models import Consent
from xinyong.records.selectors import today

pytestmark = pytest.mark.django_db
SIGNED = "%PDF-1.4\n1 0 obj<</Title(授权书 签署人 张秀兰 身份证号 {number})>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def paper_consent(client, operator, subject_factory, record_factory, id_number):
    client.force_login(operator(GSJ, username="liu-gsj"))
    number = id_number()
    person = subject_factory(kind="individual", id_number=number, name="张秀兰")
    record_factory(person, item="traffic_violation", dept_code=GAT)
    content = SIGNED.format(number=number).encode()
    form = {"code": number, "purpose": "驾驶员资格审查", "scope": "items", "items": ["traffic_violation"], "expires_on": (today() + timedelta(days=30)).isoformat(),
            "document": SimpleUploadedFile("授权书.pdf", content, content_type="application/pdf")}
    assert client.post("/dept/access/consents/", form).status_code == 302
    consent = Consent.objects.get()
    return consent, content, number, Path(settings.XINYONG["ACCESS"]["FILES_DIR"]) / consent.document_path


def test_the_signed_consent_is_encrypted_on_disk_and_downloaded_as_it_was(client, paper_consent):
    consent, content, number, path = paper_consent
    raw = path.read_bytes()
    assert number.encode() not in raw and "张秀兰".encode() not in raw and b"%PDF" not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    download = client.get(f"/dept/access/consents/{consent.pk}/document")
    assert download.status_code == 200 and b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/octet-stream" and download["Content-Length"] == str(len(content))
    assert download["Content-Disposition"].startswith("attachment; filename*=utf-8''") and download["Cache-Control"] == "no-store"


def test_a_consent_written_before_encryption_is_served_and_a_tampered_one_is_an_error_page(client, paper_consent):
    consent, content, number, path = paper_consent
    path.write_bytes(content)
    plain = client.get(f"/dept/access/consents/{consent.pk}/document")
    assert plain.status_code == 200 and b"".join(plain.streaming_content) == content
    from xinyong.common import filestore

    filestore.write(path, content)
    path.write_bytes(path.read_bytes()[:-20] + b"\n")  # the last chunk cut
    broken = client.get(f"/dept/access/consents/{consent.pk}/document")
    assert broken.status_code == 500 and "文件无法读取" in broken.content.decode() and number not in broken.content.decode()
