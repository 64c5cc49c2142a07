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
The lock file is opened once per connection and process (a process forked with the connection
open opens its own: a lock is shared by every copy of the descriptor that took it) and closed
with the connection; between transactions it is unlocked (LOCK_UN).
"""

from __future__ import annotations

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _lock_file = None  # (pid, descriptor) of the open lock file
    _locked = False  # this connection's transaction holds the lock

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or self.is_in_memory_db() or name.startswith("file:"):
            return None
        if (self.transaction_mode or "").upper() not in ("IMMEDIATE", "EXCLUSIVE"):
            return None  # a deferred BEGIN takes no write lock: nothing to queue
        return name + ".writelock"

    def _take_write_lock(self) -> None:
        if self._locked:
            return
        path = self._lock_path()
        if path is None:
            return
        pid = os.getpid()
        if self._lock_file is None or self._lock_file[0] != pid:  # never another process's copy
            self._lock_file = (pid, os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
        fcntl.flock(self._lock_file[1], fcntl.LOCK_EX)
        self._locked = True

    def _release_write_lock(self) -> None:
        if self._locked:
            self._locked = False
            fcntl.flock(self._lock_file[1], fcntl.LOCK_UN)

    def _close_lock_file(self) -> None:
        lock_file, self._lock_file = self._lock_file, None
        if lock_file is not None and lock_file[0] == os.getpid():
            os.close(lock_file[1])

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
            self._close_lock_file()
