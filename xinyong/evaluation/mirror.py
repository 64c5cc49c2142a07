"""The snapshot mirror (评价快照镜像): the records' part of the evaluation snapshot kept between
full runs in a DuckDB file, brought up to date from the change feed instead of exported again.

At Jilin's scale the records' part of the snapshot — facts and attrs, some 45 million rows from
50 million records — takes minutes to export from PostgreSQL on the platform's machine, while
a day's changes touch a few thousand subjects. So a full run keeps them in a DuckDB database
file (`WORK_DIR/mirror-<database>.duckdb`) and, at its start, reads again only the records
that the change feed names since the mirror's position (a fact row is the record's own columns;
a record may have moved to another subject). Subjects change by paths that write no change
event: the mirror's are compared with the database's block by block (_sync_subjects). List
memberships, small, are exported by every run. An incremental run evaluates its subjects from
the mirror too, when it has one (read_scope): it reads them out of the mirror in a thread while it
reads the changed records from the database, and the mirror catches up while the results are
written.

The mirror also keeps the digests of the current results (what store.py compares new results
with), so a full run does not read millions of digests back from the database.

Trust, and when the mirror is built again from scratch (it is a cache: rebuilding is always
correct, only slower):
- the mirror records the token of the run that last brought it up to date; that run must exist
  in the database (a database restored from a backup taken before it, or a test's rolled-back
  transaction, has not got it);
- its feed position must not be ahead of the database's;
- what the models read (items, fields, kinds, disclosures) must be what it was built for;
- it is rebuilt when older than `MIRROR_MAX_AGE_DAYS` anyway (a bound on the harm of any change
  made without a change event), and when the feed names more than `MIRROR_REBUILD_SHARE` of the
  records (a rebuild is then cheaper);
- the digests are used only if the database's latest finished run is the one they were saved by.

Only one run at a time touches the mirror (services.run_lock).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from xinyong.records.models import ChangeEvent

from . import compiled as c
from .engine import DuckDBEngine, _quoted, arrow_schema, duck_columns
from .snapshot import Needs, evaluated_subjects, export_snapshot

log = logging.getLogger("xinyong.evaluation")
FORMAT = 3  # of the mirror's tables (3: rows in CLUSTERED_BY order): a mirror of another format is rebuilt
MIRRORED = ("facts", "attrs")  # brought up to date from the change feed (subjects: _sync_subjects)
STORED = ("subjects", "facts", "attrs")  # the snapshot tables the mirror holds
SUBJECT_BLOCK = 4096  # subject ids per block compared by fingerprint (PostgreSQL)
REBUILD_AT_LEAST = 10_000  # changed records: fewer are always cheaper to update than to rebuild
# the order a rebuild writes the rows in: an incremental run reads its subjects' facts, and then
# their attrs by record, out of tables of tens of millions of rows. In this order a subject's rows
# lie together, so most of the table's vectors hold none of them and DuckDB's scan skips them
# after reading the key column alone (10,000 subjects of 3.5M: 0.35-0.54 s against 0.62-0.80 s
# unordered). Rows added by the catch-up go at the end, unordered, until the next rebuild.
CLUSTERED_BY = {"facts": "subject_id, record_id", "attrs": "record_id"}


@dataclass(frozen=True)
class Refresh:
    path: Path  # the mirror's database file
    rebuilt: bool  # built from scratch (else: brought up to date)
    records: int  # records read again (all of them when rebuilt: then the subjects evaluated)
    feed_seq: int  # the change-feed position it is up to date with


def mirror_path() -> Path:
    """The mirror of this database (one per database: a test database, a production one)."""
    s = connection.settings_dict
    ident = f"{connection.vendor}|{s.get('HOST') or ''}|{s.get('PORT') or ''}|{s['NAME']}"
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        ident += f"|{os.getpid()}"  # one process's own database
    folder = Path(settings.XINYONG["EVALUATION"]["WORK_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"mirror-{hashlib.sha256(ident.encode()).hexdigest()[:16]}.duckdb"


def needs_key(needs: Needs) -> str:
    """What the mirror's rows depend on: a mirror built for other models' needs is rebuilt."""
    text = json.dumps({
        "format": FORMAT, "kinds": sorted(needs.kinds), "subject_kinds": sorted(needs.subject_kinds), "disclosures": sorted(needs.disclosures), "items": sorted(needs.items),
        "fields": {f: sorted(items) for f, items in needs.fields.items()},
    }, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_meta(path: Path) -> dict | None:
    """The mirror's bookkeeping, or None when there is no usable mirror (missing, damaged)."""
    import duckdb

    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())
    except duckdb.Error:
        return None
    finally:
        con.close()


