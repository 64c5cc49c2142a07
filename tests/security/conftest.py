"""Tampering as an attacker with write access to the database would do it: raw SQL, past the
ORM's refusal and (on PostgreSQL) with the append-only trigger disabled, as the table's owner can."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection

from tests.api.conftest import client_for, make_key, openapi  # noqa: F401 (fixtures)
from xinyong.security.services import Actor, audit_log

TABLES = ("security_auditentry", "security_auditcheckpoint")


@contextmanager
def trigger_off():
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for table in TABLES:
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                for table in TABLES:
                    cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def raw(sql: str, params=()) -> int:
    with trigger_off(), connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


@pytest.fixture
def entries(db, dept):
    """entries(n) → n audit entries written through audit_log (seq 1..n in a fresh test)."""

    def make(n: int = 6):
        actor = Actor("user", "审计测试员", department_id=dept().pk, ip="10.0.0.7")
        return [
            audit_log(actor=actor, action="record.view", object_type="record", object_id=i, subject_id=1000 + i, purpose="测试查看", detail={"n": i, "名称": "长春"})
            for i in range(1, n + 1)
        ]

    return make
