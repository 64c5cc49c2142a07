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
import logging
import sqlite3
import threading
from collections import namedtuple
from datetime import date, datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections

log = logging.getLogger("xinyong.db")
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
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, looked up once (insert_sql)
    conn.ensure_connection()  # normally opened by the caller's transaction already
    raw = conn.connection
    cols = ", ".join(f'"{c}"' for c in columns)
    # the driver's own errors become Django's (IntegrityError, DataError...), as through the ORM:
    # callers catch those, e.g. a unique key taken by a concurrent batch on PostgreSQL
    with conn.wrap_database_errors:
        if conn.vendor == "postgresql":
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


def sql_in(column: str, values: list) -> tuple[str, list]:
    """(SQL condition, params): `column` is one of `values`. On PostgreSQL one array parameter
    (`= ANY(%s)`): psycopg's client-side binding parses a query text of 5,000 placeholders in
    66 ms, longer than running it; on SQLite the IN list of placeholders. One value: `= %s` (a
    prepared statement of one subject then gets PostgreSQL's generic plan; with an array of
    unknown length it was planned again at every run, a fifth of a single check's server time)."""
    if len(values) == 1:
        return f"{column} = %s", list(values)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f'{column} IN ({", ".join(["%s"] * len(values))})', list(values)


def update_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """UPDATE by primary key: each row is (*values of columns, id)."""
    if not rows:
        return
    assignments = ", ".join(f'"{c}" = %s' for c in columns)
    with connection.cursor() as cur:
        cur.executemany(f'UPDATE "{table(model)}" SET {assignments} WHERE "id" = %s', rows)  # noqa: S608


# ---------------------------------------------------------------------- SQLite WAL checkpoints
# A commit that finds the WAL over `wal_autocheckpoint` pages copies it into the database file and
# syncs it, inside that request: with ~10 pages written per check, about one check in a hundred
# paid for it (in process: p99 13.3 ms, 5.2 without). Server processes checkpoint from a thread of their
# own instead, every WAL_CHECKPOINT_SECONDS; the connections' own threshold (settings: PRAGMA
# wal_autocheckpoint, raised to 10,000 pages, 40 MB) stays as a safety net, and for the processes
# without the thread (commands, the worker).
WAL_CHECKPOINT_SECONDS = 1.0
_checkpointer = None


