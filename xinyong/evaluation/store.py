"""Writing a run's results: only what changed, in one transaction.

The output is read in place in a DuckDB connection: the DuckDB engine's own (`DuckDBEngine.run`:
nothing copied out), or one holding another engine's output (`output_connection`). It holds
`results` and `contributions` (the contract's columns: `compiled.ResultRow`,
`compiled.ContributionRow`) and their integer forms of evaluate.sql (`contribution_rows`,
`indicator_ids`, `model_ids`). Here DuckDB digests each subject's whole result (its contributions
through an order-free aggregate of their hashes) and compares it with the subject's current result
under that model (exported from the database by digest only, or the mirror's); then the database
closes the current results that changed or left the run's scope and inserts the new ones.
Unchanged subjects cost one digest comparison and no write.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.db import connection

from xinyong.common import db

from .models import EvaluationResult

CHUNK = 50_000
RESULT_COLUMNS = [
    "run_id", "subject_id", "model_code", "model_version", "score_milli", "raw_grade", "grade",
    "override_seq", "contributions", "digest", "valid_from", "valid_to",
]

# the new results with a digest of the whole (score, grades, override and contributions: a 64-bit
# hash, in hex). The contributions enter it through an order-free aggregate of a hash of each
# (count, xor, sum) over (record, hash of the model's and indicator's codes, points): one hash
# aggregation on integer keys instead of ordering tens of millions of rows into text for every
# subject; the text is built only for the results that are written (_CHANGED_SQL).
_FOLD_SQL = """
CREATE OR REPLACE TABLE new_results AS
WITH k AS (
    SELECT ind_no, model_no, hash(model, indicator) AS ind_key FROM indicator_ids
), c AS (
    SELECT t.model_no, t.subject_id, count(*) AS n, bit_xor(h) AS x, sum(h % 4294967291) AS s
    FROM (SELECT k.model_no, r.subject_id, hash(r.record_id, k.ind_key, r.points_milli) AS h
          FROM contribution_rows AS r JOIN k ON k.ind_no = r.ind_no) AS t
    GROUP BY t.model_no, t.subject_id
)
SELECT r.model, r.subject_id, r.score_milli, r.raw_grade, r.grade, r.override_seq,
       printf('%016x', hash(r.score_milli, r.raw_grade, r.grade, r.override_seq, c.n, c.x, c.s)) AS digest
FROM results AS r
JOIN model_ids AS m ON m.model = r.model
LEFT JOIN c ON c.model_no = m.model_no AND c.subject_id = r.subject_id
"""


def output_connection(compiled, evaluation):
    """A DuckDB connection holding an engine's output (`engine.Evaluation`) as write_changes
    reads it: the Arrow tables in place, with the integer forms evaluate.sql gives them."""
    from . import engine

    duck = engine.DuckDBEngine().connect()
    try:
        for name in ("results", "contributions"):
            duck.register(name, evaluation.table(name))
        for name, table in engine.compiled_tables(compiled).items():
            duck.register(name, table)
        for step in engine.steps():
            if step.name in ("model_ids", "indicator_ids"):
                engine.DuckDBEngine._run(duck, step, date.min, 0)
        duck.execute(
            "CREATE TEMP VIEW contribution_rows AS SELECT i.ind_no, c.subject_id, c.record_id, c.points_milli"
            " FROM contributions AS c JOIN indicator_ids AS i ON i.model = c.model AND i.indicator = c.indicator"
        )
    except BaseException:
        duck.close()
        raise
    return duck


# what differs between the new results and the current ones (one comparison of every pair):
# `had` a current result to close, `has` a new result to write
_DIFF_SQL = """
CREATE OR REPLACE TEMP TABLE result_diff AS
SELECT coalesce(n.model, cur.model) AS model, coalesce(n.subject_id, cur.subject_id) AS subject_id,
       cur.digest IS NOT NULL AS had, n.digest IS NOT NULL AS has
