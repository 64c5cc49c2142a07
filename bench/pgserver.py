"""A throwaway PostgreSQL server for benchmarks (initdb + pg_ctl in a temporary folder).

Runs the server as the `postgres` user when we are root (the server refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    raise SystemExit(f"{name} not found: install PostgreSQL (apt-get install -y postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def postgres_server():
    """Yields a base URL postgres://bench@127.0.0.1:PORT/ ; databases are created by the caller."""
    folder = tempfile.mkdtemp(prefix="xinyong-bench-pg-")
    data = os.path.join(folder, "data")
    port = _free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(_as_server_user([_bin("initdb"), "-D", data, "-U", "bench", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]), check=True, stdout=subprocess.DEVNULL)
    opts = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c shared_buffers=512MB -c max_wal_size=4GB"
    subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", data, "-o", opts, "-l", os.path.join(folder, "log"), "-w", "start"]), check=True, stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.2)
        yield f"postgres://bench@127.0.0.1:{port}/"
    finally:
        subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"]), check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(base_url + "postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base_url + name


def restore_dump(url: str, dump) -> float:
    """pg_restore a cached data set (custom format, two jobs) into `url`; returns the seconds."""
    t = time.perf_counter()
    subprocess.run([_bin("pg_restore"), "-j", "2", "--no-owner", "-d", url, str(dump)], check=True)
    return time.perf_counter() - t


def vacuum_analyze(url: str) -> None:
    """Fresh planner statistics (and visibility maps) after a restore or a bulk load."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