def _usable(meta: dict | None, key: str, top: int) -> str | None:
    """Why the mirror cannot be brought up to date (None: it can)."""
    from .models import EvaluationRun

    if meta is None:
        return "no mirror"
    if meta.get("needs") != key:
        return "the models read other data"
    if int(meta.get("feed_seq", -1)) > top:
        return "ahead of the database's change feed"
    built = meta.get("built_at")
    age_days = settings.XINYONG["EVALUATION"]["MIRROR_MAX_AGE_DAYS"]
    if not built or (timezone.now() - datetime.fromisoformat(built)).total_seconds() > age_days * 86400:
        return "older than its longest life"
    if not EvaluationRun.objects.filter(token=meta.get("token", "")).exists():
        return "the run that last updated it is not in this database"
    return None


def refresh(*, compiled: c.Compiled, as_of: date, run, work: Path) -> Refresh:
    """Bring the mirror up to date with the database, or build it (a full run); `run` is the run
    doing so (its token marks the mirror). `work` is a scratch folder. (An incremental run reads
    its subjects with read_scope instead.)"""
    import duckdb

    needs = Needs.of(compiled)
    key = needs_key(needs)
    path = mirror_path()
    top = ChangeEvent.objects.aggregate(top=Max("seq"))["top"] or 0  # before reading: later changes come next time
    meta = read_meta(path)
    why = _usable(meta, key, top)
    if why is None:
        since = int(meta["feed_seq"])
        record_ids = _changed(since, top)
        why = _too_many(meta, record_ids)
        if why is None:
            try:
                _update(path, compiled=compiled, as_of=as_of, record_ids=record_ids, top=top, run=run, work=work)
                _sync_subjects(path, needs, work)
                return Refresh(path, False, len(record_ids), top)
            except duckdb.Error as exc:  # damaged inside (its bookkeeping readable): rebuilt
                why = f"its update failed: {exc}"
    log.info("evaluation mirror rebuilt: %s", why)
    counts = _rebuild(path, compiled=compiled, as_of=as_of, key=key, top=top, run=run, work=work)
    _sync_subjects(path, needs, work)
    return Refresh(path, True, counts, top)


def _too_many(meta: dict, record_ids: list[int]) -> str | None:
    """Why the mirror is better built again than brought up to date (None: it is not)."""
    share = settings.XINYONG["EVALUATION"]["MIRROR_REBUILD_SHARE"]
    total = int(meta.get("facts") or 0)
    if len(record_ids) > max(share * total, REBUILD_AT_LEAST):
        return f"{len(record_ids)} records changed"
    return None


def _changed(since: int, top: int) -> list[int]:
    """The records the feed names in (since, top]: added, corrected, withdrawn, repaired, moved
    to another subject. (A fact row is the record's own columns: only the records that changed
    are read again — the latest written, in the database's cache — not their subjects' others.)"""
    events = ChangeEvent.objects.filter(seq__gt=since, seq__lte=top, entity="record")
    return sorted(set(events.values_list("entity_id", flat=True).distinct()))


