"""Fixtures for the web pages: signed-in clients and an uploaded-file builder."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8") -> bytes:
    headers = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(h, "") for h in headers])
    return buf.getvalue().encode(encoding)


@pytest.fixture
def csv_file():
    def make(rows: list[dict], name: str = "处罚.csv", **kw) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, csv_bytes(rows, **kw), content_type="text/csv")

    return make


@pytest.fixture
def login():
    """A client signed in as `user` (a fresh Client each time, so two users can be compared)."""

    def make(user, **kw) -> Client:
        c = Client(**kw)
        c.force_login(user)
        return c

    return make


@pytest.fixture
def op_client(operator, login):
    """An operator of 长春市市场监督管理局 (220100-GSJ)."""
    return login(operator("220100-GSJ"))


@pytest.fixture
def staff_client(platform_admin, login):
    return login(platform_admin)


@pytest.fixture
def upload(op_client, csv_file):
    """Upload rows through the web form as the 220100-GSJ operator; returns the response."""

    def run(rows, *, item: str = "penalty.gsj", mode: str = "submit", client=None, follow: bool = True, name: str = "处罚.csv"):
        return (client or op_client).post("/dept/upload/", {"item": item, "mode": mode, "file": csv_file(rows, name=name)}, follow=follow)

    return run
