"""Production: keys must be provided (environment or key files), HTTPS assumed."""

import os

os.environ.setdefault("XINYONG_GENERATE_KEYS", "0")

from .base import *  # noqa: E402,F403

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
