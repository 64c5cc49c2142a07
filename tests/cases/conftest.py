"""Fixtures for cases, objections and repair: records sent through the one ingestion pipeline,
subject accounts through the accounts service, a clock the tests control."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import tiny_png

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Xinyong-portal-2026"
PNG = tiny_png()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


@pytest.fixture
def clock(time_machine):
    """clock("2026-09-15") moves the time to 10:00 that day (Asia/Shanghai)."""

    def move(day: str, hour: int = 10):
        time_machine.move_to(at(day, hour))
        return date.fromisoformat(day)

    return move


@pytest.fixture
def upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(name: str = "evidence.png", content: bytes = PNG, content_type: str = "image/png"):
        return SimpleUploadedFile(name, content, content_type=content_type)

    return make


@pytest.fixture
def firm(send, uscc):
    """firm(decided=..., severity=..., item=..., dept=...) → (subject, record): a registered
    enterprise (legal representative 赵立新) with one penalty."""
    from tests.portal.conftest import org, penalty, registration_row
    from xinyong.records.models import Record
    from xinyong.subjects.models import Subject

    counter = {"n": 0}

    def make(*, decided: str = "2026-05-10", severity: str = "一般", item: str = "penalty.gsj", dept: str = "220100-GSJ", name: str | None = None, code: str | None = None):
        counter["n"] += 1
        code = code or uscc()
        name = name or f"吉林省北辰食品有限公司{counter['n']}"
        me = org(name, code, "赵立新")
        if not Subject.objects.filter(uscc=code, registered=True).exists():
            send("registration.gsj", [registration_row(code, 主体名称=name, 法定代表人="赵立新")], "220100-GSJ")
        doc = f"罚〔2026〕{counter['n']}{abs(hash(code)) % 10000}号"
        send(item, [penalty(me, doc, 处罚决定日期=decided, 失信严重程度=severity)], dept)
        subject = Subject.objects.get(uscc=code)
        return subject, Record.objects.get(subject=subject, item_code=item, document_no=doc)

    return make


@pytest.fixture
def account(db):
    """account(subject, username) → a logged-in-able portal user acting for the enterprise
    (its legal representative: active at once)."""
    import random

    from xinyong.accounts.services import account_register
    from xinyong.demo.codes import make_id_number

    rng = random.Random(7)

    def make(subject, username: str = "firm-user"):
        acc = account_register(kind="organization", name="赵立新", id_number=make_id_number(rng, region="220102"), mobile="13900001234", username=username, password=PASSWORD, uscc=subject.uscc)
        assert acc.status == "active", acc.status
        return acc.user

    return make


@pytest.fixture
def staff(operator, platform_admin):
    """staff("220100-GSJ") → an operator of that department; staff() → credit-centre staff."""

    def get(code: str | None = None):
        return operator(code) if code else platform_admin

    return get


def party_of(user):
    from xinyong.cases.selectors import party_for
    from xinyong.ingestion.selectors import scope_for

    return party_for(scope_for(user))


def actor_of(user):
    from xinyong.security.services import Actor

    return Actor.for_user(user)
