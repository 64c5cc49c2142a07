"""The evaluation snapshot: what the engines read, exported from the operational database.

`export_snapshot(out_dir, compiled=..., as_of=...)` writes four Parquet files with the columns
of compiled.py's snapshot rows:

- `subjects.parquet` — the subjects of the kinds the models evaluate, each with the kind it is
  evaluated as (evaluated_subjects: an organization registered as a credit service agency, and
  not exited, is evaluated as one);
- `facts.parquet` — their records of the items the rules name, in the disclosure classes the
  models may use (all statuses: the engines count only active ones); `severity` '' → null;
  `ends_on` = the earlier of `publish_until` and `valid_until` (either may be null);
- `attrs.parquet` — (record, field, value) for the (item, field) pairs the rules name, read from
  `Record.data` (a multi-choice enum, stored as "a；b", gives one row per value); sensitive
  fields (stored encrypted) are never read: evaluation has no use for them;
- `members.parquet` — (subject, list) for the list codes the overrides name: entries listed on
  as_of (`status` listed, `listed_on` ≤ as_of, `expires_on` null or ≥ as_of).

For every subject (a full run) or the given `subject_ids` (an incremental run). Streamed: never a
whole table in Python memory. On PostgreSQL each query runs as `COPY (SELECT ...) TO STDOUT` read
by Arrow's CSV reader (no Python object per row); elsewhere (SQLite) through Django's chunked
cursor, `batch_size` rows at a time, converted column by column; both write RecordBatches to a
ParquetWriter.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.db import DatabaseError, connections
from django.db.models import (
    Case,
    CharField,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import NullIf

from xinyong.catalog.registry import get_catalog
from xinyong.common.streams import ChunkStream
from xinyong.records.models import Record
from xinyong.sanctions.models import ListEntry
from xinyong.subjects.models import KIND_CHOICES, Subject

from . import compiled as c
from .engine import arrow_schema

MULTI_SEPARATOR = "；"  # how ingestion stores a multi-choice enum (validation.py)
ID_CHUNK = 10_000  # subject ids per query of an incremental run (SQLite's bound-parameter limit)
AGENCY = "credit_service_agency"  # the kind a registered credit service agency is evaluated as
ALL_KINDS = frozenset(k for k, _ in KIND_CHOICES)
ORGANIZATION_KINDS = ALL_KINDS - {"individual"}  # those that may register as an agency


@dataclass(frozen=True)
class Needs:
    """What the compiled models read: the export takes nothing else."""

    kinds: frozenset[str]
    disclosures: frozenset[str]
    items: frozenset[str]
    fields: dict[str, frozenset[str]]  # field -> the items whose rules name it
    lists: frozenset[str]

    @property
    def subject_kinds(self) -> frozenset[str]:
        """The kinds (Subject.kind) of the subjects that may be evaluated: the models' kinds, and
        every organization's when a model evaluates credit service agencies (any organization
        may register as one). The records and list entries of these subjects are exported: those
        of a subject that is not evaluated are never counted (evaluate.sql joins `evaluated`)."""
        if AGENCY not in self.kinds:
            return self.kinds
        return self.kinds | ORGANIZATION_KINDS

    @classmethod
    def of(cls, compiled: c.Compiled) -> Needs:
        fields: dict[str, set[str]] = defaultdict(set)
        for r in compiled.rules:
            if r.field is not None:
                fields[r.field].add(r.item_code)
        return cls(
            kinds=frozenset(k.kind for k in compiled.kinds),
            disclosures=frozenset(d.disclosure for d in compiled.disclosures),
            items=frozenset(r.item_code for r in compiled.rules),
            fields={f: frozenset(items) for f, items in sorted(fields.items())},
            lists=frozenset(o.list_code for o in compiled.overrides if o.list_code is not None),
        )


def export_snapshot(
    out_dir: Path | str,
    *,
    compiled: c.Compiled,
    as_of: date,
    subject_ids: Iterable[int] | None = None,
    using: str = "default",
    batch_size: int = 200_000,
    workers: int | None = None,
    tables: tuple[str, ...] = ("subjects", "members", "facts"),
    record_ids: Iterable[int] | None = None,
) -> dict[str, int]:
    """Write the snapshot for `compiled` on `as_of` to `out_dir`; returns the row count of each
    table. Facts and attrs come from one pass over the records (a column per field the rules
    name). On PostgreSQL, outside a transaction, a full export reads the records in `workers`
    (default: the cores, at most 4) id ranges at once, on as many connections sharing one
    database snapshot (pg_export_snapshot), so that all tables are read as of one moment.
    `tables` limits the export to some of "subjects", "members" and "facts" (facts and attrs,
    which come from one pass); the counts of the others are 0. `record_ids` (with tables
    ("facts",) only): the facts and attrs of those records (the snapshot mirror's update)."""
    needs = Needs.of(compiled)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    wanted = None if subject_ids is None else sorted(set(subject_ids))
    # the given subjects of the kinds evaluated: read with the subjects' table when it is
    # exported (one query fewer), else on their own
    ids = None if wanted is None or "subjects" in tables else _evaluated(needs, wanted, using)
    connection = connections[using]
    connection.ensure_connection()
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    if record_ids is not None and (subject_ids is not None or tuple(tables) != ("facts",)):
        raise ValueError("record_ids exports the facts of those records only")
    parallel = (connection.vendor == "postgresql" and not connection.in_atomic_block and wanted is None and record_ids is None
                and workers > 1 and "facts" in tables)
    counts = dict.fromkeys(c.SNAPSHOT_TABLES, 0)
    with _shared_snapshot(connection) if parallel else contextlib.nullcontext() as snapshot_id:
        for name in ("subjects", "members"):
            if name not in tables:
                continue
            schema = arrow_schema(c.SNAPSHOT_TABLES[name])
            found: list[pa.Array] = []
            with pq.ParquetWriter(out / f"{name}.parquet", schema, compression=COMPRESSION) as writer:
                n = 0
                for querysets in _chunks(wanted if name == "subjects" else ids, lambda chunk, name=name: _querysets(name, needs, as_of, chunk)):
                    for qs, _ in querysets:
                        for batch in _stream(qs, schema, using, batch_size):
                            writer.write_batch(batch)
                            n += batch.num_rows
                            if name == "subjects" and wanted is not None:
                                found.append(batch.column(0))
                counts[name] = n
            if name == "subjects" and wanted is not None:  # (none of those kinds: an empty list, not "all")
                ids = sorted(v for chunk in found for v in chunk.to_pylist())
        if "facts" in tables:
            _export_records(out, needs, ids, using, batch_size, workers, snapshot_id if parallel else None, counts,
                            record_ids=None if record_ids is None else sorted(set(record_ids)))
    return {name: counts[name] for name in c.SNAPSHOT_TABLES}


def _export_records(out: Path, needs: Needs, ids: list[int] | None, using: str, batch_size: int, workers: int, snapshot_id: str | None, counts: dict,
                    record_ids: list[int] | None = None) -> None:
    """facts.parquet and attrs.parquet from one pass over the records (in parallel when given a
    shared database snapshot)."""
    fact_schema, attr_schema = arrow_schema(c.FactRow), arrow_schema(c.AttrRow)
    with (pq.ParquetWriter(out / "facts.parquet", fact_schema, compression=COMPRESSION) as facts,
          pq.ParquetWriter(out / "attrs.parquet", attr_schema, compression=COMPRESSION) as attrs):
        counts["facts"] = counts["attrs"] = 0
        lock = threading.Lock()

        def write(batch: pa.RecordBatch, specs) -> None:
            fact_batch = pa.RecordBatch.from_arrays(batch.columns[: len(fact_schema)], schema=fact_schema)
            attr_batches = [_attr_batch(batch, i, field, multi) for i, (field, multi) in enumerate(specs, start=len(fact_schema))]
            with lock:
                facts.write_batch(fact_batch)
                counts["facts"] += fact_batch.num_rows
                for b in attr_batches:
                    if b.num_rows:
                        attrs.write_batch(b)
                        counts["attrs"] += b.num_rows

        if needs.items:
            if snapshot_id is not None:
                _export_records_parallel(needs, using, batch_size, workers, snapshot_id, write)
            elif record_ids is not None:
                for start in range(0, len(record_ids), ID_CHUNK):
                    qs, specs = _records_query(needs, None, record_ids[start: start + ID_CHUNK])
                    for batch in _stream(qs, _records_schema(specs), using, batch_size):
                        write(batch, specs)
            else:
                for chunk in _chunks(ids, lambda chunk: chunk):
                    qs, specs = _records_query(needs, chunk)
                    for batch in _stream(qs, _records_schema(specs), using, batch_size):
                        write(batch, specs)


COMPRESSION = "lz4"  # a snapshot lives for one run: fast to write matters more than size


@contextlib.contextmanager
def _shared_snapshot(connection):
    """A REPEATABLE READ transaction on `connection` whose snapshot other connections import."""
    with connection.cursor() as cur:
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cur.execute("SELECT pg_export_snapshot()")
            yield cur.fetchone()[0]
        finally:
            cur.execute("COMMIT")


def _export_records_parallel(needs: Needs, using: str, batch_size: int, workers: int, snapshot_id: str, write) -> None:
    """The facts/attrs query over `workers` record id ranges at once, each on its own connection
    in the shared snapshot."""
    from concurrent.futures import ThreadPoolExecutor

    qs, specs = _records_query(needs, None)
    with connections[using].cursor() as cur:
        cur.execute(f'SELECT min(id), max(id) FROM "{Record._meta.db_table}"')  # noqa: S608
        lo, hi = cur.fetchone()
    if lo is None:
        return
    step = (hi - lo) // workers + 1
    schema = _records_schema(specs)

    def part(start: int) -> None:
        try:
            conn = connections[using]  # this thread's own connection
            with conn.cursor() as cur:
                cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cur.execute("SET TRANSACTION SNAPSHOT %s", [snapshot_id])
            for batch in _stream(qs.filter(id__gte=start, id__lt=start + step), schema, using, batch_size):
                write(batch, specs)
            with conn.cursor() as cur:
                cur.execute("COMMIT")
        finally:
            connections[using].close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(part, lo + i * step) for i in range(workers)]:
            future.result()


