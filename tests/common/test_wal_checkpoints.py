"""SQLite: a server process copies the WAL into the database file from a thread of its own
(`common.db.WalCheckpointer`), so that no request's commit pays for the checkpoint; commands and
the worker keep the connections' own threshold (PRAGMA wal_autocheckpoint, settings)."""

from __future__ import annotations

import sqlite3
import time

from xinyong.common.db import WalCheckpointer, wal_checkpoint


def _writer(path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA wal_autocheckpoint=0")  # as a request would find it: never checkpoints itself
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    return con


def test_rows_written_without_checkpointing_reach_the_database_file_from_the_thread(tmp_path):
    path = tmp_path / "x.sqlite3"
    con = _writer(path)
    size = path.stat().st_size
    con.executemany("INSERT INTO t (v) VALUES (?)", [("x" * 500,) for _ in range(2000)])
    assert path.stat().st_size == size  # only in the WAL so far
    checkpointer = WalCheckpointer(str(path), interval=0.05)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 10
        # the file grows page by page while the thread copies: wait for all of them, not the first
        while path.stat().st_size <= size + 500 * 1000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size > size + 500 * 1000  # the pages are in the database file
    finally:
        checkpointer.stop()
        checkpointer.join(5)
    assert not checkpointer.is_alive()
    con.close()


def test_a_checkpoint_leaves_the_rows_readable_and_the_wal_copied(tmp_path):
    path = tmp_path / "y.sqlite3"
    con = _writer(path)
    con.executemany("INSERT INTO t (v) VALUES (?)", [(str(n),) for n in range(300)])
    busy, frames, copied = wal_checkpoint(str(path))
    assert busy == 0 and frames > 0 and copied == frames
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM t").fetchone() == (300,)
    con.close()