def _create(con) -> None:
    for name in MIRRORED:
        con.execute(f"CREATE TABLE {name} ({duck_columns(c.SNAPSHOT_TABLES[name])})")
    con.execute(f"CREATE TABLE subjects ({duck_columns(c.SubjectRow)})")
    con.execute("CREATE TABLE subject_blocks (block BIGINT, n BIGINT, fingerprint VARCHAR)")
    con.execute("CREATE TABLE digests (model VARCHAR, subject_id BIGINT, digest VARCHAR)")
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")


def _set_meta(con, values: dict) -> None:
    for k, v in values.items():
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [k, None if v is None else str(v)])


def _parquet(folder: Path, name: str) -> str:
    return _quoted(folder / f"{name}.parquet")


def _connect(path: Path | str, *, threads: int | None = None):
    """The mirror's database (or ":memory:"), with the evaluation's DuckDB settings (threads,
    memory); `threads` for fewer than those."""
    cfg = settings.XINYONG["EVALUATION"]
    return DuckDBEngine(threads=threads or cfg["THREADS"], memory_limit=cfg["MEMORY_LIMIT"] or None).connect(path)


def _rebuild(path: Path, *, compiled, as_of: date, key: str, top: int, run, work: Path) -> int:
    """Export every subject's records and build the mirror beside the old one, then put it in
    its place (a failure leaves the old file, which is then rebuilt next time)."""
    folder = work / "mirror-export"
    counts = export_snapshot(folder, compiled=compiled, as_of=as_of, tables=("facts",))
    tmp = path.with_suffix(".building")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    con = _connect(tmp)
    try:
        _create(con)
        for name in MIRRORED:
            con.execute(f"INSERT INTO {name} SELECT * FROM read_parquet('{_parquet(folder, name)}') ORDER BY {CLUSTERED_BY[name]}")  # noqa: S608
        digests_token = _carry_digests(con, path)
        _set_meta(con, {"needs": key, "feed_seq": top, "token": run.token, "built_at": timezone.now().isoformat(),
                        "facts": counts["facts"], "digests_token": digests_token})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, path)
    with contextlib.suppress(FileNotFoundError):
        path.with_suffix(".duckdb.wal").unlink()
    shutil.rmtree(folder, ignore_errors=True)
    return counts["facts"]


def _carry_digests(con, old: Path) -> str | None:
    """The old mirror's digests into the new one (they do not depend on the records' rows), if
    it can be read; returns their token."""
    meta = read_meta(old)
    if not meta or not meta.get("digests_token"):
        return None
    try:
        con.execute(f"ATTACH '{_quoted(old)}' AS old (READ_ONLY)")
        con.execute("INSERT INTO digests SELECT model, subject_id, digest FROM old.digests")
        con.execute("DETACH old")
    except Exception:  # noqa: BLE001 (damaged: the next run reads the database's digests)
        con.execute("DELETE FROM digests")
        return None
    return meta["digests_token"]


def _update(path: Path, *, compiled, as_of: date, record_ids: list[int], top: int, run, work: Path) -> None:
    """Replace the changed records' rows in one DuckDB transaction."""

    folder = work / "mirror-delta"
    if record_ids:
        export_snapshot(folder, compiled=compiled, as_of=as_of, record_ids=record_ids, tables=("facts",))
    con = _connect(path)
    try:
        con.execute("BEGIN")
        _replace_records(con, record_ids, folder, top=top, run=run)
        con.execute("COMMIT")
    finally:
        con.close()
    shutil.rmtree(folder, ignore_errors=True)


def _replace_records(con, record_ids: list[int], folder: Path | None, *, top: int, run) -> None:
    """In the caller's DuckDB transaction: the rows of `record_ids` replaced by those exported
    to `folder` (their facts and attrs as the database has them now; none for a withdrawn
    record), and the mirror marked up to date with feed position `top` by `run`."""
    import pyarrow as pa

    if record_ids:
        con.register("changed_records", pa.table({"id": pa.array(record_ids, pa.int64())}))
        con.execute("DELETE FROM attrs WHERE record_id IN (SELECT id FROM changed_records)")
        con.execute("DELETE FROM facts WHERE record_id IN (SELECT id FROM changed_records)")
        con.unregister("changed_records")
        for name in MIRRORED:
            con.execute(f"INSERT INTO {name} SELECT * FROM read_parquet('{_parquet(folder, name)}')")  # noqa: S608
    _set_meta(con, {"feed_seq": top, "token": run.token})


