"""`common.db.execute_hot` on PostgreSQL: outside a transaction one libpq call per run of a
statement prepared on the connection; inside one, a psycopg cursor. Both give the rows a
Django cursor gives, map errors to Django's, and leave the connection as they found it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinyong.common import db
from xinyong.common.db import execute_hot, insert_sql, write_together
from xinyong.security.keys import apikey_create
from xinyong.security.models import ApiNonce, ApiRequest
from xinyong.security.services import Actor

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the libpq path is PostgreSQL's")

# the contexts the check API's statements give their parameters: a column compared, a column
# inserted into, a VALUES list, an IN list, an array, dates and times, JSON, NULL
SQL = (
    'SELECT %s * 1, upper(%s), %s::timestamptz, %s::date, %s::jsonb -> %s, %s::uuid, %s::text IS NULL,'
    ' %s = ANY(%s::bigint[]), v.a || %s FROM (VALUES (%s, %s)) v (a, b) WHERE v.b IN (%s, %s)'
)


def _django(sql: str, params) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _prepared_names() -> set[str]:
    return {r[0] for r in _django("SELECT name FROM pg_prepared_statements", [])}


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@pytest.mark.django_db(transaction=True)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(-(2**62), 2**62), s=text, key=text, when=st.datetimes(timezones=st.just(UTC)), day=st.dates(),
       ids=st.lists(st.integers(-(2**62), 2**62), max_size=5), suffix=text)
def test_the_same_rows_as_a_django_cursor_outside_a_transaction(n, s, key, when, day, ids, suffix):
    params = [n, s, when, day, json.dumps({key: [1, "二"]}), key,
              str(uuid.UUID(int=abs(n))), None, n, ids, suffix, s, "b", "b", "c"]
    assert connection.connection is None or connection.connection.autocommit
    assert execute_hot(SQL, params) == _django(SQL, params)
    assert any(name.startswith("xy_hot_") for name in _prepared_names())  # the libpq path took it


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_is_committed_and_a_refused_one_leaves_the_connection_usable(catalog_loaded, dept):
    key, _ = apikey_create(department=dept(), name="核查系统", actor=Actor.system("测试"))
    key_nonce = {"key_id": key.pk, "nonce": "n-1", "expires_at": timezone.now()}
    log_line = {"at": timezone.now(), "key_id": None, "key_label": "k", "department_id": None, "method": "POST", "path": "/api/v1/checks",
                "status": 200, "code": "", "auth": "signed", "ip": "127.0.0.1"}
    write_together([("nonce", *insert_sql(ApiNonce, key_nonce))], insert_sql(ApiRequest, log_line))
    assert (ApiNonce.objects.count(), ApiRequest.objects.count()) == (1, 1)
    assert connection.connection.pgconn.transaction_status == 0  # idle: nothing left open
    # the same nonce again: refused as a unique key, and neither row of the statement is written
    with pytest.raises(IntegrityError):
        write_together([("nonce", *insert_sql(ApiNonce, key_nonce))], insert_sql(ApiRequest, log_line))
    assert (ApiNonce.objects.count(), ApiRequest.objects.count()) == (1, 1)
    assert execute_hot("SELECT count(*) FROM security_apinonce WHERE nonce = %s", ["n-1"]) == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_statement_is_part_of_it():
    log_line = {"at": datetime(2026, 11, 30, 12, tzinfo=UTC), "key_id": None, "key_label": "k", "department_id": None, "method": "POST",
                "path": "/x", "status": 200, "code": "", "auth": "none", "ip": "127.0.0.1"}

    class Undo(Exception):
        pass

    with pytest.raises(Undo), transaction.atomic():
        db.insert_one(ApiRequest, log_line)
        assert execute_hot("SELECT count(*) FROM security_apirequest", []) == [(1,)]
        raise Undo
    assert ApiRequest.objects.count() == 0  # rolled back with the transaction


@pytest.mark.django_db(transaction=True)
def test_a_statement_with_another_percent_sign_is_not_prepared_by_hand():
    before = _prepared_names()
    assert execute_hot("SELECT %s::text LIKE 'a%%'", ["abc"]) == [(True,)]
    assert not {n for n in _prepared_names() - before if n.startswith("xy_hot_")}  # the cursor's way


@pytest.mark.django_db(transaction=True)
def test_values_come_back_as_psycopg_adapts_them():
    sql, params = "SELECT %s::timestamptz, %s::date, %s::jsonb, NULL::int, %s::numeric", [datetime(2026, 11, 30, 8, tzinfo=UTC), date(2026, 11, 30), '{"a": 1}', "1.50"]
    row = execute_hot(sql, params)[0]
    # JSON as its text, for the model field to decode, as Django has psycopg give it
    assert row == (datetime(2026, 11, 30, 8, tzinfo=UTC), date(2026, 11, 30), '{"a": 1}', None, Decimal("1.50")) == _django(sql, params)[0]


@pytest.mark.django_db(transaction=True)
def test_statements_deallocated_under_it_are_prepared_again():
    """psycopg deallocates every prepared statement of its connection when it rolls back or
    sees DDL (DEALLOCATE ALL), ours too: the next run prepares again instead of failing."""
    sql = "SELECT %s::int * 2"
    assert execute_hot(sql, [21]) == [(42,)]
    with connection.cursor() as cur:
        cur.execute("DEALLOCATE ALL")
    assert execute_hot(sql, [21]) == [(42,)]
    # and as psycopg does it: its own statements prepared inside a transaction, then a rollback
    for _ in range(3):
        with transaction.atomic():
            execute_hot("SELECT %s::text", ["a"])  # the cursor path, prepared by psycopg from its 2nd run
    with pytest.raises(IntegrityError), transaction.atomic():
        execute_hot("INSERT INTO security_apinonce (key_id, nonce, expires_at) VALUES (NULL, 'x', now())", [])
    assert execute_hot(sql, [5]) == [(10,)]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_starts_afresh():
    assert execute_hot("SELECT %s::int", [1]) == [(1,)]
    first = connection._xy_prepared
    connection.close()
    assert execute_hot("SELECT %s::int", [2]) == [(2,)]
    assert connection._xy_prepared is not first and connection._xy_prepared.raw is connection.connection