def wal_checkpoint(path: str) -> tuple[int, int, int]:
    """One PASSIVE checkpoint of the SQLite database at `path` (never waits for readers or
    writers: what cannot be copied now is copied next time): (busy, frames in the WAL, frames
    copied)."""
    con = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        return tuple(con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
    finally:
        con.close()


class WalCheckpointer(threading.Thread):
    """A daemon thread that checkpoints the WAL of the SQLite database at `path` every `interval`
    seconds, until `stop()`."""

    def __init__(self, path: str, interval: float = WAL_CHECKPOINT_SECONDS):
        super().__init__(name="sqlite-wal-checkpoint", daemon=True)
        self.path, self.interval = path, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                wal_checkpoint(self.path)
            except Exception:  # noqa: BLE001 — busy, or the file moved: the next round tries again
                log.warning("wal checkpoint failed", exc_info=True)

    def stop(self) -> None:
        self.stopped.set()


def start_wal_checkpoints() -> WalCheckpointer | None:
    """In a server process on a SQLite file database: start its WalCheckpointer (once)."""
    from django.conf import settings

    global _checkpointer
    conf = settings.DATABASES["default"]
    path = str(conf.get("NAME") or "")
    if connection.vendor != "sqlite" or not path or path.startswith(("file:", ":memory:")):
        return None
    if _checkpointer is None or not _checkpointer.is_alive():
        _checkpointer = WalCheckpointer(path)
        _checkpointer.start()
    return _checkpointer


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


def _select_plan(model, related: tuple[str, ...], only: tuple | None = None):
    """(SQL head, layout) of a select of `model` (alias t) with `related` joined; `only`: the
    attnames read of each (a tuple of tuples, the model's first), or every concrete field."""
    key = (model, related, connection.vendor, only)
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
        for n, (m, alias, fk) in enumerate(parts):
            fields = m._meta.concrete_fields if only is None else [m._meta.get_field(a) for a in only[n]]
            convs = []
            for f in fields:
                col = f.get_col(alias)
                convs.append((col, [*connection.ops.get_db_converters(col), *f.get_db_converters(connection)]))
                columns.append(f'{alias}."{f.column}"')
            layout.append((m, fk, [f.attname for f in fields], convs))
        plan = _SELECTS[key] = (f'SELECT {", ".join(columns)} FROM "{table(model)}" t {" ".join(joins)}'.rstrip(), layout)
    return plan


def select_instances(model, where: str, params, *, related: tuple[str, ...] = (), order_by: str = "", hot: bool = False) -> list:
    """Instances of `model` whose row (alias t) matches the SQL condition `where`, with the
    foreign keys named in `related` joined and cached as select_related does — what
    `model.objects.filter(...).select_related(*related)` returns, without compiling a query.
    `hot`: sent by `execute_hot` (prepared on PostgreSQL)."""
    head, layout = _select_plan(model, tuple(related))
    sql = f"{head} WHERE {where}" + (f" ORDER BY {order_by}" if order_by else "")
    rows = _fetch(sql, params, hot)
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


def _row_type(model, related: tuple[str, ...], attnames: tuple[str, ...] | None = None):
    """A named tuple with the model's attribute names (and `pk`), and a slot per joined relation."""
    key = (model, related, attnames)
    cls = _ROW_TYPES.get(key)
    if cls is None:
        names = list(attnames or [f.attname for f in model._meta.concrete_fields]) + list(related)
        base = namedtuple(f"{model.__name__}Row", names)  # noqa: PYI024
        pk = model._meta.pk.attname
        cls = _ROW_TYPES[key] = type(base.__name__, (base,), {"__slots__": (), "pk": property(lambda self: getattr(self, pk))})
    return cls


def _fetch(sql: str, params, hot: bool) -> list:
    if hot:
        return execute_hot(sql, params)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def select_rows(model, where: str, params, *, related: tuple[str, ...] = (), order_by: str = "", only: tuple | None = None, hot: bool = False) -> list:
    """As `select_instances`, but read-only named tuples with the same attribute names (and
    `pk`; a joined relation is a nested tuple): ten times cheaper to build than model instances,
    for answers that read tens of thousands of rows (a bulk check). `only`: the attnames to read
    of the model and of each joined relation, in that order (a tuple of tuples; the primary key
    first in each); the rows then have those attributes only. `hot`: as in `select_instances`."""
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself, looked up once (insert_sql)
    head, layout = _select_plan(model, tuple(related), only)
    types = [_row_type(m, (), only[n + 1] if only else None) for n, (m, _, _, _) in enumerate(layout[1:])]
    main_type = _row_type(model, tuple(related), only[0] if only else None)
    sql = f"{head} WHERE {where}" + (f" ORDER BY {order_by}" if order_by else "")
    rows = _fetch(sql, params, hot)
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
                    value = convert(value, col, conn)
                values[n] = value
            parts.append(values)
        nested = [t(*v) if v[0] is not None else None for t, v in zip(types, parts[1:], strict=True)]
        out.append(main_type(*parts[0], *nested))
    return out


def insert_sql(model, values: dict) -> tuple[str, list]:
    """(SQL, params) of the INSERT of one row: {field name or attname (e.g. "key_id"): Python
    value}, stored as the ORM would store it (no save(), no signals, no defaults beyond the
    database's — name every column you need)."""
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: each attribute of the `connection` proxy is a context-local lookup
    names = tuple(values)
    key = (model, names, conn.vendor)
    plan = _INSERTS.get(key)
    if plan is None:
        fields = [model._meta.get_field(n) for n in names]
        sql = f'INSERT INTO "{table(model)}" ({", ".join(chr(34) + f.column + chr(34) for f in fields)}) VALUES ({", ".join("%s" for _ in fields)})'  # noqa: S608
        plan = _INSERTS[key] = (sql, fields)
    sql, fields = plan
    return sql, [f.get_db_prep_save(values[n], conn) for n, f in zip(names, fields, strict=True)]


def insert_one(model, values: dict) -> None:
    """INSERT one row (`insert_sql`), by `execute_hot` (the nonce and the log line of every API
    request)."""
    execute_hot(*insert_sql(model, values))


# ---------------------------------------------------------------------- the hottest statements
# Django's psycopg cursors bind parameters on the client (the values are quoted into the text),
# so PostgreSQL parses and plans every statement anew: for the check API's short statements,
# planning cost four times running them (0.2-0.3 ms against 0.05). `execute_hot` sends a statement
# prepared once per connection. Outside a transaction (autocommit: every check), one libpq call
# per run (`_run_prepared`): a psycopg cursor's execute costs ~0.08 ms of Python per statement
# more (its generators and wait loop, a cursor and its transformer each time) — 0.15-0.19 ms of
# a single check's 1 ms of Python, measured in process. Inside a transaction (a caller's atomic
# block, the tests), a psycopg cursor with server-side binding, which psycopg prepares after
# `prepare_threshold` runs and which begins the transaction as psycopg does. Neither prepares
# when `prepare_threshold` is off (settings: XINYONG_DB_PREPARE_THRESHOLD; a connection pooler
# that cannot keep prepared statements). On SQLite, the driver's connection.


def execute_hot(sql: str, params) -> list[tuple]:
    """Run one statement (`%s` placeholders, no other `%`) and return its rows ([] for a
    statement without). Values come back as the driver gives them (as from
    `connection.cursor()`). On SQLite straight on the driver's connection (Django's cursor
    wrapper rewrote the placeholders and looked up the connection several times per statement)."""
    conn = connections[DEFAULT_DB_ALIAS]
    conn.ensure_connection()
    conn.validate_no_broken_transaction()
    if conn.vendor == "sqlite":
        text = _QMARK.get(sql)
        if text is None:
            text = _QMARK[sql] = sql.replace("%s", "?")
        with conn.wrap_database_errors:
            return conn.connection.execute(text, params).fetchall()
    from django.db.backends.postgresql.base import ServerBindingCursor

    raw = conn.connection
    if raw.autocommit and conn.settings_dict["OPTIONS"].get("prepare_threshold") is not None:
        rows = _run_prepared(conn, raw, sql, params)
        if rows is not None:
            return rows
    with conn.wrap_database_errors, ServerBindingCursor(raw) as cur:
        cur.execute(sql, params)
        result = cur.pgresult  # not cur.description: it builds a Column per column, every time
        return cur.fetchall() if result is not None and result.nfields else []


_QMARK: dict[str, str] = {}
_PREPARED_MAX = 200  # statements prepared by _run_prepared per connection (then the cursor path)


class _Prepared:
    """What `_run_prepared` keeps for one psycopg connection (on Django's connection wrapper: a
    reconnect replaces it): the names of the statements it prepared, by SQL and parameter types,
    and one transformer (psycopg's adaptation of values in and rows out) for all of them."""

    def __init__(self, raw):
        from psycopg.adapt import Transformer

        self.raw = raw
        self.names: dict[tuple, bytes] = {}
        self.texts: dict[str, str | None] = {}  # SQL -> its text with $n placeholders; None: not taken
        self.count = 0  # names are never reused: xy_hot_<count>
        self.tx = Transformer(raw)


def _run_prepared(conn, raw, sql: str, params) -> list[tuple] | None:
    """PostgreSQL, autocommit, not in a transaction: run `sql` as a statement prepared on this
    connection, as a psycopg cursor with server-side binding does — prepared once for its SQL
    and the types psycopg gives the values (an int of another size is another statement, as
    psycopg's), the values sent as text, the rows adapted by psycopg's loaders — in one libpq
    call. None when it cannot (in a transaction or pipeline, a `%` other than the placeholders,
    too many statements already): the caller uses a cursor. psycopg deallocates every prepared
    statement of the connection when it rolls back or sees DDL: a statement found gone is
    prepared again, once."""
    from psycopg import pq
    from psycopg.adapt import PyFormat

    pgconn = raw.pgconn
    if pgconn.transaction_status != pq.TransactionStatus.IDLE or getattr(raw, "_pipeline", None) is not None:
        return None
    state = getattr(conn, "_xy_prepared", None)
    if state is None or state.raw is not raw:
        state = conn._xy_prepared = _Prepared(raw)
    text = state.texts.get(sql, "")
    if text == "":  # not seen yet: said once whether it can be taken
        if len(state.texts) >= _PREPARED_MAX:
            return None
        parts = sql.split("%s")
        text = None if any("%" in part for part in parts) else parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))
        state.texts[sql] = text
    if text is None:
        return None
    encoding = raw.info.encoding
    with raw.lock, conn.wrap_database_errors:
        tx = state.tx
        values = tx.dump_sequence(params, [PyFormat.TEXT] * len(params))
        key = (sql, tx.types)
        for attempt in (1, 2):
            name = state.names.get(key)
            if name is None:
                if len(state.names) >= _PREPARED_MAX:
                    return None
                name = f"xy_hot_{state.count}".encode()
                state.count += 1
                result = pgconn.prepare(name, text.encode(encoding), list(tx.types))
                if result.status != pq.ExecStatus.COMMAND_OK:
                    raise _failure(pgconn, result, encoding)
                state.names[key] = name
            result = pgconn.exec_prepared(name, values)
            status = result.status
            if status == pq.ExecStatus.TUPLES_OK:
                tx.set_pgresult(result)
                return tx.load_rows(0, result.ntuples, tuple)
            if status == pq.ExecStatus.COMMAND_OK:
                return []
            if attempt == 1 and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000":  # deallocated
                state.names.clear()
                continue
            raise _failure(pgconn, result, encoding)
    return None  # not reached


