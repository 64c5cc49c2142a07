"""Settings for the test suite: same as base, fixed keys, fast hashing, immediate tasks."""

import os
import tempfile

os.environ.setdefault("XINYONG_VAR_DIR", tempfile.mkdtemp(prefix="xinyong-test-"))
os.environ.setdefault("XINYONG_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("XINYONG_FIELD_KEYS", "dGVzdC1maWVsZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmc=")
os.environ.setdefault("XINYONG_LOOKUP_KEY", "test-lookup-key")

from .base import *  # noqa: E402,F403
from .base import XINYONG  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
XINYONG["CHUNK_ROWS"] = 500