def _chunks(ids: list[int] | None, build) -> Iterator:
    if ids is None:
        yield build(None)
        return
    for start in range(0, len(ids), ID_CHUNK):
        yield build(ids[start: start + ID_CHUNK])


_RAW_ATTRS = pa.schema([("record_id", pa.int64()), ("field", pa.string()), ("value", pa.string())])


def _among(field: str, ids: list[int], using: str = "default") -> Q:
    """`field` is one of `ids`: on PostgreSQL one array parameter (`= ANY(%s)`), not thousands of
    placeholders (which psycopg parses client-side for a COPY, and the planner reads one by one);
    elsewhere IN (the caller chunks by ID_CHUNK for SQLite's parameter limit)."""
    if connections[using].vendor == "postgresql":
        return Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))})
    return Q(**{f"{field}__in": ids})


def evaluated_subjects(needs: Needs, using: str = "default") -> QuerySet[Subject]:
    """The subjects the models evaluate, each annotated with the kind it is evaluated as
    (`evaluated_as`): its own kind, except that an organization registered as a credit service
    agency (信用服务机构) and not exited from the market is evaluated as one — by the agency
    model, under its stricter standard, instead of the baseline model of its legal form. Its
    kind stays what its registration says (an agency is still an enterprise for the catalog's
    items and the annual reports). The subjects' table of the snapshot and the mirror's
    fingerprints of it are both read through this one queryset."""
    # a LEFT JOIN with the registry (one row per subject at most), not a correlated EXISTS:
    # PostgreSQL then hashes the registry once and keeps the scan of the subjects parallel
    evaluated_as = Case(
        When(Q(agency__isnull=False) & ~Q(agency__status="exited"), then=Value(AGENCY)),
        default=F("kind"), output_field=CharField(),
    )
    qs = Subject.objects.using(using).filter(kind__in=sorted(needs.subject_kinds)).annotate(evaluated_as=evaluated_as)
    return qs.filter(evaluated_as__in=sorted(needs.kinds))


