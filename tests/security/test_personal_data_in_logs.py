"""Issue 7 item 6, masking in logs and exports: a realistic flow — a department uploads a batch
naming individuals (one row rejected), an individual objects from their account with a copy of
their ID card, the department handles the case and downloads its error file, and clients put ID
numbers in addresses — written to the log at DEBUG. No log line carries a full ID number or an
individual's full name. The only export with full values is the error file, to the department
that sent those rows (it needs them to correct and resubmit), and it holds nothing else."""

from __future__ import annotations

import csv
import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from xinyong.cases.models import Case
from xinyong.common.logging import JsonFormatter
from xinyong.demo.codes import spoil_check_digit
from xinyong.ingestion.models import Batch
from xinyong.records.models import Record

pytestmark = pytest.mark.django_db
ACCEPTED_NAME, REJECTED_NAME = "王秀英", "刘淑芬"


def csv_upload(rows: list[dict]) -> SimpleUploadedFile:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("处罚.csv", buf.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.fixture
def everything_logged(caplog):
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="xinyong"), caplog.at_level(logging.DEBUG, logger="django"):
        yield caplog


def test_no_full_id_number_or_individual_name_in_the_log_and_full_values_only_in_the_senders_error_file(
    everything_logged, operator, id_number, penalty_row,
):
    from xinyong.accounts.services import account_register

    number, other_number = id_number(), id_number("220104")
    rejected_number = spoil_check_digit(other_number)
    person = {"行政相对人类别": "自然人", "统一社会信用代码": "", "法定代表人": ""}
    gsj = Client()
    gsj.force_login(operator("220100-GSJ"))
    sent = gsj.post("/dept/upload/", {"item": "penalty.gsj", "mode": "submit", "file": csv_upload([
        penalty_row(行政相对人名称=ACCEPTED_NAME, 证件号码=number, **person),
        penalty_row(行政相对人名称=REJECTED_NAME, 证件号码=rejected_number, **person),
    ])}, follow=True)
    batch = Batch.objects.get()
    assert sent.status_code == 200 and (batch.accepted, batch.rejected) == (1, 1)
    record = Record.objects.get(batch=batch)

    # the individual objects from their account, with a copy of their ID card
    account = account_register(kind="individual", id_number=number, name=ACCEPTED_NAME, mobile="13900001234", username="wxy2026", password="Xinyong-portal-2026")
    me = Client()
    me.force_login(account.user)
    card = SimpleUploadedFile("身份证.pdf", f"%PDF-1.4\n1 0 obj<</Title({ACCEPTED_NAME} {number})>>endobj\n%%EOF\n".encode(), content_type="application/pdf")
    filed = me.post(f"/objections/new/{record.pk}/", {"reasons": "处罚对象不是本人", "fields": ["content"], "files": [card]}, follow=True)
    assert filed.status_code == 200
    case = Case.objects.get()

    # the department handles it and downloads what it may
    assert gsj.get(f"/dept/cases/{case.pk}/").status_code == 200
    att = case.attachments.get()
    assert gsj.get(f"/dept/cases/{case.pk}/files/{att.public_id}/").status_code == 200
    errors = gsj.get(f"/dept/batches/{batch.public_id}/errors.csv")
    error_csv = b"".join(errors.streaming_content).decode("utf-8-sig")

    # clients put ID numbers where they do not belong: the addresses are logged (404, 401)
    assert Client().get(f"/subjects/{number}/").status_code == 404
    assert Client().get(f"/api/v1/subjects/{number}/records").status_code == 401
    assert gsj.post("/dept/query/", {"code": rejected_number, "purpose": "licensing", "details": "x"}).status_code in (200, 400, 404, 422)

    lines = [JsonFormatter().format(r) for r in everything_logged.records]
    assert any(f"/subjects/{number[:6]}********{number[-4:]}/" in line for line in lines)  # the address was logged, masked
    for line in lines:
        for secret in (number, rejected_number, other_number, ACCEPTED_NAME, REJECTED_NAME):
            assert secret not in line, line

    # the sender's error file: its own rejected row as sent (to correct and resubmit), nothing else
    rows = list(csv.DictReader(io.StringIO(error_csv)))
    assert [(r["行政相对人名称"], r["证件号码"]) for r in rows] == [(REJECTED_NAME, rejected_number)]
    assert number not in error_csv and ACCEPTED_NAME not in error_csv
    other = Client()
    other.force_login(operator("220100-SW"))
    assert other.get(f"/dept/batches/{batch.public_id}/errors.csv").status_code == 404


def test_the_log_formatter_masks_an_id_number_in_a_message_an_extra_or_a_traceback(id_number):
    number = id_number()
    try:
        int(f"{number}X")  # an exception whose message quotes a value
    except ValueError:
        import sys

        record = logging.LogRecord("xinyong.test", logging.ERROR, __file__, 1, "lookup of %s failed", (number,), sys.exc_info())
    record.path = f"/subjects/{number}/"
    line = JsonFormatter().format(record)
    assert number not in line and line.count(f"{number[:6]}********{number[-4:]}") == 3
    digest = "9" * 20 + "a" * 44  # neither a longer number nor a hash is touched
    assert digest in JsonFormatter().format(logging.LogRecord("x", logging.INFO, __file__, 1, digest, (), None))
