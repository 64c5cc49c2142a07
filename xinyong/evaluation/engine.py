"""The evaluation engines: one interface, three implementations that must agree.

- `DuckDBEngine` runs `sql/evaluate.sql` in an embedded DuckDB over a snapshot (Parquet files
  read in place, or Arrow tables) — the engine of the platform's runs;
- `SparkEngine` runs the same SQL transpiled by SQLGlot to Spark SQL, in a given SparkSession
  (local mode in tests; a cluster where a province outgrows one machine);
- `ReferenceEngine` runs `reference.py` (slow, obvious Python: the definition).

`engine.evaluate(compiled, snapshot, as_of, out_dir=None) -> Evaluation`. The snapshot is a
folder of Parquet files `subjects.parquet`, `facts.parquet`, `attrs.parquet`, `members.parquet`
(written by `snapshot.py`), or a `compiled.Snapshot` of rows, or a mapping of table name → Arrow
table. With `out_dir`, the results are written there as `results.parquet` and
`contributions.parquet` (and the Evaluation reads them back lazily); without, they are Arrow
tables in memory. `Evaluation.output()` gives `compiled.Output` rows, which is what engines are
compared on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import cache
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from . import compiled as c
from . import reference

SQL_PATH = Path(__file__).with_name("sql") / "evaluate.sql"
OUTPUT_TABLES = {"results": c.ResultRow, "contributions": c.ContributionRow}
LEVELS_TABLE = "eval_levels"

_ARROW_TYPES = {"int": pa.int64(), "str": pa.string(), "date": pa.date32(), "bool": pa.bool_()}


@cache
def arrow_schema(row_type) -> pa.Schema:
    """The Arrow schema of a row dataclass of compiled.py (`int | None` → nullable int64...)."""
    out = []
    for f in fields(row_type):
        text = f.type if isinstance(f.type, str) else f.type.__name__
        base, _, rest = text.partition(" | ")
        nullable = rest == "None"
        out.append(pa.field(f.name, _ARROW_TYPES[base], nullable=nullable))
    return pa.schema(out)


def rows_to_arrow(rows, row_type) -> pa.Table:
    schema = arrow_schema(row_type)
    columns = {name: [getattr(r, name) for r in rows] for name in schema.names}
    return pa.table(columns, schema=schema)


def arrow_to_rows(table: pa.Table, row_type) -> list:
    names = [f.name for f in fields(row_type)]
    table = table.select(names)
    return [row_type(*values) for values in zip(*(col.to_pylist() for col in table.columns), strict=True)] if table.num_rows else []


def compiled_tables(compiled: c.Compiled) -> dict[str, pa.Table]:
    """The compiled model tables, plus eval_levels (the authority levels' ranks), as Arrow."""
    out = {name: rows_to_arrow(rows, c.COMPILED_TABLES[name]) for name, rows in compiled.tables().items()}
    out[LEVELS_TABLE] = pa.table({"level": list(c.LEVEL_RANK), "rank": list(c.LEVEL_RANK.values())},
                                 schema=pa.schema([("level", pa.string()), ("rank", pa.int64())]))
    return out


@dataclass(frozen=True)
class StoredSnapshot:
    """A snapshot whose tables named in `tables` are in a DuckDB database file (the mirror:
    mirror.py), the others Parquet files in `folder`."""

    folder: Path
    database: Path
    tables: tuple[str, ...] = ("facts", "attrs")

    def attach(self, con) -> None:
        """Attach the database to a DuckDB connection (as `mirror`) and create a view per table."""
        con.execute(f"ATTACH '{_quoted(self.database)}' AS mirror (READ_ONLY)")
        for name in c.SNAPSHOT_TABLES:
            if name in self.tables:
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM mirror.{name}")  # noqa: S608
            else:
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_quoted(snapshot_file(self.folder, name))}')")

    def read(self, name: str) -> pa.Table:
        import duckdb

        con = duckdb.connect(":memory:")
        try:
            self.attach(con)
            return con.sql(f"SELECT * FROM {name}").to_arrow_table().cast(arrow_schema(c.SNAPSHOT_TABLES[name]))  # noqa: S608
        finally:
            con.close()


