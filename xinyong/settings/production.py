"""Production: keys must be provided (environment or key files), HTTPS assumed."""

import os

os.environ.setdefault("XINYONG_GENERATE_KEYS", "0")

from .base import *  # noqa: E402,F403
from .base import XINYONG  # noqa: E402
from .env import env_bool, env_int  # noqa: E402

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# department systems must sign their requests: a bare bearer token is refused (docs/security.md)
XINYONG["API"]["BEARER_ALLOWED"] = env_bool("XINYONG_API_BEARER_ALLOWED", False)
# never the benchmark endpoints (/bench/floor/write writes audit rows without a signature),
# whatever the environment says: the benchmarks run on settings.base
XINYONG["BENCH_ENDPOINTS"] = False
# no demo province (and its accounts with the published password) on a production database
XINYONG["DEMO_ALLOWED"] = env_bool("XINYONG_DEMO_ALLOWED", False)
# every staff user signs in with a second factor; passwords age (docs/security.md, "People")
XINYONG["STAFF_AUTH"]["TWO_FACTOR_REQUIRED"] = env_bool("XINYONG_2FA_REQUIRED", True)
XINYONG["STAFF_AUTH"]["PASSWORD_MAX_AGE_DAYS"] = env_int("XINYONG_PASSWORD_MAX_AGE_DAYS", 90)