def _evaluated(needs: Needs, subject_ids: Iterable[int], using: str) -> list[int]:
    """Those of the given subjects that the models evaluate: the other queries of an
    incremental export then need no join with the subjects (a hash of the whole table)."""
    wanted = sorted(set(subject_ids))
    out: list[int] = []
    for start in range(0, len(wanted), ID_CHUNK):
        chunk = wanted[start: start + ID_CHUNK]
        out.extend(evaluated_subjects(needs, using).filter(_among("id", chunk, using)).order_by("id").values_list("id", flat=True))
    return out


def _of_kinds(qs: QuerySet, needs: Needs) -> QuerySet:
    """`qs` (records or list entries) limited to the subjects of the kinds that may be evaluated
    — no join at all when that is every kind."""
    if needs.subject_kinds >= ALL_KINDS:
        return qs
    return qs.filter(subject__kind__in=sorted(needs.subject_kinds))


def _records(needs: Needs, ids: list[int] | None, record_ids: list[int] | None = None):
    """The records of the subjects evaluated: all of them, or `ids` (already those evaluated),
    or those of `record_ids` (their subjects of the kinds that may be evaluated)."""
    records = Record.objects.filter(disclosure__in=sorted(needs.disclosures))
    if record_ids is not None:
        return _of_kinds(records.filter(_among("id", record_ids)), needs)
    if ids is None:
        return _of_kinds(records, needs)
    return records.filter(_among("subject_id", ids))


