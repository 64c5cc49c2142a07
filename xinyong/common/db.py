"""Bulk writes on the hot path, one code path per database vendor behind one function; and the
few single-row reads and writes of the hottest request paths.

The ORM is used everywhere else; ingestion writes millions of rows and needs the database's own
bulk path: executemany of one prepared INSERT on SQLite, COPY on PostgreSQL. Callers pass plain
tuples in the order of `columns`, with values already in database form (see `db_value`).

The check API (thousands of signed requests a second) spends most of its time compiling ORM
queries, not running them: `select_instances` and `insert_one` build their SQL once per model and
database, and give the same model instances and the same stored values as the ORM would.
"""

from __future__ import annotations

import json
from collections import namedtuple
from datetime import date, datetime

from django.db import connection

_SELECTS: dict = {}
_INSERTS: dict = {}


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


def _select_plan(model, related: tuple[str, ...]):
    key = (model, related, connection.vendor)
    plan = _SELECTS.get(key)
    if plan is None:
        parts = [(model, "t", None)]
        joins = []
        for n, name in enumerate(related):
            fk = model._meta.get_field(name)
            alias = f"r{n}"
            parts.append((fk.related_model, alias, fk))
            joins.append(f'LEFT JOIN "{table(fk.related_model)}" {alias} ON {alias}."{fk.target_field.column}" = t."{fk.column}"')
        columns, layout = [], []
        for m, alias, fk in parts:
            fields = m._meta.concrete_fields
            convs = []
            for f in fields:
                col = f.get_col(alias)
                convs.append((col, [*connection.ops.get_db_converters(col), *f.get_db_converters(connection)]))
                columns.append(f'{alias}."{f.column}"')
            layout.append((m, fk, [f.attname for f in fields], convs))
        plan = _SELECTS[key] = (f'SELECT {", ".join(columns)} FROM "{table(model)}" t {" ".join(joins)}'.rstrip(), layout)
    return plan


def select_instances(model, where: str, params, *, related: tuple[str, ...] = (), order_by: str = "") -> list:
    """Instances of `model` whose row (alias t) matches the SQL condition `where`, with the
    foreign keys named in `related` joined and cached as select_related does — what
    `model.objects.filter(...).select_related(*related)` returns, without compiling a query."""
    head, layout = _select_plan(model, tuple(related))
    sql = f"{head} WHERE {where}" + (f" ORDER BY {order_by}" if order_by else "")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    out = []
    for row in rows:
        at = 0
        main = None
        for m, fk, attnames, convs in layout:
            values = []
            for value, (col, converters) in zip(row[at : at + len(attnames)], convs, strict=True):
                for convert in converters:
                    value = convert(value, col, connection)
                values.append(value)
            at += len(attnames)
            if fk is None:
                main = m.from_db(connection.alias, attnames, values)
            else:
                fk.set_cached_value(main, m.from_db(connection.alias, attnames, values) if values[0] is not None else None)
        out.append(main)
    return out


_ROW_TYPES: dict = {}


def _row_type(model, related: tuple[str, ...]):
    """A named tuple with the model's attribute names (and `pk`), and a slot per joined relation."""
    key = (model, related)
    cls = _ROW_TYPES.get(key)
    if cls is None:
        names = [f.attname for f in model._meta.concrete_fields] + list(related)
        base = namedtuple(f"{model.__name__}Row", names)  # noqa: PYI024
        pk = model._meta.pk.attname
        cls = _ROW_TYPES[key] = type(base.__name__, (base,), {"__slots__": (), "pk": property(lambda self: getattr(self, pk))})
    return cls


def select_rows(model, where: str, params, *, related: tuple[str, ...] = (), order_by: str = "") -> list:
    """As `select_instances`, but read-only named tuples with the same attribute names (and
    `pk`; a joined relation is a nested tuple): ten times cheaper to build than model instances,
    for answers that read tens of thousands of rows (a bulk check)."""
    head, layout = _select_plan(model, tuple(related))
    types = [_row_type(m, ()) for m, _, _, _ in layout[1:]]
    main_type = _row_type(model, tuple(related))
    sql = f"{head} WHERE {where}" + (f" ORDER BY {order_by}" if order_by else "")
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    # the columns that need converting (dates on SQLite, JSON...), found once
    spans = []
    at = 0
    for _, _, attnames, convs in layout:
        spans.append((at, at + len(attnames), [(n, col, cs) for n, (col, cs) in enumerate(convs) if cs]))
        at += len(attnames)
    out = []
    for row in rows:
        parts = []
        for start, end, todo in spans:
            values = list(row[start:end])
            for n, col, converters in todo:
                value = values[n]
                for convert in converters:
                    value = convert(value, col, connection)
                values[n] = value
            parts.append(values)
        nested = [t(*v) if v[0] is not None else None for t, v in zip(types, parts[1:], strict=True)]
        out.append(main_type(*parts[0], *nested))
    return out


def insert_one(model, values: dict) -> None:
    """INSERT one row: {field name or attname (e.g. "key_id"): Python value}, stored as the ORM
    would store it (no save(), no signals, no defaults beyond the database's — name every column
    you need)."""
    names = tuple(values)
    key = (model, names, connection.vendor)
    plan = _INSERTS.get(key)
    if plan is None:
        fields = [model._meta.get_field(n) for n in names]
        sql = f'INSERT INTO "{table(model)}" ({", ".join(chr(34) + f.column + chr(34) for f in fields)}) VALUES ({", ".join("%s" for _ in fields)})'  # noqa: S608
        plan = _INSERTS[key] = (sql, fields)
    sql, fields = plan
    with connection.cursor() as cur:
        cur.execute(sql, [f.get_db_prep_save(values[n], connection) for n, f in zip(names, fields, strict=True)])
