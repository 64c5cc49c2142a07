"""Settings shared by every environment. DATABASE_URL switches SQLite / PostgreSQL."""

from __future__ import annotations

import base64
import secrets

import dj_database_url

from .env import BASE_DIR, env_bool, env_int, env_str, read_key, var_dir

VAR_DIR = var_dir()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("XINYONG_DEBUG", False)
GENERATE_KEYS = env_bool("XINYONG_GENERATE_KEYS", True)


def _fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


SECRET_KEY = read_key("XINYONG_SECRET_KEY", "django_secret.key", generate=GENERATE_KEYS)
# Field encryption keys (Fernet), newest first, comma separated: rotation keeps old keys readable.
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in read_key(
        "XINYONG_FIELD_KEYS", "field.keys", generate=GENERATE_KEYS, make=_fernet_key
    ).split(",")
    if k.strip()
]
# Keyed hash (HMAC-SHA256) for looking up ID numbers without storing them in clear.
LOOKUP_HASH_KEY = read_key("XINYONG_LOOKUP_KEY", "lookup.key", generate=GENERATE_KEYS)
# Ed25519 key (base64 of 32 random bytes) that signs the audit chain's checkpoints and backup
# manifests; retired public keys (base64, comma separated) that still verify old signatures.
AUDIT_SIGNING_KEY = read_key("XINYONG_AUDIT_SIGNING_KEY", "audit_signing.key", generate=GENERATE_KEYS, make=_fernet_key)
AUDIT_TRUSTED_KEYS = [k.strip() for k in (env_str("XINYONG_AUDIT_TRUSTED_KEYS", "") or "").split(",") if k.strip()]

