"""Django's SQLite backend, with the writers of a database file queued by the kernel.

SQLite lets one connection write at a time; the others wait in its busy handler, which polls the
lock with growing sleeps (1, 2, 5, 10, 15, 20, 25 ms... up to the timeout). When the server
processes commit at once (the check API: every check writes its audit rows), a writer that could
have started 0.2 ms after the previous one's commit sleeps 10 ms or more: at 8 connections, the
check's p99 was twice its p95 (docs/benchmarks.md). Here a transaction that will write
(BEGIN IMMEDIATE or EXCLUSIVE, settings: "transaction_mode") first takes an exclusive flock on
`<database>.writelock`, kept until its COMMIT or ROLLBACK: the waiting writers block in the
kernel and the next one is woken at the release. A writer then waits as long as the transaction
before it lasts, where the busy handler gave up after "timeout" seconds (database is locked).
Connections that do not use this backend (sqlite3 from the command line, the WAL checkpoint
thread) still meet SQLite's own lock and busy handler, as before. In-memory databases: as Django's.
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock = None  # the open lock file while this connection's transaction holds it

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or self.is_in_memory_db() or name.startswith("file:"):
            return None
        if (self.transaction_mode or "").upper() not in ("IMMEDIATE", "EXCLUSIVE"):
            return None  # a deferred BEGIN takes no write lock: nothing to queue
        return name + ".writelock"

    def _take_write_lock(self) -> None:
        path = self._lock_path()
        if path is None or self._write_lock is not None:
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._write_lock = fd

    def _release_write_lock(self) -> None:
        fd, self._write_lock = self._write_lock, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock

    def _start_transaction_under_autocommit(self):
        self._take_write_lock()
        try:
            return super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
