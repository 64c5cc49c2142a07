"""Bulk writes on the hot path, one code path per database vendor behind one function.

The ORM is used everywhere else; ingestion writes millions of rows and needs the database's own
bulk path: executemany of one prepared INSERT on SQLite, COPY on PostgreSQL. Callers pass plain
tuples in the order of `columns`, with values already in database form (see `db_value`).
"""

from __future__ import annotations

import json
from datetime import date, datetime

from django.db import connection


def vendor() -> str:
    return connection.vendor


def table(model) -> str:
    return model._meta.db_table


def allocate_ids(model, count: int) -> list[int]:
    """Reserve `count` primary keys for rows about to be inserted in this transaction."""
    if count <= 0:
        return []
    name = table(model)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",  # noqa: S608
                [name, count],
            )
            return [r[0] for r in cur.fetchall()]
        # SQLite: the caller's transaction holds the write lock (BEGIN IMMEDIATE), so the
        # highest id cannot move under us; sqlite_sequence keeps ids of rolled-back rows unused.
        cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{name}"')  # noqa: S608
        top = cur.fetchone()[0]
        cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [name])
        row = cur.fetchone()
        start = max(top, row[0] if row else 0) + 1
        return list(range(start, start + count))


def insert_rows(model, columns: list[str], rows: list[tuple], *, ignore_conflicts: bool = False) -> None:
    """Insert plain tuples; with ignore_conflicts, rows that would break a unique constraint are
    skipped (ON CONFLICT DO NOTHING), as bulk_create(ignore_conflicts=True) does."""
    if not rows:
        return
    name = table(model)
    connection.ensure_connection()  # normally opened by the caller's transaction already
    raw = connection.connection
    cols = ", ".join(f'"{c}"' for c in columns)
    # the driver's own errors become Django's (IntegrityError, DataError...), as through the ORM:
    # callers catch those, e.g. a unique key taken by a concurrent batch on PostgreSQL
    with connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            if ignore_conflicts:
                marks = ", ".join("%s" for _ in columns)
                with raw.cursor() as cur:
                    cur.executemany(f'INSERT INTO "{name}" ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING', rows)  # noqa: S608
                return
            with raw.cursor() as cur, cur.copy(f'COPY "{name}" ({cols}) FROM STDIN') as copy:  # noqa: S608
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
        raw.executemany(f'INSERT INTO "{name}" ({cols}) VALUES ({marks}){tail}', rows)  # noqa: S608


def update_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """UPDATE by primary key: each row is (*values of columns, id)."""
    if not rows:
        return
    assignments = ", ".join(f'"{c}" = %s' for c in columns)
    with connection.cursor() as cur:
        cur.executemany(f'UPDATE "{table(model)}" SET {assignments} WHERE "id" = %s', rows)  # noqa: S608


class DateAdapter(dict):
    """date → the value the backend stores, remembered (a batch has few distinct dates)."""

    def __init__(self):
        super().__init__()
        self.native = connection.vendor == "postgresql"

    def __missing__(self, value):
        stored = value if self.native or value is None else value.isoformat()
        self[value] = stored
        return stored


def db_datetime(value: datetime):
    """A timezone-aware datetime in the form the backend stores."""
    if connection.vendor == "postgresql":
        return value
    return connection.ops.adapt_datetimefield_value(value)


def db_date(value: date | None):
    if value is None:
        return None
    if connection.vendor == "postgresql":
        return value
    return value.isoformat()


def db_uuid(value):
    """A UUID in the form the backend stores (32 hex characters on SQLite)."""
    return value if connection.vendor == "postgresql" else value.hex


def db_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