SnapshotSource = Path | str | c.Snapshot | Mapping[str, pa.Table] | StoredSnapshot


def snapshot_tables(snapshot: SnapshotSource) -> dict[str, pa.Table]:
    """The snapshot as Arrow tables (a Parquet folder is read whole: for small snapshots only —
    the SQL engines read Parquet folders in place)."""
    if isinstance(snapshot, c.Snapshot):
        return {name: rows_to_arrow(getattr(snapshot, name), row_type) for name, row_type in c.SNAPSHOT_TABLES.items()}
    if isinstance(snapshot, StoredSnapshot):
        return {name: snapshot.read(name) for name in c.SNAPSHOT_TABLES}
    if isinstance(snapshot, Mapping):
        return {name: snapshot[name].cast(arrow_schema(row_type)) for name, row_type in c.SNAPSHOT_TABLES.items()}
    return {name: read_snapshot_table(Path(snapshot), name) for name in c.SNAPSHOT_TABLES}


def read_snapshot_table(folder: Path, name: str) -> pa.Table:
    """One table of a Parquet snapshot folder, read whole."""
    return pq.read_table(snapshot_file(folder, name), schema=arrow_schema(c.SNAPSHOT_TABLES[name]))


def snapshot_file(folder: Path, name: str) -> Path:
    path = Path(folder) / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"snapshot table {name} missing: {path}")
    return path


# ----------------------------------------------------------------------------- the SQL
@dataclass(frozen=True)
class Step:
    name: str
    materialize: bool  # a table (computed once, read several times) rather than a view
    per_stage: bool
    sql: str  # with {as_of} and {stage} placeholders


_STEP = re.compile(r"^-- @step (\w+) (view|table)( per-stage)?\s*$", re.M)


@cache
def steps() -> tuple[Step, ...]:
    text = SQL_PATH.read_text(encoding="utf-8")
    marks = list(_STEP.finditer(text))
    out = []
    for mark, nxt in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end(): nxt.start() if nxt else len(text)]
        sql = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--")).strip().rstrip(";")
        out.append(Step(mark.group(1), mark.group(2) == "table", bool(mark.group(3)), sql))
    if [s.name for s in out if s.per_stage][-1:] != ["stage_results"]:
        raise ValueError(f"{SQL_PATH}: the last per-stage step must be stage_results")
    return tuple(out)


def bind(sql: str, *, as_of: date, stage: int = 0) -> str:
    """Substitute the parameters as literals (typed values only: nothing else reaches the SQL)."""
    if type(as_of) is not date or type(stage) is not int:
        raise TypeError("as_of must be a date and stage an int")
    return sql.replace("{as_of}", f"DATE '{as_of.isoformat()}'").replace("{stage}", str(stage))


def stages_of(compiled: c.Compiled) -> list[int]:
    return sorted({m.stage for m in compiled.models})


# ----------------------------------------------------------------------------- the interface
@dataclass
class Evaluation:
    """An engine's output: Arrow tables, or the Parquet files they were written to."""

    results: pa.Table | Path
    contributions: pa.Table | Path

    def table(self, name: str) -> pa.Table:
        value = getattr(self, name)
        if isinstance(value, Path):
            return pq.read_table(value, schema=arrow_schema(OUTPUT_TABLES[name]))
        return value

    def output(self) -> c.Output:
        return c.Output(
            results=arrow_to_rows(self.table("results"), c.ResultRow),
            contributions=arrow_to_rows(self.table("contributions"), c.ContributionRow),
        )


class Engine(Protocol):
    name: str

    def evaluate(self, compiled: c.Compiled, snapshot: SnapshotSource, as_of: date, out_dir: Path | str | None = None) -> Evaluation: ...


def _write(tables: dict[str, pa.Table], out_dir: Path | str | None) -> Evaluation:
    if out_dir is None:
        return Evaluation(**tables)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, table in tables.items():
        paths[name] = out / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return Evaluation(**paths)


def _conform(table: pa.Table, row_type) -> pa.Table:
    """An engine's output table with the contract's column names, order and types."""
    schema = arrow_schema(row_type)
    return table.select(schema.names).cast(schema)