def _records_query(needs: Needs, ids: list[int] | None, record_ids: list[int] | None = None):
    """The facts' columns, then one text column per (field, multi-choice or not) the rules name:
    the field's value for the records of the items whose rules name it, else null. Returns
    (queryset, [(field, multi), ...] for the extra columns)."""
    ends_on = Case(
        When(publish_until__isnull=True, then=F("valid_until")),
        When(valid_until__isnull=True, then=F("publish_until")),
        When(publish_until__lt=F("valid_until"), then=F("publish_until")),
        default=F("valid_until"),
    )
    catalog = get_catalog()
    specs, extra = [], []
    for field, items in needs.fields.items():
        multi: dict[bool, list[str]] = defaultdict(list)
        for code in sorted(items):
            item = catalog.item(code)
            fdef = item.field_map.get(field) if item is not None else None
            if fdef is not None and fdef.sensitive:
                raise ValueError(f"evaluation reads no sensitive field ({code}.{field} is one)")
            multi[bool(fdef and fdef.multi)].append(code)
        for is_multi, codes in sorted(multi.items()):
            specs.append((field, is_multi))
            extra.append(Case(When(item_code__in=codes, then=KeyTextTransform(field, "data")), default=None, output_field=TextField()))
    qs = _records(needs, ids, record_ids).filter(item_code__in=sorted(needs.items)).order_by().values_list(
        "id", "subject_id", "item_code", "authority_level", NullIf(F("severity"), Value("")),
        "decided_on", ends_on, "status", "disclosure", "under_objection", *extra,
    )
    return qs, specs


def _records_schema(specs) -> pa.Schema:
    fact = arrow_schema(c.FactRow)
    return pa.schema([*fact, *(pa.field(f"attr{i}", pa.string()) for i in range(len(specs)))])


def _attr_batch(batch: pa.RecordBatch, column: int, field: str, multi: bool) -> pa.RecordBatch:
    """(record_id, field, value) of the batch's rows that have a value in `column`."""
    value = batch.column(column)
    rows = pc.indices_nonzero(pc.is_valid(value)) if value.null_count else None
    record_ids = batch.column(0) if rows is None else pc.take(batch.column(0), rows)
    values = value if rows is None else pc.take(value, rows)
    raw = pa.RecordBatch.from_arrays([record_ids, pa.array([field] * len(values), pa.string()), values], schema=_RAW_ATTRS)
    return _split_multi(raw) if multi else _as_attrs(raw)


def _querysets(name: str, needs: Needs, as_of: date, ids: list[int] | None) -> list[tuple]:
    """(values_list queryset, None) giving the table's columns (subjects, members)."""
    if name == "subjects":
        qs = evaluated_subjects(needs)
        qs = qs if ids is None else qs.filter(_among("id", ids))
        return [(qs.order_by().values_list("id", "evaluated_as", "region", "industry"), None)]
    if name == "members":
        qs = ListEntry.objects.filter(
            Q(listed_on__isnull=True) | Q(listed_on__lte=as_of),
            Q(expires_on__isnull=True) | Q(expires_on__gte=as_of),
            list_code__in=sorted(needs.lists), status="listed",
        )
        qs = _of_kinds(qs, needs) if ids is None else qs.filter(_among("subject_id", ids))
        return [(qs.order_by().values_list("subject_id", "list_code"), None)] if needs.lists else []
    raise ValueError(name)


