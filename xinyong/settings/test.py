"""Settings for the test suite: same as base, fixed keys, fast hashing, immediate tasks."""

import atexit
import os
import shutil
import tempfile

if not os.environ.get("XINYONG_VAR_DIR"):
    # one folder per test run, shared by the xdist workers (they inherit the environment) and
    # removed when the process that made it exits
    _var_dir = tempfile.mkdtemp(prefix="xinyong-test-")
    os.environ["XINYONG_VAR_DIR"] = _var_dir
    atexit.register(shutil.rmtree, _var_dir, ignore_errors=True)
os.environ.setdefault("XINYONG_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("XINYONG_FIELD_KEYS", "dGVzdC1maWVsZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmc=")
os.environ.setdefault("XINYONG_LOOKUP_KEY", "test-lookup-key")
os.environ.setdefault("XINYONG_AUDIT_SIGNING_KEY", "dGVzdC1hdWRpdC1zaWduaW5nLWtleS0wMTIzNDU2Nzg=")

from .base import *  # noqa: E402,F403
from .base import XINYONG  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
XINYONG["CHUNK_ROWS"] = 500
XINYONG["DEFINITIONS_RECHECK_SECONDS"] = 0  # tests edit definition files and load them at once
# tests move the clock by hours and days between requests: no idle timeout unless a test sets one
XINYONG["STAFF_AUTH"]["IDLE_MINUTES"] = 0
# the test databases are in memory, where the writers' lock file of the SQLite backend
# (common/sqlite_locked) has no part; pytest-django knows SQLite by Django's backend name (its
# per-worker in-memory databases). tests/common/test_sqlite_write_queue.py tests the lock file.
if DATABASES["default"]["ENGINE"] == "xinyong.common.sqlite_locked":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "django.db.backends.sqlite3"  # noqa: F405
