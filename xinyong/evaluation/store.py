"""Writing a run's results: only what changed, in one transaction.

The engines give results and contributions as Arrow tables (columns of `compiled.ResultRow` and
`compiled.ContributionRow`). Here DuckDB folds each subject's contributions into the JSON kept
with its result, digests the whole result, and compares it with the subject's current result
under that model (exported from the database by digest only); then the database closes the
current results that changed or left the run's scope and inserts the new ones. Unchanged
subjects cost one digest comparison and no write.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from xinyong.common import db

from .models import EvaluationResult

CHUNK = 50_000
RESULT_COLUMNS = [
    "run_id", "subject_id", "model_code", "model_version", "score_milli", "raw_grade", "grade",
    "override_seq", "contributions", "digest", "valid_from", "valid_to",
]

# the new results with their contributions as JSON text and a digest of the whole
_FOLD_SQL = """
CREATE OR REPLACE TEMP TABLE new_results AS
WITH c AS (
    SELECT model, subject_id,
           '[' || string_agg('[' || record_id::VARCHAR || ',"' || indicator || '",' || points_milli::VARCHAR || ']', ','
                             ORDER BY record_id, indicator) || ']' AS contributions
    FROM contributions
    GROUP BY model, subject_id
)
SELECT r.model, r.subject_id, r.score_milli, r.raw_grade, r.grade, r.override_seq,
       coalesce(c.contributions, '[]') AS contributions,
       md5(r.score_milli::VARCHAR || '|' || r.raw_grade || '|' || r.grade || '|'
           || coalesce(r.override_seq::VARCHAR, '') || '|' || coalesce(c.contributions, '[]')) AS digest
FROM results r LEFT JOIN c USING (model, subject_id)
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


def write_changes(*, run, duck, versions: dict[str, str], subject_ids: list[int] | None, at) -> Changes:
    """In the caller's transaction: close what changed, insert the new results.

    `duck` is a DuckDB connection holding tables `results` and `contributions` (the engine's
    output). `subject_ids` None means a full run: every current result of a model outside the
    output is closed; otherwise only those of the given subjects."""
    duck.execute(_FOLD_SQL)
    current = current_digests(subject_ids)  # noqa: F841 (read by DuckDB by name)
    duck.execute("CREATE OR REPLACE TEMP TABLE current_results AS SELECT * FROM current")
    total = duck.execute("SELECT count(*) FROM new_results").fetchone()[0]
    # current results to close: changed, or not produced again
    to_close = duck.execute(
        """
        SELECT cur.model, cur.subject_id FROM current_results cur
        LEFT JOIN new_results n ON n.model = cur.model AND n.subject_id = cur.subject_id
        WHERE n.digest IS NULL OR n.digest <> cur.digest
        """
    ).fetchall()
    _close(to_close, at)
    changed_sql = """
        SELECT n.subject_id, n.model, n.score_milli, n.raw_grade, n.grade, n.override_seq, n.contributions, n.digest
        FROM new_results n
        LEFT JOIN current_results cur ON n.model = cur.model AND n.subject_id = cur.subject_id
        WHERE cur.digest IS NULL OR cur.digest <> n.digest
        ORDER BY n.model, n.subject_id
        """
    if connection.vendor == "postgresql":
        return Changes(results=total, written=_copy_new(duck, changed_sql, run, versions, at), closed=len(to_close))
    cursor = duck.execute(changed_sql)
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


def _copy_new(duck, changed_sql: str, run, versions: dict[str, str], at) -> int:
    """PostgreSQL: the new rows written by DuckDB as CSV and sent with one COPY (no Python object
    per row). Returns the number of rows."""
    import os
    import tempfile

    from django.conf import settings

    name = db.table(EvaluationResult)
    cols = ", ".join(f'"{c}"' for c in RESULT_COLUMNS)
    folder = settings.XINYONG["EVALUATION"]["WORK_DIR"]
    os.makedirs(folder, exist_ok=True)
    duck.register("model_versions", _versions_table(versions))
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = os.path.join(tmp, "new.csv")
        csv_path = path.replace("'", "''")
        duck.execute(
            f"""COPY (SELECT {int(run.pk)} AS run_id, c.subject_id, c.model, v.version, c.score_milli, c.raw_grade, c.grade,
                            c.override_seq, c.contributions, c.digest, '{at.isoformat()}' AS valid_from, NULL AS valid_to
                     FROM ({changed_sql}) AS c JOIN model_versions AS v ON v.model = c.model)
                TO '{csv_path}' (FORMAT csv, HEADER false)"""  # noqa: S608
        )
        written = 0
        with connection.cursor() as cur:
            raw = cur.cursor
            with raw.copy(f'COPY "{name}" ({cols}) FROM STDIN WITH (FORMAT csv)') as copy, open(path, "rb") as fh:  # noqa: S608
                while block := fh.read(1 << 20):
                    copy.write(block)
                    written += block.count(b"\n")
            written = raw.rowcount if raw.rowcount is not None and raw.rowcount >= 0 else written
    duck.unregister("model_versions")
    return written


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