# ----------------------------------------------------------------------------- an incremental run
def read_scope(*, compiled: c.Compiled, subject_ids: list[int], latest_token: str | None) -> ScopedRead | None:
    """Start reading an incremental run's subjects out of the mirror (ScopedRead), when the
    mirror can be trusted and the change feed names few enough records since its position;
    None otherwise (the run then exports its subjects' records: a mirror is never built by an
    incremental run). `latest_token`: the database's latest finished run, whose digests the
    mirror may hold."""
    import duckdb

    needs = Needs.of(compiled)
    path = mirror_path()
    top = ChangeEvent.objects.aggregate(top=Max("seq"))["top"] or 0  # before reading: later changes come next time
    if not path.exists():
        log.info("evaluation mirror not used: no mirror")
        return None
    con = _connect(":memory:")
    try:
        con.execute(f"ATTACH '{_quoted(path)}' AS mirror (READ_ONLY)")
        meta = dict(con.execute("SELECT key, value FROM mirror.meta").fetchall())
    except duckdb.Error as exc:
        con.close()
        log.info("evaluation mirror not used: %s", exc)
        return None
    why = _usable(meta, needs_key(needs), top)
    record_ids: list[int] = []
    if why is None:
        record_ids = _changed(int(meta["feed_seq"]), top)
        why = _too_many(meta, record_ids)
    if why is not None:
        con.close()
        log.info("evaluation mirror not used: %s", why)
        return None
    digests = latest_token is not None and meta.get("digests_token") == latest_token
    return ScopedRead(con, top=top, record_ids=record_ids, subject_ids=subject_ids, digests=digests)


