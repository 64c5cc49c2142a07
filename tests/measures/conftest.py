"""Fixtures of the check and feedback tests: subjects, list entries and grades made directly in
the database, a department system's key with the scope "check", and an API client that checks
every response against the OpenAPI document."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.api.conftest import CheckedClient
from xinyong.api import api
from xinyong.common.crypto import encrypt
from xinyong.common.masking import mask_id_number
from xinyong.common.normalize import normalize_name as name_key
from xinyong.evaluation.models import EvaluationResult, EvaluationRun
from xinyong.sanctions.models import ListEntry
from xinyong.security.keys import apikey_create
from xinyong.security.services import Actor
from xinyong.subjects.identifiers import id_lookup_hash
from xinyong.subjects.models import Subject

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)  # the day the scenarios are checked on


@pytest.fixture
def on_day():
    """Travel to a day (Beijing time, 10:00) for the API's "today"."""

    def travel(day: date = DAY):
        return time_machine.travel(datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ), tick=True)

    return travel


@pytest.fixture
def company(db, uscc):
    def make(name: str = "长春市某某建设工程有限公司", code: str | None = None) -> Subject:
        code = code or uscc("220102")
        return Subject.objects.create(kind="enterprise", uscc=code, name=name, name_key=name_key(name), region=code[2:8])

    return make


@pytest.fixture
def person(db, id_number):
    def make(name: str = "张三", number: str | None = None) -> tuple[Subject, str]:
        number = number or id_number("220102")
        subject = Subject.objects.create(
            kind="individual", id_hash=id_lookup_hash(number), id_encrypted=encrypt(number), id_masked=mask_id_number(number),
            name=name, name_key=name_key(name), region=number[:6],
        )
        return subject, number

    return make


@pytest.fixture
def listed(dept):
    def make(subject: Subject, list_code: str, *, listed_on: date = date(2026, 3, 1), expires_on: date | None = None, status: str = "listed", dept_code: str | None = "220000-GSJ", basis: list[int] | None = None) -> ListEntry:
        return ListEntry.objects.create(
            list_code=list_code, subject=subject, status=status, source="designation",
            designating_department=dept(dept_code) if dept_code else None, authority_level="province",
            legal_basis="《企业信息公示暂行条例》第十七条", reason="测试", listed_on=listed_on, expires_on=expires_on,
            basis_records=basis or [], individual=subject.kind == "individual",
        )

    return make


@pytest.fixture
def graded(db):
    def make(subject: Subject, model: str, grade: str, *, as_of: date = date(2026, 11, 1), version: str = "2026.1") -> EvaluationResult:
        run = EvaluationRun.objects.create(kind="full", as_of=as_of, status="done", model_versions={model: version})
        return EvaluationResult.objects.create(
            run=run, subject=subject, model_code=model, model_version=version, score_milli=40_000, raw_grade=grade, grade=grade,
            contributions=[[987, "penalty", -30_000]], digest="x" * 32, valid_from=datetime(2026, 11, 1, tzinfo=TZ),
        )

    return make


@pytest.fixture(scope="session")
def openapi():
    return api.get_openapi_schema()


@pytest.fixture
def check_key(db, dept):
    """check_key(dept_code) → token of a key with the scope "check"."""

    def make(dept_code: str = "220000-CZT", scopes=("check",)) -> str:
        return apikey_create(department=dept(dept_code), name="核查系统", scopes=scopes, actor=Actor.system("test"))[1]

    return make


@pytest.fixture
def client_of(openapi, check_key):
    """client_of(dept_code) → a client of that department's system."""

    def make(dept_code: str = "220000-CZT") -> CheckedClient:
        return CheckedClient(openapi, check_key(dept_code))

    return make
