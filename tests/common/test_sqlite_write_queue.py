"""Writers of one SQLite file queue on a lock file (common/sqlite_locked): a writer that finds
another's transaction open waits for its end, however long, and starts as soon as it ends —
where SQLite's busy handler polled with growing sleeps and gave up after the timeout."""

from __future__ import annotations

import json
import subprocess
import sys
import time

# a Django process on the database file argv[1] through the backend argv[2] (busy timeout 0.2 s), and write(hold)
SETUP = r"""
import json, os, sys, time
import django
from django.conf import settings
path, engine = sys.argv[1], sys.argv[2]
settings.configure(USE_TZ=True, DATABASES={"default": {"ENGINE": engine, "NAME": path, "OPTIONS": {
    "transaction_mode": "IMMEDIATE", "timeout": 0.2, "init_command": "PRAGMA journal_mode=WAL;"}}})
django.setup()
from django.db import connection, transaction

def write(hold):  # one transaction, held open `hold` seconds
    started = time.time()
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("INSERT INTO t (who) VALUES (%s)", [hold])
            time.sleep(hold)
        return {"ok": True, "started": started, "committed": time.time()}
    except Exception as exc:
        return {"ok": False, "error": str(exc)}
"""

WRITER = SETUP + r"""
print(json.dumps(write(float(sys.argv[3]))))
"""


def _database(tmp_path):
    import sqlite3

    path = tmp_path / "db.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who REAL)")
    con.commit()
    con.close()
    return path


def _race(tmp_path, engine: str) -> tuple[dict, dict]:
    path = _database(tmp_path)
    first = subprocess.Popen([sys.executable, "-c", WRITER, str(path), engine, "1.0"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)  # the first writer's transaction is open (it holds it for 1 s)
    second = subprocess.run([sys.executable, "-c", WRITER, str(path), engine, "0"], stdout=subprocess.PIPE, text=True, check=True, timeout=60)
    out = first.communicate(timeout=60)[0]
    return json.loads(out), json.loads(second.stdout)


def test_a_writer_waits_for_the_open_transaction_and_starts_at_its_end(tmp_path):
    first, second = _race(tmp_path, "xinyong.common.sqlite_locked")
    assert first["ok"] and second["ok"], (first, second)
    # the second waited past its busy timeout (0.2 s) for the first's commit, then wrote at once
    assert second["committed"] >= first["committed"]
    assert second["committed"] - first["committed"] < 0.5


def test_without_the_queue_the_same_writer_gives_up_after_the_busy_timeout(tmp_path):
    first, second = _race(tmp_path, "django.db.backends.sqlite3")
    assert first["ok"]
    assert not second["ok"] and "locked" in second["error"]


# one connection, several transactions; and a process forked with that connection open: the lock
# file stays open between transactions (unlocked), and a forked child opens its own (a copy of
# the parent's descriptor would share the parent's lock and not wait for it)
PARENT_AND_CHILD = SETUP + r"""
first = write(0)  # the connection and its lock file are open now
child = os.fork()
if child == 0:
    time.sleep(0.3)  # the parent's second transaction is open (held for 1 s)
    print(json.dumps({"child": write(0)}), flush=True)
    os._exit(0)
second = write(1.0)
os.waitpid(child, 0)
print(json.dumps({"first": first, "second": second}), flush=True)
"""


def test_a_connection_writes_again_and_a_forked_child_still_waits_for_it(tmp_path):
    path = _database(tmp_path)
    out = subprocess.run([sys.executable, "-c", PARENT_AND_CHILD, str(path), "xinyong.common.sqlite_locked"], stdout=subprocess.PIPE, text=True, check=True, timeout=60)
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    child = next(x["child"] for x in lines if "child" in x)
    parent = next(x for x in lines if "first" in x)
    assert parent["first"]["ok"] and parent["second"]["ok"] and child["ok"], lines
    # the child waited past its busy timeout (0.2 s) for the parent's commit, then wrote at once
    assert child["committed"] >= parent["second"]["committed"]
    assert child["committed"] - parent["second"]["committed"] < 0.5
