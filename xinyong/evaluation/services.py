"""Evaluation runs: export a snapshot, evaluate it on an engine, write what changed.

    evaluation_run(kind="full", actor=...)                       # every subject
    evaluation_run(kind="incremental", subject_ids=[...], ...)   # the subjects whose records changed

The run row is written first (so a failure is on record); the results are written in one
transaction at the end: a run that fails half-way — in the export, the engine or the write —
leaves the previous results in force and the run marked failed with its reason.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from xinyong.common.errors import Conflict
from xinyong.records.feed import feed_advance, feed_pending
from xinyong.records.models import ChangeEvent
from xinyong.security.services import Actor, audit_log

from . import store
from .compile import compile_models
from .loader import get_models
from .models import EvaluationRun

log = logging.getLogger("xinyong.evaluation")
FEED_CONSUMER = "evaluation"
_LOCK_KEY = 7_366_2024  # the advisory lock of evaluation runs (any constant unlike the feed's)


def _engine(name: str):
    from . import engine

    if name == "duckdb":
        cfg = settings.XINYONG["EVALUATION"]
        return engine.DuckDBEngine(threads=cfg["THREADS"], memory_limit=cfg["MEMORY_LIMIT"] or None)
    if name == "reference":
        return engine.ReferenceEngine()
    raise ValueError(f"unknown engine {name!r}")


def _work_dir() -> Path:
    root = Path(settings.XINYONG["EVALUATION"]["WORK_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="run-", dir=root))


def evaluation_run(*, kind: str = "full", actor: Actor, subject_ids: list[int] | None = None, as_of: date | None = None, engine: str = "duckdb") -> EvaluationRun:
    """Evaluate and store; returns the finished run (status done), or raises after marking it failed."""
    if kind not in ("full", "incremental"):
        raise ValueError(kind)
    if kind == "incremental" and subject_ids is None:
        raise ValueError("an incremental run needs subject_ids")
    if kind == "full":
        subject_ids = None
    with run_lock():
        # a run still marked running holds no lock: its process died (killed, out of memory)
        EvaluationRun.objects.filter(status="running").update(status="failed", error="评价进程中断（未正常结束）", finished_at=timezone.now())
        return _evaluation_run(kind=kind, actor=actor, subject_ids=subject_ids, as_of=as_of, engine=engine)


@contextmanager
def run_lock():
    """One run at a time, held by the running process and released if it dies (a status flag
    would not be): a PostgreSQL advisory lock, or an exclusive lock on a file beside the SQLite
    database. A second run meanwhile is refused (409)."""
    busy = Conflict("已有评价正在进行，请待其完成后再发起")
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [_LOCK_KEY])
            if not cur.fetchone()[0]:
                raise busy
        try:
            yield
        finally:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", [_LOCK_KEY])
        return
    database = str(connection.settings_dict["NAME"])
    if connection.is_in_memory_db():  # one process's own database (the tests'): its own lock
        database += f"#{os.getpid()}"
    name = hashlib.sha256(database.encode()).hexdigest()[:16]
    path = Path(settings.VAR_DIR) / f"evaluation-{name}.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _evaluation_run(*, kind: str, actor: Actor, subject_ids: list[int] | None, as_of: date | None, engine: str) -> EvaluationRun:
    from . import mirror, snapshot
    from .engine import StoredSnapshot, read_snapshot_table

    models = get_models()
    compiled = compile_models(models)
    versions = {m.model: m.version for m in compiled.models}
    day = as_of or timezone.localdate()
    top = ChangeEvent.objects.aggregate(top=Max("seq"))["top"] or 0
    at = ChangeEvent.objects.filter(seq=top).values_list("at", flat=True).first()
    run = EvaluationRun.objects.create(kind=kind, engine=engine, as_of=day, feed_seq=top, data_as_of=at, model_versions=versions, actor_label=actor.label)
    folder: Path | None = None
    scoped = None
    timings: dict[str, float] = {}
    detail: dict = {"kind": kind}
    use_mirror = engine == "duckdb" and settings.XINYONG["EVALUATION"]["MIRROR"]
    previous = EvaluationRun.objects.filter(status="done").exclude(pk=run.pk).order_by("-id").values_list("token", flat=True).first()
    try:
        folder = _work_dir()
        refreshed = None
        if use_mirror and subject_ids is not None:
            # an incremental run: its subjects' records read out of the mirror by a thread while
            # the database gives their subjects, list memberships and the records changed since
            scoped = mirror.read_scope(compiled=compiled, subject_ids=subject_ids, latest_token=previous)
        t = time.perf_counter()
        if use_mirror and subject_ids is None:
            exported = ("members",)  # the rest is the mirror's
        elif scoped is not None:
            exported = ("subjects", "members")  # the records from the mirror
        else:
            exported = ("subjects", "members", "facts")
        snapshot.export_snapshot(folder / "snapshot", compiled=compiled, as_of=day, subject_ids=subject_ids, tables=exported)
        timings["export"] = round(time.perf_counter() - t, 3)
        source = folder / "snapshot"
        if use_mirror and subject_ids is None:
            # a full run: the mirror brought up to date from the change feed (built when it has
            # none it can trust), list memberships exported
            t = time.perf_counter()
            refreshed = mirror.refresh(compiled=compiled, as_of=day, run=run, work=folder)
            timings["mirror"] = round(time.perf_counter() - t, 3)
            detail["mirror"] = {"rebuilt": refreshed.rebuilt, "records": refreshed.records, "feed_seq": refreshed.feed_seq}
            source = StoredSnapshot(folder / "snapshot", refreshed.path, mirror.STORED)
        elif scoped is not None:
            t = time.perf_counter()
            delta = None
            if scoped.record_ids:
                delta = folder / "delta"
                snapshot.export_snapshot(delta, compiled=compiled, as_of=day, record_ids=scoped.record_ids, tables=("facts",))
            records = scoped.tables(subject_ids, delta)
            if records is None:  # the mirror could not be read: its records exported instead
                scoped = None
                snapshot.export_snapshot(folder / "snapshot", compiled=compiled, as_of=day, subject_ids=subject_ids, tables=("facts",))
            else:
                detail["mirror"] = {"rebuilt": False, "records": len(scoped.record_ids), "feed_seq": scoped.top}
                source = {**{name: read_snapshot_table(folder / "snapshot", name) for name in ("subjects", "members")}, **records}
            timings["mirror"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        # DuckDB's output stays in its connection, read in place below; the other engines' is
        # written to the run's folder and read through DuckDB
        if engine == "duckdb":
            duck = _engine(engine).run(compiled, source, day)
        else:
            duck = store.output_connection(compiled, _engine(engine).evaluate(compiled, source, day, out_dir=folder / "out"))
        timings["evaluate"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        try:
            now = timezone.now()
            current = mirror.cached_digests(refreshed.path) if refreshed is not None else scoped.digests if scoped is not None else None
            store.fold(duck)
            saver = None
            if engine == "duckdb":
                # the mirror's digests follow, saved by a thread while the database writes (they
                # are trusted only once this run is the latest finished: mirror.save_digests)
                duck.execute("DETACH DATABASE IF EXISTS mirror")  # the engine read it (its output is in tables): opened for writing
                reader = duck.cursor()  # the thread's own connection to the output (new_results)

                def digests(reader=reader):
                    return reader.sql("SELECT model, subject_id, digest FROM new_results").to_arrow_table()

                saver = threading.Thread(target=mirror.save_digests, args=(mirror.mirror_path(),), name="evaluation-digests",
                                         kwargs={"rows": digests, "run": run, "subject_ids": subject_ids, "previous_token": previous, "scoped": scoped})
                saver.start()
            try:
                with transaction.atomic():
                    changes = store.write_changes(run=run, duck=duck, versions=versions, subject_ids=subject_ids, at=now, current=current)
                    timings["write"] = round(time.perf_counter() - t, 3)
                    run.status, run.finished_at, run.timings = "done", now, timings
                    run.results, run.changed = changes.results, changes.written
                    run.subjects = len(subject_ids) if subject_ids is not None else changes.results
                    run.save()
                    audit_log(actor=actor, action="evaluation.run", object_type="evaluation_run", object_id=run.pk, detail={**detail, "results": changes.results, "written": changes.written, "closed": changes.closed})
            finally:
                if saver is not None:
                    saver.join()
                    reader.close()
        finally:
            duck.close()
    except Exception as exc:
        run.status, run.finished_at, run.timings = "failed", timezone.now(), timings
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.save(update_fields=["status", "finished_at", "timings", "error"])
        log.exception("evaluation run %s failed", run.pk)
        raise
    finally:
        if scoped is not None:
            scoped.wait()  # (a failure before its tables were taken) its read of the mirror over
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return run


def evaluation_update(*, actor: Actor | None = None, day: date | None = None, limit: int = 200_000) -> dict:
    """Re-evaluate the subjects whose records or list memberships changed since the last update
    (the change feed, consumer "evaluation"); on a fresh database (no result yet) a full run."""
    actor = actor or Actor.system("评价更新")
    if not EvaluationRun.objects.filter(status="done").exists():
        top = ChangeEvent.objects.aggregate(top=Max("seq"))["top"] or 0
        run = evaluation_run(kind="full", actor=actor, as_of=day)
        if top:
            feed_advance(consumer=FEED_CONSUMER, last=ChangeEvent(seq=run.feed_seq))
        return {"kind": "full", "run": run.pk, "results": run.results, "changed": run.changed}
    events = feed_pending(consumer=FEED_CONSUMER, limit=limit)
    if not events:
        return {"kind": "incremental", "run": None, "subjects": 0}
    subject_ids = sorted({e.subject_id for e in events})
    run = evaluation_run(kind="incremental", actor=actor, subject_ids=subject_ids, as_of=day)
    feed_advance(consumer=FEED_CONSUMER, last=events[-1])
    return {"kind": "incremental", "run": run.pk, "subjects": len(subject_ids), "changed": run.changed}