def _as_attrs(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The rows whose record has a value for the field."""
    value = batch.column("value")
    return batch.filter(pc.and_(pc.is_valid(value), pc.not_equal(value, ""))).cast(arrow_schema(c.AttrRow))


def _split_multi(batch: pa.RecordBatch) -> pa.RecordBatch:
    """One row per chosen value of a multi-choice field ("水；气" → two rows)."""
    parts = pc.split_pattern(batch.column("value"), MULTI_SEPARATOR)
    rows = pc.list_parent_indices(parts)
    values = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    keep = pc.not_equal(values, "")
    table = pa.table({
        "record_id": pc.take(batch.column("record_id"), rows),
        "field": pc.take(batch.column("field"), rows),
        "value": values,
    }).filter(keep)
    table = table.cast(arrow_schema(c.AttrRow))
    return table.combine_chunks().to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([], schema=arrow_schema(c.AttrRow))


# ----------------------------------------------------------------------------- streaming
def _stream(qs, schema: pa.Schema, using: str, batch_size: int) -> Iterator[pa.RecordBatch]:
    connection = connections[using]
    sql, params = qs.query.sql_with_params()
    if connection.vendor == "postgresql":
        yield from _stream_copy(connection, sql, params, schema, batch_size)
    else:
        yield from _stream_cursor(connection, sql, params, schema, batch_size)


def _stream_cursor(connection, sql, params, schema: pa.Schema, batch_size: int) -> Iterator[pa.RecordBatch]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(batch_size):
            columns = zip(*rows, strict=True)
            # arrays inferred then cast: SQLite gives dates as text or date objects, booleans as 0/1
            yield pa.RecordBatch.from_arrays([pa.array(list(col)).cast(f.type) for col, f in zip(columns, schema, strict=True)], schema=schema)


def _stream_copy(connection, sql, params, schema: pa.Schema, batch_size: int) -> Iterator[pa.RecordBatch]:
    connection.ensure_connection()
    with connection.cursor() as cursor, _export_settings(cursor):
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            blocks = _copy_blocks(raw, copy)
            first = next(blocks, None)
            if first is None:  # no rows (Arrow refuses an empty CSV)
                return
            reader = pacsv.open_csv(
                io.BufferedReader(ChunkStream(itertools.chain([first], blocks)), buffer_size=1 << 20),
                read_options=pacsv.ReadOptions(column_names=schema.names, block_size=1 << 20, use_threads=False),
                # PostgreSQL's CSV: NULL is an unquoted empty field, '' a quoted one; booleans t/f
                convert_options=pacsv.ConvertOptions(
                    column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False,
                    null_values=[""], true_values=["t"], false_values=["f"],
                ),
            )
            for batch in reader:
                if batch.num_rows:
                    yield batch.cast(schema) if batch.schema != schema else batch


COPY_BLOCK = 1 << 20


@contextlib.contextmanager
def _export_settings(cursor):
    """The export's queries without JIT compilation (on a large table the planner's estimate
    passes jit_above_cost, and compiling takes seconds where an incremental export runs in
    tenths), and with the memory a bitmap of many subjects' records needs to stay exact. Undone
    after (or by the rollback of a failed transaction, which undoes SET)."""
    cursor.execute("SET jit = off")
    cursor.execute("SET work_mem = '64MB'")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError):
            cursor.execute("RESET jit")
            cursor.execute("RESET work_mem")


def _copy_blocks(raw, copy) -> Iterator[bytes]:
    """A COPY TO STDOUT's rows joined in blocks of about COPY_BLOCK bytes. psycopg's Copy gives
    one row per call, each through its wait loop (some 2 µs a row: minutes at 50 million rows);
    here the rows libpq has already received are taken in a tight loop, and psycopg waits only
    when none is there. At the end of the data the final result is fetched as psycopg's own
    reader does, and the Copy marked finished."""
    import psycopg
    from psycopg.generators import fetch_many

    pgconn = raw.connection.pgconn
    get = pgconn.get_copy_data
    parts: list = []
    size = 0
    while True:
        nbytes, data = get(1)  # without blocking: 0 means none received yet
        if nbytes > 0:
            parts.append(data)
            size += nbytes
            if size >= COPY_BLOCK:
                yield b"".join(parts)
                parts, size = [], 0
        elif nbytes == 0:
            row = copy.read()  # psycopg waits for the next row, or the end
            if not row:
                break
            parts.append(row)
            size += len(row)
        else:  # the end of the data: the final result, as psycopg.generators.copy_from takes it
            results = raw.connection.wait(fetch_many(pgconn))
            if len(results) != 1 or results[0].status != psycopg.pq.ExecStatus.COMMAND_OK:
                raise psycopg.errors.error_from_result(results[-1], encoding=pgconn._encoding) if results else psycopg.OperationalError("COPY ended without a result")
            copy._finished = True  # psycopg's Copy would otherwise read on at exit
            break
    if parts:
        yield b"".join(parts)