class ScopedRead:
    """An incremental run's subjects read out of the mirror by a thread of its own, while the run
    reads the rest from the database: the subjects and their list memberships, and the records
    the change feed names since the mirror's position (`record_ids`, up to `top`). The mirror is
    not brought up to date first: the run takes those records from the database in place of the
    mirror's rows (tables), and the mirror catches up afterwards, while the results are written
    (save_digests with `scoped`). Also the subjects' current digests, when the mirror has those
    of the latest finished run (else `digests` is None)."""

    def __init__(self, con, *, top: int, record_ids: list[int], subject_ids: list[int], digests: bool):
        self.top, self.record_ids = top, record_ids
        self.digests = None
        self.delta: Path | None = None  # where the run exported the changed records (tables)
        self._out: tuple | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, args=(con, subject_ids, digests), name="evaluation-mirror-read", daemon=True)
        self._thread.start()

    def _read(self, con, subject_ids: list[int], digests: bool) -> None:
        import pyarrow as pa

        try:
            con.register("scope_ids", pa.table({"id": pa.array(subject_ids, pa.int64())}))
            con.register("changed_records", pa.table({"id": pa.array(self.record_ids, pa.int64())}))
            facts = con.sql("SELECT * FROM mirror.facts WHERE subject_id IN (SELECT id FROM scope_ids)"
                            " AND record_id NOT IN (SELECT id FROM changed_records)").to_arrow_table()
            con.register("scope_facts", facts)
            attrs = con.sql("SELECT * FROM mirror.attrs WHERE record_id IN (SELECT record_id FROM scope_facts)").to_arrow_table()
            current = None
            if digests:
                current = con.sql("SELECT model, subject_id, digest FROM mirror.digests WHERE subject_id IN (SELECT id FROM scope_ids)").to_arrow_table()
            self._out = (facts, attrs, current)
        except Exception as exc:  # noqa: BLE001 (damaged inside: the run exports its subjects instead)
            self._error = exc
        finally:
            con.close()

    def wait(self) -> None:
        """Until the read is over (its connection to the mirror closed)."""
        self._thread.join()

    def tables(self, subject_ids: list[int], delta: Path | None) -> dict | None:
        """Wait for the read. The subjects' facts and attrs ("facts", "attrs": Arrow tables), the
        changed records' as exported from the database to `delta` (export_snapshot with
        `record_ids`; None when the feed named none) in place of the mirror's — or None when the
        mirror could not be read (then nothing is saved to it either)."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        self.wait()
        if self._error is not None:
            log.info("evaluation mirror not used: %s", self._error)
            return None
        facts, attrs, self.digests = self._out
        fact_schema, attr_schema = arrow_schema(c.FactRow), arrow_schema(c.AttrRow)
        facts, attrs = facts.cast(fact_schema), attrs.cast(attr_schema)
        if delta is not None:
            self.delta = delta
            new_facts = pq.read_table(delta / "facts.parquet", schema=fact_schema)
            new_facts = new_facts.filter(pc.is_in(new_facts["subject_id"], value_set=pa.array(subject_ids, pa.int64())))
            new_attrs = pq.read_table(delta / "attrs.parquet", schema=attr_schema)
            new_attrs = new_attrs.filter(pc.is_in(new_attrs["record_id"], value_set=new_facts["record_id"].combine_chunks()))
            facts, attrs = pa.concat_tables([facts, new_facts]), pa.concat_tables([attrs, new_attrs])
        return {"facts": facts, "attrs": attrs}


# ----------------------------------------------------------------------------- subjects
def _sync_subjects(path: Path, needs: Needs, work: Path) -> int:
    """The mirror's subjects made the database's. Subjects change by paths that write no change
    event (a new subject, a registration's region, the kind it is evaluated as when it registers
    as a credit service agency or exits), so they are compared by content: on
    PostgreSQL the database gives a fingerprint of each block of SUBJECT_BLOCK ids (count and
    the sum of a 64-bit hash of each row's columns: one aggregate the server runs in parallel),
    and only the blocks whose fingerprint differs from the mirror's are read; elsewhere every
    subject is read. Returns the number of subjects read."""
    import pyarrow as pa
    from django.db import connection as db

    from .snapshot import _stream

    schema = arrow_schema(c.SubjectRow)
    qs = evaluated_subjects(needs).order_by().values_list("id", "evaluated_as", "region", "industry")
    con = _connect(path)
    try:
        blocks = None
        if db.vendor == "postgresql":
            rows_sql, params = qs.query.sql_with_params()
            with db.cursor() as cur:
                cur.execute(
                    f"SELECT id / {SUBJECT_BLOCK}, count(*), sum(hashtextextended(concat_ws('|', kind, region, industry), id))::text"  # noqa: S608
                    f" FROM ({rows_sql}) AS s (id, kind, region, industry) GROUP BY 1",
                    params,
                )
                rows = cur.fetchall()
            fresh = pa.table({
                "block": pa.array([r[0] for r in rows], pa.int64()), "n": pa.array([r[1] for r in rows], pa.int64()),
                "fingerprint": pa.array([r[2] for r in rows], pa.string()),
            })
            con.register("fresh", fresh)
            blocks = [r[0] for r in con.execute(
                """SELECT coalesce(f.block, o.block) FROM fresh f FULL JOIN subject_blocks o ON o.block = f.block
                   WHERE f.block IS NULL OR o.block IS NULL OR f.n <> o.n OR f.fingerprint <> o.fingerprint"""
            ).fetchall()]
            if not blocks:
                return 0
            qs = qs.filter(_id_ranges(blocks))
        con.execute("BEGIN")
        if blocks is None:
            con.execute("DELETE FROM subjects")
        else:
            con.register("stale", pa.table({"block": pa.array(blocks, pa.int64())}))
            con.execute(f"DELETE FROM subjects WHERE subject_id // {SUBJECT_BLOCK} IN (SELECT block FROM stale)")  # noqa: S608
            con.execute("DELETE FROM subject_blocks")
            con.execute("INSERT INTO subject_blocks SELECT * FROM fresh")
        n = 0
        for batch in _stream(qs, schema, "default", 200_000):
            con.register("batch", pa.Table.from_batches([batch]))
            con.execute("INSERT INTO subjects SELECT * FROM batch")
            con.unregister("batch")
            n += batch.num_rows
        con.execute("COMMIT")
        return n
    finally:
        con.close()


def _id_ranges(blocks: list[int]) -> Q:
    """The ids of the given blocks, as few id ranges as they make (consecutive blocks merged)."""
    q = Q(pk__in=[])
    start = prev = None
    for b in [*sorted(blocks), None]:
        if start is not None and (b is None or b != prev + 1):
            q |= Q(id__gte=start * SUBJECT_BLOCK, id__lt=(prev + 1) * SUBJECT_BLOCK)
            start = None
        if b is not None and start is None:
            start = b
        prev = b
    return q


# ----------------------------------------------------------------------------- current digests
def cached_digests(path: Path):
    """The current results' digests saved by the database's latest finished run, as an Arrow
    table (model, subject_id, digest) — or None when the mirror has not got them. (An
    incremental run reads its subjects' with read_scope.)"""
    import duckdb

    from .models import EvaluationRun

    meta = read_meta(path)
    latest = EvaluationRun.objects.filter(status="done").order_by("-id").values_list("token", flat=True).first()
    if meta is None or latest is None or meta.get("digests_token") != latest:
        return None
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql("SELECT model, subject_id, digest FROM digests").to_arrow_table()
    finally:
        con.close()


def save_digests(path: Path, *, rows, run, subject_ids: list[int] | None, previous_token: str | None,
                 scoped: ScopedRead | None = None) -> None:
    """The mirror's digests become `run`'s results' (`rows`: a function giving an Arrow table of
    model, subject_id, digest — called only when they are saved). A full run replaces them all;
    an incremental run patches those of its subjects, if the mirror's were those of the run
    before it (`previous_token`), else they stay unusable. They are marked with the run's token
    and trusted only while it is the database's latest finished run (cached_digests): so they
    may be saved while the run's results are still being written — if that fails, the run is not
    finished and they are not used. With `scoped` (an incremental run that read the mirror:
    read_scope), the mirror first catches up with the records the run read from the database, in
    the same transaction. Touches no Django database connection (it runs in a thread of its own:
    services.py). Never raises: a mirror that cannot be updated is brought up to date, or
    rebuilt, next time."""
    try:
        meta = read_meta(path)
        if meta is None:
            return
        incremental = subject_ids is not None
        put = not incremental or (previous_token is not None and meta.get("digests_token") == previous_token)
        if scoped is not None and int(meta.get("feed_seq", -1)) > scoped.top:
            scoped = None  # (cannot happen under the run lock) never moved back
        if not put and scoped is None:
            return
        # an incremental run's in one thread: it runs beside the database's write, which the
        # run waits for (a full run's, millions of rows, on all)
        con = _connect(path, threads=1 if incremental else None)
        try:
            con.execute("BEGIN")
            if scoped is not None:
                _replace_records(con, scoped.record_ids, scoped.delta, top=scoped.top, run=run)
            if put:
                con.register("rows", rows())
                if incremental:
                    import pyarrow as pa

                    con.register("scope", pa.table({"id": pa.array(subject_ids, pa.int64())}))
                    con.execute("DELETE FROM digests WHERE subject_id IN (SELECT id FROM scope)")
                else:
                    con.execute("DELETE FROM digests")
                con.execute("INSERT INTO digests SELECT model, subject_id, digest FROM rows")
                _set_meta(con, {"digests_token": run.token})
            con.execute("COMMIT")
        finally:
            con.close()
    except Exception:  # noqa: BLE001 (a cache: the next run reads the database instead)
        log.exception("evaluation mirror: digests not saved")