def _failure(pgconn, result, encoding: str) -> Exception:
    """The psycopg error of a failed result; on a connection that broke, OperationalError (as a
    cursor raises), which Django maps to its own and closes the connection for."""
    from psycopg import errors, pq

    if pgconn.status != pq.ConnStatus.OK:
        return errors.OperationalError(f"the connection is lost: {(pgconn.error_message or b'').decode(encoding, 'replace').strip()}")
    return errors.error_from_result(result, encoding=encoding)


def write_together(parts: list[tuple[str, str, list]], last: tuple[str, list]) -> None:
    """PostgreSQL: several INSERTs as one statement, in one round trip and atomically (autocommit:
    no BEGIN and COMMIT of their own): `parts` are (name, INSERT …, params), each readable by the
    later ones as a table of what it RETURNING'd (data-modifying WITH queries); `last` is the
    statement's own INSERT. Any failure (e.g. a unique key taken) writes none of them."""
    sql = "WITH " + ", ".join(f'"{name}" AS ({part})' for name, part, _ in parts) + " " + last[0] if parts else last[0]
    execute_hot(sql, [p for _, _, params in parts for p in params] + list(last[1]))


class PreparedQuery:
    """A read query written with the ORM (so its rules stay where they are written: `public_q`,
    the lists' visibility...) but compiled once per database and `version`, then run with new
    values: on a credit file page, compiling the ORM's queries cost four times running them.

        @prepared(ints=("subject_id",), dates=("day",))
        def _public_ids(subject_id, day):
            return Record.objects.filter(public_q(day), subject_id=subject_id).values_list("id", "item_code")

        rows = _public_ids(subject_id=5, day=date(2026, 11, 30))   # tuples, as values_list gives

    The builder is called once with sentinel values; every parameter of the compiled SQL that
    carries one is replaced by the caller's value at each run (a sentinel that does not reach the
    SQL as a parameter of its own — e.g. used in Python to build the query — is refused when
    compiling; one inside a fixed `__in` list is a parameter of its own and works).
    The queryset must be a `values_list()` one; the database's converters (dates on SQLite, JSON)
    are applied as the ORM does. `version` names what else the SQL depends on (e.g. the catalog
    object, when list codes are parameters): a new value compiles again.
    """

    def __init__(self, build, *, ints=(), dates=(), strs=(), version=None):
        self.build = build
        self.names = (*ints, *dates, *strs)
        self.sentinels = {
            **{n: -7_366_000_001 - i for i, n in enumerate(ints)},
            **{n: date(1001 + i, 7, 13) for i, n in enumerate(dates)},
            **{n: f"\u2063prepared-{i}\u2063" for i, n in enumerate(strs)},
        }
        self.version = version
        self._plans: dict = {}

    def _plan(self):
        stamp = self.version() if self.version is not None else None
        key = connection.alias
        plan = self._plans.get(key)
        if plan is not None and plan[0] is stamp:
            return plan
        qs = self.build(**self.sentinels)
        compiler = qs.query.get_compiler(using=connection.alias)
        sql, params = compiler.as_sql()
        params = list(params)
        forms = {}
        for name, value in self.sentinels.items():
            forms[value] = name
            if isinstance(value, date):
                forms[connection.ops.adapt_datefield_value(value)] = name
                forms[value.isoformat()] = name
        slots = []
        for at, value in enumerate(params):
            try:
                name = forms.get(value)
            except TypeError:  # an unhashable parameter (a list): not a sentinel
                name = None
            if name is not None:
                slots.append((at, name))
        missing = set(self.names) - {name for _, name in slots}
        if missing:
            raise ValueError(f"prepared query {self.build.__qualname__}: {sorted(missing)} do not reach the SQL as parameters")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = [(pos, convs, expr) for pos, (convs, expr) in compiler.get_converters(fields).items()]
        plan = self._plans[key] = (stamp, sql, params, tuple(slots), converters)
        return plan

    def __call__(self, **values) -> list[tuple]:
        _, sql, template, slots, converters = self._plan()
        params = list(template)
        for at, name in slots:
            value = values[name]
            params[at] = db_date(value) if isinstance(value, date) else value
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        if not converters:
            return rows
        out = []
        for row in rows:
            row = list(row)
            for pos, convs, expr in converters:
                value = row[pos]
                for convert in convs:
                    value = convert(value, expr, connection)
                row[pos] = value
            out.append(tuple(row))
        return out


def prepared(*, ints=(), dates=(), strs=(), version=None):
    """Decorator form of `PreparedQuery`."""

    def decorate(build) -> PreparedQuery:
        return PreparedQuery(build, ints=ints, dates=dates, strs=strs, version=version)

    return decorate