# ----------------------------------------------------------------------------- DuckDB
class DuckDBEngine:
    """The SQL in an embedded DuckDB. `threads`/`memory_limit` default to DuckDB's (all cores,
    80% of memory); `temp_dir` is where DuckDB spills when a run outgrows the memory limit."""

    name = "duckdb"

    def __init__(self, *, threads: int | None = None, memory_limit: str | None = None, temp_dir: Path | str | None = None):
        self.threads, self.memory_limit, self.temp_dir = threads, memory_limit, temp_dir

    def connect(self, database: Path | str = ":memory:"):
        """A DuckDB connection with this engine's settings (in memory, or a database file)."""
        import duckdb

        config = {}
        if self.threads:
            config["threads"] = self.threads
        if self.memory_limit:
            config["memory_limit"] = self.memory_limit
        if self.temp_dir:
            config["temp_directory"] = str(self.temp_dir)
        # results are compared as sets: no need to keep insertion order (lets DuckDB stream more)
        config["preserve_insertion_order"] = False
        # DuckDB's blocks from memory it keeps until the connection closes, instead of memory
        # returned to the system after each step and faulted in again by the next (a run's steps
        # took a fifth of their CPU time in the kernel); reserved, not used, until needed
        config["block_allocator_memory"] = self.memory_limit or f"{_physical_mib() // 2}MiB"
        return duckdb.connect(str(database), config=config)

    def evaluate(self, compiled: c.Compiled, snapshot: SnapshotSource, as_of: date, out_dir: Path | str | None = None) -> Evaluation:
        con = self.run(compiled, snapshot, as_of)
        try:
            return self._export(con, out_dir)
        finally:
            con.close()

    def run(self, compiled: c.Compiled, snapshot: SnapshotSource, as_of: date):
        """Evaluate and return the open connection holding the output in place (the caller closes
        it): `results` and `contributions` (the contract's tables), and the steps' integer forms
        `contribution_rows`, `indicator_ids` and `model_ids` (see store.py). Nothing is copied out."""
        con = self.connect()
        try:
            for name, table in compiled_tables(compiled).items():
                con.register(name, table)
            if isinstance(snapshot, StoredSnapshot):
                snapshot.attach(con)
            elif isinstance(snapshot, str | Path):
                for name in c.SNAPSHOT_TABLES:
                    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{_quoted(snapshot_file(Path(snapshot), name))}')")
            else:
                for name, table in snapshot_tables(snapshot).items():
                    con.register(name, table)
            con.execute(f"CREATE TEMP TABLE results ({duck_columns(c.ResultRow)})")
            for step in steps():
                if not step.per_stage:
                    self._run(con, step, as_of, 0)
            for stage in stages_of(compiled):
                for step in steps():
                    if step.per_stage:
                        self._run(con, step, as_of, stage)
                con.execute("INSERT INTO results SELECT * FROM stage_results")
        except BaseException:
            con.close()
            raise
        return con

    @staticmethod
    def _run(con, step: Step, as_of: date, stage: int) -> None:
        kind = "TABLE" if step.materialize else "VIEW"
        con.execute(f"CREATE OR REPLACE TEMP {kind} {step.name} AS {bind(step.sql, as_of=as_of, stage=stage)}")

    @staticmethod
    def _export(con, out_dir: Path | str | None) -> Evaluation:
        queries = {name: f"SELECT {', '.join(arrow_schema(t).names)} FROM {name}" for name, t in OUTPUT_TABLES.items()}
        if out_dir is None:
            return Evaluation(**{name: _conform(con.sql(q).to_arrow_table(), OUTPUT_TABLES[name]) for name, q in queries.items()})
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, q in queries.items():
            paths[name] = out / f"{name}.parquet"
            target = _quoted(paths[name])
            con.execute(f"COPY ({q}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        return Evaluation(**paths)


def _physical_mib() -> int:
    import os

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


def _quoted(path: Path | str) -> str:
    """A path as the inside of a DuckDB string literal."""
    return str(path).replace("'", "''")


def duck_columns(row_type) -> str:
    """The column definitions of a table of `row_type` rows (compiled.py) in DuckDB."""
    return ", ".join(f'"{f.name}" {_DUCK_TYPES[f.type]}' for f in arrow_schema(row_type))


_DUCK_TYPES = {pa.int64(): "BIGINT", pa.string(): "VARCHAR", pa.date32(): "DATE", pa.bool_(): "BOOLEAN"}


# ----------------------------------------------------------------------------- Spark
def spark_sql(sql: str) -> str:
    """A statement of evaluate.sql in Spark SQL (by SQLGlot; one statement in, one out)."""
    import sqlglot

    [out] = sqlglot.transpile(sql, read="duckdb", write="spark")
    return out


class SparkEngine:
    """The same SQL, transpiled to Spark SQL, in the given SparkSession. `cache`: keep the
    materialized steps in memory (large data); without, Spark recomputes them where they are read
    (fewer jobs: faster on tiny data, as in tests)."""

    name = "spark"

    def __init__(self, spark, *, cache: bool = True):
        self.spark = spark
        self.cache = cache

    def _frame(self, table: pa.Table):
        return self.spark.createDataFrame(table)

    def evaluate(self, compiled: c.Compiled, snapshot: SnapshotSource, as_of: date, out_dir: Path | str | None = None) -> Evaluation:
        spark = self.spark
        views = []

        def register(name: str, frame) -> None:
            frame.createOrReplaceTempView(name)
            views.append(name)

        cached = []
        try:
            for name, table in compiled_tables(compiled).items():
                register(name, self._frame(table))
            if isinstance(snapshot, str | Path):
                for name in c.SNAPSHOT_TABLES:
                    register(name, spark.read.parquet(str(snapshot_file(Path(snapshot), name))))
            else:
                for name, table in snapshot_tables(snapshot).items():
                    register(name, self._frame(table))
            results = self._frame(arrow_schema(c.ResultRow).empty_table())
            register("results", results)
            frame = None
            for step in steps():
                if not step.per_stage:
                    frame = self._run(step, as_of, 0, register)
                    if step.materialize and self.cache:
                        cached.append(frame)
            for stage in stages_of(compiled):
                for step in steps():
                    if step.per_stage:
                        frame = self._run(step, as_of, stage, register)
                results = results.unionByName(frame)
                if self.cache:
                    results = results.cache()
                    cached.append(results)
                register("results", results)
            frames = {name: spark.table(name).select(*arrow_schema(row_type).names) for name, row_type in OUTPUT_TABLES.items()}
            if out_dir is None:
                return Evaluation(**{name: _conform(frame.toArrow(), OUTPUT_TABLES[name]) for name, frame in frames.items()})
            # written by Spark itself (a folder of part files per table, on a cluster too)
            paths = {name: Path(out_dir) / f"{name}.parquet" for name in frames}
            for name, frame in frames.items():
                frame.write.mode("overwrite").parquet(str(paths[name]))
            return Evaluation(**paths)
        finally:
            for name in views:
                spark.catalog.dropTempView(name)
            for frame in cached:
                frame.unpersist()

    def _run(self, step: Step, as_of: date, stage: int, register):
        frame = self.spark.sql(spark_sql(bind(step.sql, as_of=as_of, stage=stage)))
        if step.materialize and self.cache:
            frame = frame.cache()
        register(step.name, frame)
        return frame


# ----------------------------------------------------------------------------- reference
class ReferenceEngine:
    """reference.py behind the same interface (small snapshots: rows in Python memory)."""

    name = "reference"

    def evaluate(self, compiled: c.Compiled, snapshot: SnapshotSource, as_of: date, out_dir: Path | str | None = None) -> Evaluation:
        if not isinstance(snapshot, c.Snapshot):
            tables = snapshot_tables(snapshot)
            snapshot = c.Snapshot(**{name: arrow_to_rows(tables[name], row_type) for name, row_type in c.SNAPSHOT_TABLES.items()})
        output = reference.evaluate(compiled, snapshot, as_of)
        return _write({"results": rows_to_arrow(output.results, c.ResultRow), "contributions": rows_to_arrow(output.contributions, c.ContributionRow)}, out_dir)