ALLOWED_HOSTS = [h.strip() for h in (env_str("XINYONG_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver") or "").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o for o in (env_str("XINYONG_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "xinyong.common",
    "xinyong.security",
    "xinyong.catalog",
    "xinyong.subjects",
    "xinyong.records",
    "xinyong.ingestion",
    "xinyong.sanctions",
    "xinyong.search",
    "xinyong.publicity",
    "xinyong.reports",
    "xinyong.evaluation",
    "xinyong.measures",
    "xinyong.cases",
    "xinyong.redress",
    "xinyong.agencies",
    "xinyong.annualreports",
    "xinyong.commitments",
    "xinyong.tipoffs",
    "xinyong.access",
    "xinyong.portal",
    "xinyong.accounts",
    "xinyong.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # the check API's requests go on through the response middleware below only
    "xinyong.security.middleware.ApiLeanPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy, Permissions-Policy; the portal-scraping counter
    "xinyong.security.middleware.SecurityHeadersMiddleware",
    # staff sessions: idle timeout, "sign out everywhere", enrolment / password change first
    "xinyong.security.middleware.StaffSessionMiddleware",
    "xinyong.security.middleware.ApiRequestLogMiddleware",
]

ROOT_URLCONF = "xinyong.urls"
WSGI_APPLICATION = "xinyong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_default_sqlite = f"sqlite:///{VAR_DIR / 'xinyong.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_sqlite), conn_max_age=env_int("XINYONG_DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, the writers of a database file queued by a lock file instead of polling
    # in SQLite's busy handler (common/sqlite_locked/base.py)
    DATABASES["default"]["ENGINE"] = "xinyong.common.sqlite_locked"
    # connections are kept for reuse as on PostgreSQL (XINYONG_DB_CONN_MAX_AGE): opening one ran
    # the PRAGMAs below on every request, and closing the last one checkpointed the WAL into the
    # database file: 12 of the 16 ms of a signed check in process (docs/benchmarks.md)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while an ingestion batch writes; IMMEDIATE avoids lock upgrades.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; "
            # server processes checkpoint from a thread (common/db.py): this is the safety net
            "PRAGMA wal_autocheckpoint=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg prepares a statement sent with server-side binding after this many runs on a
    # connection: only the check API's hottest statements are (common.db.execute_hot); Django's
    # own queries bind on the client and are never prepared. -1: never (a connection pooler in
    # transaction mode that cannot keep prepared statements)
    _prepare = env_int("XINYONG_DB_PREPARE_THRESHOLD", 2)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = _prepare if _prepare >= 0 else None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Django's length rule, its message in Chinese
    {"NAME": "xinyong.security.passwords.ChineseMinimumLengthValidator", "OPTIONS": {"min_length": env_int("XINYONG_PASSWORD_MIN_LENGTH", 12)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # no reuse of the last XINYONG_PASSWORD_HISTORY passwords; records each change (password age)
    {"NAME": "xinyong.security.passwords.PasswordHistoryValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(VAR_DIR / "media")}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dept/"
LOGOUT_REDIRECT_URL = "/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("XINYONG_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Uploads: stream to disk above 2.5 MB; whole files are never read into memory.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "uploads")
(VAR_DIR / "uploads").mkdir(parents=True, exist_ok=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("XINYONG_API_MAX_BODY_MB", 50) * 1024 * 1024

TASKS = {
    "default": {
        "BACKEND": env_str("XINYONG_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# a shared cache (e.g. "redis://..." or "file:///var/cache/xinyong") counts rate limits across
# server processes; the default is local to each process
_cache_url = env_str("XINYONG_CACHE_URL", "") or ""
if _cache_url.startswith("file://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": _cache_url[7:]}}
elif _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "xinyong"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "xinyong.common.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env_str("XINYONG_LOG_LEVEL", "WARNING")},
    "loggers": {"xinyong": {"level": env_str("XINYONG_LOG_LEVEL", "INFO"), "propagate": True}},
}

# e-mail (notifications of xinyong/accounts): the console backend prints mails in development
EMAIL_BACKEND = env_str("XINYONG_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("XINYONG_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("XINYONG_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("XINYONG_EMAIL_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("XINYONG_EMAIL_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("XINYONG_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("XINYONG_EMAIL_FROM", "信用吉林 <noreply@localhost>")

# ---- platform settings (see docs/operations.md) ----
XINYONG = {
    # `xinyong demo` creates accounts whose shared password is published (README): refused under
    # production settings unless XINYONG_DEMO_ALLOWED=1 (a training copy)
    "DEMO_ALLOWED": env_bool("XINYONG_DEMO_ALLOWED", True),
    # files larger than this are refused at the door, with a clear message
    "MAX_UPLOAD_MB": env_int("XINYONG_MAX_UPLOAD_MB", 256),
    # files larger than this (or with more rows) are processed as background jobs from the web/API
    "SYNC_MAX_BYTES": env_int("XINYONG_SYNC_MAX_KB", 2048) * 1024,
    # a single cell longer than this is a file-level error (protects memory)
    "MAX_CELL_CHARS": env_int("XINYONG_MAX_CELL_CHARS", 100_000),
    # files at least this large are read and validated in a helper process while the main one
    # writes (-1: never)
    "PARALLEL_MIN_BYTES": env_int("XINYONG_PARALLEL_MIN_MB", 8) * 1024 * 1024 if env_int("XINYONG_PARALLEL_MIN_MB", 8) >= 0 else -1,
    # rows processed per chunk in the pipeline
    "CHUNK_ROWS": env_int("XINYONG_CHUNK_ROWS", 5000),
    # errors kept in the database per batch (all of them go to the error file)
    "MAX_STORED_ERRORS": env_int("XINYONG_MAX_STORED_ERRORS", 1000),
    # records accepted in one call of POST /api/v1/batches/records (see docs/api.md)
    "API_MAX_RECORDS": env_int("XINYONG_API_MAX_RECORDS", 50_000),
    # subjects accepted in one bulk check (POST /api/v1/checks/bulk, docs/api.md)
    "CHECK_BULK_MAX": env_int("XINYONG_CHECK_BULK_MAX", 100_000),
    "BATCH_DIR": str(VAR_DIR / "batches"),
    # per-client limits (common/ratelimit.py): requests per second/minute/hour/day
    # login throttling (xinyong/security/views.py): failed attempts per account name before a
    # lock-out (four times as many per client address), and its length
    "LOGIN": {
        "MAX_FAILURES": env_int("XINYONG_LOGIN_MAX_FAILURES", 5),
        "LOCK_MINUTES": env_int("XINYONG_LOGIN_LOCK_MINUTES", 15),
    },
    "RATE_LIMITS": {
        "search": env_str("XINYONG_RATE_SEARCH", "120/m"),
        "file": env_str("XINYONG_RATE_FILE", "120/m"),
        "report": env_str("XINYONG_RATE_REPORT", "20/h"),
        "verify": env_str("XINYONG_RATE_VERIFY", "120/m"),
        "register": env_str("XINYONG_RATE_REGISTER", "20/h"),
        "case": env_str("XINYONG_RATE_CASE", "10/h"),
        "complaint": env_str("XINYONG_RATE_COMPLAINT", "5/h"),
        "tipoff": env_str("XINYONG_RATE_TIPOFF", "5/h"),
    },
    # the portal's search (xinyong/search): results per page, longest query accepted, partial
    # matches counted at most (beyond: "1,000+ 条", and no page past it); index maintenance
    "SEARCH": {
        "PAGE_SIZE": env_int("XINYONG_SEARCH_PAGE_SIZE", 20),
        "MAX_QUERY_CHARS": env_int("XINYONG_SEARCH_MAX_CHARS", 60),
        "COUNT_CAP": env_int("XINYONG_SEARCH_COUNT_CAP", 1000),
        "CONSUMER": "search",  # its cursor on the change feed
        "UPDATE_CHUNK": 5000,  # change-feed events applied per transaction
        "UPDATE_SECONDS": 50,  # one run of search.update stops after this; the next goes on
        "REBUILD_CHUNK": 10_000,  # subjects read and written per round of a rebuild
    },
    # credit evaluation (xinyong/evaluation): DuckDB's threads and memory limit for a run (0 / empty:
    # DuckDB's defaults, all cores and 80% of memory), and the folder for a run's snapshot files
    "EVALUATION": {
        "THREADS": env_int("XINYONG_EVALUATION_THREADS", 0),
        "MEMORY_LIMIT": env_str("XINYONG_EVALUATION_MEMORY", "") or "",
        "WORK_DIR": env_str("XINYONG_EVALUATION_DIR", str(VAR_DIR / "evaluation")),
        # the snapshot mirror (evaluation/mirror.py): full runs keep the records' part of the
        # snapshot between runs and bring it up to date from the change feed; rebuilt from
        # scratch when older than MAX_AGE_DAYS or when more than REBUILD_SHARE of the subjects changed
        "MIRROR": env_bool("XINYONG_EVALUATION_MIRROR", True),
        "MIRROR_MAX_AGE_DAYS": env_int("XINYONG_EVALUATION_MIRROR_MAX_AGE_DAYS", 7),
        "MIRROR_REBUILD_SHARE": 0.3,
    },
    # credit reports (xinyong/reports): the site's public address printed in reports' QR codes
    # (empty: the address the request came to), the largest PDF accepted for verification
    "REPORTS": {
        "PUBLIC_URL": (env_str("XINYONG_PUBLIC_URL", "") or "").rstrip("/"),
        "VERIFY_MAX_KB": env_int("XINYONG_REPORT_VERIFY_MAX_KB", 20 * 1024),
    },
    # the portal's public listings (xinyong/publicity: 双公示 decisions; xinyong/sanctions: list
    # entries): rows per page, results counted and paged through at most (beyond: narrower
    # filters); 双公示 timeliness figures per department over the last N days, cached N seconds
    "LISTINGS": {
        "PAGE_SIZE": env_int("XINYONG_LISTING_PAGE_SIZE", 20),
        "MAX_RESULTS": env_int("XINYONG_LISTING_MAX_RESULTS", 1000),
        "TIMELINESS_DAYS": env_int("XINYONG_TIMELINESS_DAYS", 90),
        "TIMELINESS_CACHE_SECONDS": env_int("XINYONG_TIMELINESS_CACHE_SECONDS", 300),
    },
    # the credit file page shows at most this many facts per section (the newest; a link shows
    # the whole section); the API and credit reports always hold every public fact
    "FILE_SECTION_LIMIT": env_int("XINYONG_FILE_SECTION_LIMIT", 50),
    # behind a reverse proxy: how many X-Forwarded-For hops to trust for the client's address
    "PROXY_HOPS": env_int("XINYONG_PROXY_HOPS", 0),
    # subject accounts (xinyong/accounts): the real-name verification provider (dotted path; the
    # simulated one for development and tests), free self-reports an individual gets per calendar
    # year (《征信业管理条例》第十七条: twice a year free), the largest authorization letter accepted
    "REALNAME_PROVIDER": env_str("XINYONG_REALNAME_PROVIDER", "xinyong.accounts.realname.SimulatedProvider"),
    "FREE_SELF_REPORTS_PER_YEAR": env_int("XINYONG_FREE_SELF_REPORTS", 2),
    "LETTER_MAX_KB": env_int("XINYONG_LETTER_MAX_KB", 5 * 1024),
    # department systems' API (xinyong/security/auth.py, docs/api.md): how old a signed request's
    # timestamp may be (seconds, either way), whether a bare bearer token is still accepted (the
    # transition; off in production settings), requests per key ("600/m"; a key's own rate_limit
    # wins), how long the old secret keeps working after a rotation, days of request log kept
    "API": {
        "SIGNATURE_WINDOW_SECONDS": env_int("XINYONG_API_SIGNATURE_WINDOW", 300),
        "BEARER_ALLOWED": env_bool("XINYONG_API_BEARER_ALLOWED", True),
        "KEY_RATE": env_str("XINYONG_API_KEY_RATE", "600/m"),
        "ROTATION_OVERLAP_HOURS": env_int("XINYONG_API_ROTATION_OVERLAP_HOURS", 24),
        # seconds a server process keeps a key it has read (security/keys.py: key_by_id); a key
        # revoked or changed in another process is refused or applied within this bound
        "KEY_CACHE_SECONDS": env_int("XINYONG_API_KEY_CACHE_SECONDS", 5),
        "REQUEST_LOG_DAYS": env_int("XINYONG_API_REQUEST_LOG_DAYS", 184),  # six months at least (Cybersecurity Law art. 21)
    },
    # the audit chain (xinyong/security/chain.py): minutes between signed checkpoints (job
    # audit.checkpoint, run by the worker)
    "AUDIT": {"CHECKPOINT_MINUTES": env_int("XINYONG_AUDIT_CHECKPOINT_MINUTES", 10)},
    # staff sign-in (/accounts/login/; docs/security.md, "People"): whether two-factor
    # authentication (TOTP) is required of every staff user (on under production settings), the
    # minutes allowed between the password and the code, time steps of 30 s accepted either side
    # of the clock, recovery codes issued; password age in days (0: none; 90 under production
    # settings) and passwords remembered against reuse; minutes without a request after which a
    # staff session ends (0: never; the absolute length is XINYONG_SESSION_SECONDS)
    "STAFF_AUTH": {
        "TWO_FACTOR_REQUIRED": env_bool("XINYONG_2FA_REQUIRED", False),
        "SECOND_STEP_MINUTES": env_int("XINYONG_2FA_STEP_MINUTES", 5),
        "TOTP_DRIFT_STEPS": env_int("XINYONG_2FA_DRIFT_STEPS", 1),
        "RECOVERY_CODES": env_int("XINYONG_2FA_RECOVERY_CODES", 10),
        "PASSWORD_MAX_AGE_DAYS": env_int("XINYONG_PASSWORD_MAX_AGE_DAYS", 0),
        "PASSWORD_HISTORY": env_int("XINYONG_PASSWORD_HISTORY", 5),
        "IDLE_MINUTES": env_int("XINYONG_SESSION_IDLE_MINUTES", 30),
    },
    # response headers (security/middleware.py): the Content-Security-Policy of every HTML page
    # and the Permissions-Policy of every response
    "HEADERS": {
        "CSP": env_str(
            "XINYONG_CSP",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
        "PERMISSIONS_POLICY": env_str(
            "XINYONG_PERMISSIONS_POLICY",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
        # pages that may hold non-public or personal data: never kept by a browser or proxy cache
        # (Cache-Control: no-store), nor is any page shown to a signed-in user
        "NO_STORE_PATHS": ("/dept/", "/my/", "/accounts/", "/admin/", "/cases/", "/api/"),
    },
    # monitoring (security/alerts.py, job security.alerts; /dept/security/): the window looked at,
    # the days of history that make a user's or key's usual level, the factor above it (and the
    # floor) at which distinct individuals queried raise an alert; credit files one client may
    # open in a window, refused API requests per key or address, failed logins per name or
    # address; who gets the alerts by e-mail (comma separated); hours between chain verifications
    "MONITORING": {
        "WINDOW_MINUTES": env_int("XINYONG_ALERT_WINDOW_MINUTES", 60),
        "BASELINE_DAYS": env_int("XINYONG_ALERT_BASELINE_DAYS", 14),
        "INDIVIDUALS_FACTOR": env_int("XINYONG_ALERT_INDIVIDUALS_FACTOR", 5),
        "INDIVIDUALS_MIN": env_int("XINYONG_ALERT_INDIVIDUALS_MIN", 100),
        "SCRAPING_FILES": env_int("XINYONG_ALERT_SCRAPING_FILES", 600),
        "API_REFUSALS": env_int("XINYONG_ALERT_API_REFUSALS", 50),
        "LOGIN_FAILURES": env_int("XINYONG_ALERT_LOGIN_FAILURES", 20),
        "OFFICERS": [a.strip() for a in (env_str("XINYONG_SECURITY_OFFICERS", "") or "").split(",") if a.strip()],
        "VERIFY_HOURS": env_int("XINYONG_AUDIT_VERIFY_HOURS", 24),
    },
    # benchmarks only: mount /bench/bare (a plain JSON view, the baseline of bench/portal.py and
    # bench/check.py) and the check's floors /bench/floor/read and /bench/floor/write (common/bench.py)
    "BENCH_ENDPOINTS": env_bool("XINYONG_BENCH_ENDPOINTS", False),
    # cases (xinyong/cases: objections, repairs, tip-offs, complaints): attachments — largest
    # file, files per case, the folder outside the web root they are kept in — and the longest
    # text accepted in a reason, reply or message; workflows and deadlines: cases/definitions/cases.yaml
    "CASES": {
        "ATTACHMENT_MAX_MB": env_int("XINYONG_CASE_FILE_MAX_MB", 10),
        "ATTACHMENTS_PER_CASE": env_int("XINYONG_CASE_FILES_PER_CASE", 20),
        "FILES_DIR": env_str("XINYONG_CASE_FILES_DIR", str(VAR_DIR / "case-files")),
        "TEXT_MAX_CHARS": env_int("XINYONG_CASE_TEXT_MAX_CHARS", 5000),
    },
    # tip-offs (xinyong/tipoffs; categories: tipoffs/definitions/categories.yaml): the shortest
    # reason the credit centre must state to read a reporter's identity
    "TIPOFFS": {
        "REVEAL_REASON_MIN_CHARS": env_int("XINYONG_TIPOFF_REVEAL_REASON_MIN", 10),
    },
    # annual reports (xinyong/annualreports; legal dates and terms: annualreports/definitions/rules.yaml):
    # whether filing a missing report removes the abnormal operations listing at once (default: the
    # department approves within 5 working days, 《企业经营异常名录管理暂行办法》第十一条), and whether
    # the job decides a serious violation listing after the statement period when the subject
    # made no statement (otherwise the department decides in /dept/lists/)
    "ANNUAL_REPORTS": {
        "AUTO_REMOVAL": env_bool("XINYONG_ANNUAL_REPORT_AUTO_REMOVAL", False),
        "SERIOUS_AUTO_DECIDE": env_bool("XINYONG_ANNUAL_REPORT_SERIOUS_AUTO_DECIDE", True),
    },
    # access to non-public information (xinyong/access; purposes: access/definitions/purposes.yaml):
    # the longest consent a subject may give (days), the longest special query grant the credit
    # centre may approve (days), the largest signed paper consent accepted, and the folder outside
    # the web root those documents are kept in
    "ACCESS": {
        "CONSENT_MAX_DAYS": env_int("XINYONG_CONSENT_MAX_DAYS", 365),
        "GRANT_MAX_DAYS": env_int("XINYONG_SPECIAL_GRANT_MAX_DAYS", 90),
        "CONSENT_FILE_MAX_KB": env_int("XINYONG_CONSENT_FILE_MAX_KB", 5 * 1024),
        "FILES_DIR": env_str("XINYONG_CONSENT_FILES_DIR", str(VAR_DIR / "consent-files")),
    },
    # credit commitments (xinyong/commitments; templates: commitments/definitions/templates.yaml): the
    # largest commitment document a department uploads with a paper commitment, and the folder
    # outside the web root those documents are kept in
    "COMMITMENTS": {
        "DOCUMENT_MAX_KB": env_int("XINYONG_COMMITMENT_FILE_MAX_KB", 5 * 1024),
        "FILES_DIR": env_str("XINYONG_COMMITMENT_FILES_DIR", str(VAR_DIR / "commitment-files")),
    },
    "CATALOG_DIR": str(BASE_DIR / "xinyong" / "catalog" / "definitions"),
    # the YAML definitions (catalog, evaluation models, measures) are looked at for changes at
    # most this often (seconds); each look is a stat of every file
    "DEFINITIONS_RECHECK_SECONDS": 2.0,
    # the evaluation models (docs/evaluation.md), checked against the catalog when they load
    "EVALUATION_MODELS_DIR": str(BASE_DIR / "xinyong" / "evaluation" / "definitions"),
}