FROM new_results n FULL JOIN current_results cur ON n.model = cur.model AND n.subject_id = cur.subject_id
WHERE n.digest IS DISTINCT FROM cur.digest
"""

# the results to write (new or changed), with their contributions as JSON text
_CHANGED_SQL = """
WITH changed AS (
    SELECT n.* FROM new_results n JOIN result_diff d ON d.has AND n.model = d.model AND n.subject_id = d.subject_id
), texts AS (
    SELECT c.model, c.subject_id,
           '[' || string_agg('[' || c.record_id::VARCHAR || ',"' || c.indicator || '",' || c.points_milli::VARCHAR || ']', ','
                             ORDER BY c.record_id, c.indicator) || ']' AS contributions
    FROM contributions c JOIN changed USING (model, subject_id)
    GROUP BY c.model, c.subject_id
)
SELECT ch.subject_id, ch.model, ch.score_milli, ch.raw_grade, ch.grade, ch.override_seq,
       coalesce(t.contributions, '[]') AS contributions, ch.digest
FROM changed ch LEFT JOIN texts t USING (model, subject_id)
ORDER BY ch.model, ch.subject_id
"""


@dataclass
class Changes:
    results: int  # results the run produced
    written: int  # new or changed: inserted
    closed: int  # current results closed (changed, or no longer evaluated)


def current_digests(subject_ids: list[int] | None):
    """(model, subject_id, digest) of the current results in scope, as an Arrow table."""
    import pyarrow as pa

    schema = pa.schema([("model", pa.string()), ("subject_id", pa.int64()), ("digest", pa.string())])
    model_col, subject_col, digest_col = [], [], []
    sql = f'SELECT "model_code", "subject_id", "digest" FROM "{db.table(EvaluationResult)}" WHERE "valid_to" IS NULL'  # noqa: S608
    params: list = []
    if subject_ids is not None:
        sql += ' AND "subject_id" IN (SELECT value FROM json_each(%s))' if connection.vendor == "sqlite" else ' AND "subject_id" = ANY(%s)'
        params.append(db.db_json(subject_ids) if connection.vendor == "sqlite" else list(subject_ids))
    if connection.vendor == "postgresql":  # COPY read by Arrow's CSV reader: no Python object per row
        from .snapshot import _stream_copy

        return pa.Table.from_batches(list(_stream_copy(connection, sql, params, schema, CHUNK)), schema=schema)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while rows := cur.fetchmany(CHUNK):
            for m, s, d in rows:
                model_col.append(m)
                subject_col.append(s)
                digest_col.append(d)
    return pa.table({"model": pa.array(model_col, pa.string()), "subject_id": pa.array(subject_col, pa.int64()), "digest": pa.array(digest_col, pa.string())})


def fold(duck) -> None:
    """The new results with their digests, as table `new_results` (model, subject_id, score_milli,
    raw_grade, grade, override_seq, digest) in `duck`'s database (not a temporary table: other
    connections to it — `duck.cursor()` — read it too): what write_changes compares and the
    mirror keeps (mirror.save_digests)."""
    duck.execute(_FOLD_SQL)


def write_changes(*, run, duck, versions: dict[str, str], subject_ids: list[int] | None, at, current=None) -> Changes:
    """In the caller's transaction: close what changed, insert the new results.

    `duck` is a DuckDB connection holding tables `results` and `contributions` (the engine's
    output) and `new_results` (fold). `subject_ids` None means a full run: every current result
    of a model outside the output is closed; otherwise only those of the given subjects.
    `current`: the current results' digests in scope when the caller has them (the mirror's),
    else read here."""
    if current is None:
        current = current_digests(subject_ids)
    duck.register("current_results", current)  # read in place
    total = duck.execute("SELECT count(*) FROM new_results").fetchone()[0]
    duck.execute(_DIFF_SQL)
    # current results to close: changed, or not produced again
    to_close = duck.execute("SELECT model, subject_id FROM result_diff WHERE had").fetchall()
    if connection.vendor == "postgresql":
        # DuckDB writes the new rows' CSV while the database closes the old ones
        with _new_rows_csv(duck, run, versions, at) as csv:
            _close(to_close, at)
            written = _copy_csv(csv.result())
        return Changes(results=total, written=written, closed=len(to_close))
    _close(to_close, at)
    cursor = duck.execute(_CHANGED_SQL)
    stamp = db.db_datetime(at)
    written = 0
    while chunk := cursor.fetchmany(CHUNK):
        rows = [
            (run.pk, subject_id, model, versions[model], score, raw, grade, seq, contributions, digest, stamp, None)
            for subject_id, model, score, raw, grade, seq, contributions, digest in chunk
        ]
        db.insert_rows(EvaluationResult, RESULT_COLUMNS, rows)
        written += len(rows)
    return Changes(results=total, written=written, closed=len(to_close))


@contextmanager
def _new_rows_csv(duck, run, versions: dict[str, str], at):
    """PostgreSQL: the new rows (_CHANGED_SQL) written by DuckDB as CSV, in a thread of its own
    (the caller does not use `duck` meanwhile): yields a future of the file's path, removed on
    exit."""
    from concurrent.futures import ThreadPoolExecutor

    from django.conf import settings

    folder = settings.XINYONG["EVALUATION"]["WORK_DIR"]
    os.makedirs(folder, exist_ok=True)

    def write(path: str) -> str:
        duck.register("model_versions", _versions_table(versions))
        try:
            target = path.replace("'", "''")
            duck.execute(
                f"""COPY (SELECT {int(run.pk)} AS run_id, c.subject_id, c.model, v.version, c.score_milli, c.raw_grade, c.grade,
                                c.override_seq, c.contributions, c.digest, '{at.isoformat()}' AS valid_from, NULL AS valid_to
                         FROM ({_CHANGED_SQL}) AS c JOIN model_versions AS v ON v.model = c.model)
                    TO '{target}' (FORMAT csv, HEADER false)"""  # noqa: S608
            )
        finally:
            duck.unregister("model_versions")
        return path

    with tempfile.TemporaryDirectory(dir=folder) as tmp, ThreadPoolExecutor(max_workers=1, thread_name_prefix="evaluation-csv") as pool:
        future = pool.submit(write, os.path.join(tmp, "new.csv"))
        try:
            yield future
        finally:
            future.exception()  # (waits) the file is not removed under DuckDB's feet


def _copy_csv(path: str) -> int:
    """PostgreSQL: the rows of a CSV file of RESULT_COLUMNS sent with one COPY (no Python object
    per row). Returns the number of rows."""
    name = db.table(EvaluationResult)
    cols = ", ".join(f'"{c}"' for c in RESULT_COLUMNS)
    written = 0
    with connection.cursor() as cur:
        raw = cur.cursor
        with raw.copy(f'COPY "{name}" ({cols}) FROM STDIN WITH (FORMAT csv)') as copy, open(path, "rb") as fh:  # noqa: S608
            while block := fh.read(1 << 20):
                copy.write(block)
                written += block.count(b"\n")
        return raw.rowcount if raw.rowcount is not None and raw.rowcount >= 0 else written


def _versions_table(versions: dict[str, str]):
    import pyarrow as pa

    return pa.table({"model": pa.array(list(versions), pa.string()), "version": pa.array(list(versions.values()), pa.string())})


def _close(pairs: list[tuple[str, int]], at) -> None:
    if not pairs:
        return
    name = db.table(EvaluationResult)
    stamp = db.db_datetime(at)
    if connection.vendor == "postgresql" and len(pairs) > 1000:
        # one UPDATE joined to the pairs, COPYed into a temporary table
        with connection.cursor() as cur:
            cur.execute("CREATE TEMP TABLE IF NOT EXISTS eval_close (model_code varchar(60), subject_id bigint)")
            with cur.cursor.copy("COPY eval_close (model_code, subject_id) FROM STDIN") as copy:
                for pair in pairs:
                    copy.write_row(pair)
            cur.execute("ANALYZE eval_close")  # sizes for the planner: an index probe per pair, not a scan of every result
            cur.execute(
                f'UPDATE "{name}" AS r SET "valid_to" = %s FROM eval_close AS c'  # noqa: S608
                ' WHERE r."subject_id" = c.subject_id AND r."model_code" = c.model_code AND r."valid_to" IS NULL',
                [stamp],
            )
            cur.execute("DROP TABLE eval_close")
        return
    with connection.cursor() as cur:
        for start in range(0, len(pairs), CHUNK):
            part = pairs[start : start + CHUNK]
            cur.executemany(
                f'UPDATE "{name}" SET "valid_to" = %s WHERE "subject_id" = %s AND "model_code" = %s AND "valid_to" IS NULL',  # noqa: S608
                [(stamp, subject_id, model) for model, subject_id in part],
            )
