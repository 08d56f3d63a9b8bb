"""Between settings: everything comes from the environment, with safe embedded defaults.

Without any variable set, the service runs on SQLite and a file-system Celery broker under
``var/`` so that ``make run`` works on a machine with neither PostgreSQL nor Redis.
Every variable is documented in the README's "Configuration" section.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url

from core.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("BETWEEN_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or "pytest" in sys.modules:
        SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105
    else:
        # One readable line instead of a traceback (see core/startup.py).
        from core.startup import fail

        fail("SECRET_KEY is not set. Set SECRET_KEY, or DEBUG=1 for local development.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "anymail",
    "core",
    "planner",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "core.middleware.NoStoreMiddleware",
    "core.middleware.LimitedSessionMiddleware",
]

ROOT_URLCONF = "core.urls"
WSGI_APPLICATION = "core.wsgi.application"
ASGI_APPLICATION = "core.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# --- Database -------------------------------------------------------------------------------
# PostgreSQL in production (DATABASE_URL=postgres://...); SQLite under var/ by default.
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'between.sqlite3'}",
        # Persistent connections are worth ~5x on read endpoints (measured: docs/benchmarks.md).
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that needs no round trip while the server has
    # said nothing (core/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "core.db.postgresql"
# The API's hot reads and the delivery's statements prepared by PostgreSQL once per connection
# (core/db/postgresql):
# off behind a connection pooler that does not keep prepared statements (PgBouncer < 1.21
# in transaction mode).
DB_PREPARED_STATEMENTS = envbool("DB_PREPARED_STATEMENTS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A worker, beat and the web process share one file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lockout (core/auth.py): failures per account and per address within LOGIN_LOCKOUT_MINUTES.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_IP_FAILURE_LIMIT = envint("LOGIN_IP_FAILURE_LIMIT", 20)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15)
# How many proxies in front append to X-Forwarded-For (0: use the connection's address).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# Invitations (planner/onboarding): how long an emailed link to set a password works.
INVITATION_DAYS = envint("INVITATION_DAYS", 7)
# Django's password reset links (/reset/<uidb64>/<token>/) work this many hours.
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_HOURS", 24) * 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Recorded notes (planner.models.audio_storage): the file system under var/ by default, never
# under a public URL (a view checks who asks); S3-compatible storage through django-storages
# when AUDIO_S3_BUCKET is set (credentials from boto3's own AWS_* environment variables).
AUDIO_ROOT = Path(envstr("AUDIO_ROOT", str(VAR_DIR / "audio")))
AUDIO_MAX_BYTES = envint("AUDIO_MAX_BYTES", 10 * 1024 * 1024)
AUDIO_S3_BUCKET = envstr("AUDIO_S3_BUCKET", "")
AUDIO_STORAGE: dict = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AUDIO_S3_BUCKET,
            "endpoint_url": envstr("AUDIO_S3_ENDPOINT_URL", "") or None,
            "region_name": envstr("AUDIO_S3_REGION", "") or None,
            "location": envstr("AUDIO_S3_PREFIX", "audio"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if AUDIO_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(AUDIO_ROOT), "base_url": "/no-public-url/"},
    }
)
STORAGES = {
    "audio": AUDIO_STORAGE,
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG and "pytest" not in sys.modules)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security (production values pass `manage.py check --deploy`) -----------------------
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 12)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if "pytest" in sys.modules and not envbool("TEST_SECURE", False):
    # Tests talk plain HTTP to the test client and the live server.
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False

# --- Email and SMS -----------------------------------------------------------------------
CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_BACKEND = envstr("EMAIL_BACKEND", CONSOLE_EMAIL_BACKEND)
# The console backend prints whole messages (prompts, login links) to the process's output.
ALLOW_CONSOLE_EMAIL = envbool("ALLOW_CONSOLE_EMAIL", False)
if EMAIL_BACKEND == CONSOLE_EMAIL_BACKEND and not (
    DEBUG or ALLOW_CONSOLE_EMAIL or "pytest" in sys.modules
):
    from core.startup import fail

    fail(
        "EMAIL_BACKEND is the console backend, which prints every message and link to the "
        "logs. Set EMAIL_BACKEND (e.g. django.core.mail.backends.smtp.EmailBackend), or "
        "ALLOW_CONSOLE_EMAIL=1 to keep it."
    )
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "Between <no-reply@between.invalid>")
# Provider keys go here through the environment when django-anymail is used.
ANYMAIL: dict[str, str] = {}
# The neutral emails of a sub-batch as one ESP batch send, where the anymail backend's ESP
# reports a status per recipient (planner/delivery/channels/email.py: BATCH_ESPS); SMTP and
# the other backends send one at a time whatever this says.
EMAIL_BATCH_SEND = envbool("EMAIL_BATCH_SEND", True)
SMS_BACKEND = envstr("SMS_BACKEND", "planner.delivery.channels.sms.ConsoleSmsBackend")
TWILIO_ACCOUNT_SID = envstr("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = envstr("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = envstr("TWILIO_FROM_NUMBER")
# Web Push (planner/phone/vapid.py): the VAPID pair from the environment; on the embedded
# default (no DATABASE_URL) a pair is generated once under var/ instead.
VAPID_PRIVATE_KEY = envstr("VAPID_PRIVATE_KEY")
VAPID_PUBLIC_KEY = envstr("VAPID_PUBLIC_KEY")
VAPID_SUBJECT = envstr("VAPID_SUBJECT", "mailto:no-reply@between.invalid")
VAPID_KEY_FILE = envstr(
    "VAPID_KEY_FILE", "" if envstr("DATABASE_URL") else str(VAR_DIR / "vapid.json")
)
# The only hosts a subscription's endpoint may name (the server POSTs to it): the browsers'
# push services. http endpoints only for tests and local fakes.
PUSH_SERVICE_HOSTS = envlist(
    "PUSH_SERVICE_HOSTS",
    "fcm.googleapis.com,*.push.services.mozilla.com,updates.push.services.mozilla.com,"
    "*.notify.windows.com,*.push.apple.com",
)
PUSH_ALLOW_HTTP = envbool("PUSH_ALLOW_HTTP", False)
PUSH_TTL_SECONDS = envint("PUSH_TTL_SECONDS", 12 * 60 * 60)
PUSH_TIMEOUT_SECONDS = envint("PUSH_TIMEOUT_SECONDS", 10)

# --- Celery ------------------------------------------------------------------------------
REDIS_URL = envstr("REDIS_URL")
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        # The exchange tables too (kombu's default is ./control, in the checkout).
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
else:
    # Longer than any delivery task may run, so Redis does not redeliver a running task.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
DISPATCH_SWEEP_SECONDS = envint("DISPATCH_SWEEP_SECONDS", 60)
DISPATCH_BATCH_SIZE = envint("DISPATCH_BATCH_SIZE", 2000)
DISPATCH_LEASE_SECONDS = envint("DISPATCH_LEASE_SECONDS", 300)
DISPATCH_MAX_ATTEMPTS = envint("DISPATCH_MAX_ATTEMPTS", 5)
# Email/SMS are handed to the provider in sub-batches of this many messages: one commit marks
# them attempting (and stores the previous sub-batch's results). A crash leaves at most this
# many per worker process `unconfirmed` (never resent).
DISPATCH_ATTEMPT_BATCH = envint("DISPATCH_ATTEMPT_BATCH", 50)
# Escalation of a check-in to the covering clinician (opt-in per plan).
ESCALATION_ACK_MINUTES = envint("ESCALATION_ACK_MINUTES", 30)
ESCALATION_RATE_LIMIT_MINUTES = envint("ESCALATION_RATE_LIMIT_MINUTES", 240)
ESCALATION_SWEEP_SECONDS = envint("ESCALATION_SWEEP_SECONDS", 60)
# The dashboard warns when a holiday's notice (the day the client was told) is shorter.
NOTICE_WARNING_DAYS = envint("NOTICE_WARNING_DAYS", 28)
DISPATCH_RETRY_BASE_SECONDS = envint("DISPATCH_RETRY_BASE_SECONDS", 60)
# The circuit breaker (planner/delivery/circuit.py): this many transient provider failures in
# a row pause the channel for DISPATCH_BREAKER_PAUSE_SECONDS, spending no prompt's attempts.
DISPATCH_BREAKER_FAILURES = envint("DISPATCH_BREAKER_FAILURES", 10)
DISPATCH_BREAKER_PAUSE_SECONDS = envint("DISPATCH_BREAKER_PAUSE_SECONDS", 120)
CELERY_BEAT_SCHEDULE = {
    "dispatch-sweep": {
        "task": "planner.dispatch_sweep",  # the names: planner/enqueue.py
        "schedule": float(DISPATCH_SWEEP_SECONDS),
    },
    "worker-heartbeat": {"task": "core.worker_heartbeat", "schedule": 60.0},
    "breaks-advance": {"task": "planner.breaks_advance", "schedule": 300.0},
    "prune-login-attempts": {"task": "core.prune_login_attempts", "schedule": 86400.0},
    "prune-expired-tokens": {"task": "core.prune_expired_tokens", "schedule": 86400.0},
    "letters-release": {"task": "planner.letters_release", "schedule": 60.0},
    "escalation-fallback-sweep": {
        "task": "planner.escalation_fallback_sweep",
        "schedule": float(ESCALATION_SWEEP_SECONDS),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- REST framework ----------------------------------------------------------------------
# API tokens (django-rest-knox): only a SHA-512 digest is stored; each token expires.
API_TOKEN_TTL_HOURS = envint("API_TOKEN_TTL_HOURS", 12)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",  # Authorization: Token <token>, as before
    "AUTO_REFRESH": False,  # a fixed lifetime: a read never writes
    "TOKEN_LIMIT_PER_USER": None,
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "planner.api.authentication.TokenWithProfileAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's three, with a JSON parser that refuses deeply nested bodies (a 400, not a 500).
    "DEFAULT_PARSER_CLASSES": [
        "planner.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    # By the caller's address as core.auth.client_ip sees it (TRUSTED_PROXY_COUNT), never by
    # a client-written X-Forwarded-For; letting requests through while the cache is down
    # (planner/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "planner.api.throttling.AnonRateThrottle",
        "planner.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": envstr("THROTTLE_ANON", "60/minute"),
        "user": envstr("THROTTLE_USER", "1200/minute"),
        "token": envstr("THROTTLE_TOKEN", "10/minute"),
    },
    "DEFAULT_METADATA_CLASS": "planner.api.metadata.BodyAwareMetadata",  # OPTIONS
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "planner.api.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "planner.api.pagination.PagePagination",
}

# Under a limit of 200 or more a window, a web process takes up to this many requests of it
# from the cache at once (1% of the limit); 1 counts every request in the cache
# (planner/api/throttling.py).
THROTTLE_SHARE_MAX = envint("THROTTLE_SHARE_MAX", 16)

SPECTACULAR_SETTINGS = {
    "TITLE": "Between API",
    "DESCRIPTION": "Plans and prompts for breaks in therapy. Not an emergency service.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Path ids (core/converters.py): 1 to 2**63 - 1; any other path is a 404.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "BreakStatusEnum": "planner.models.Break.Status",
        "DeliveryStatusEnum": "planner.models.Delivery.Status",
        "TherapistViewEnum": ["therapist"],
        "CoveringViewEnum": ["covering"],
        "ClientViewEnum": ["client"],
        "KindEnum": "planner.models.Break.Kind",
        "SupportKindEnum": "planner.models.SupportItem.Kind",
    },
}

CACHES = {
    "default": (
        {"BACKEND": "core.cache.ReusingRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    )
}

# --- Logging: ids and event names only, never message text or personal data ------------
LOG_LEVEL = envstr("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Signed-link tokens in paths (django.request, django.server, ?next=) become [token].
    "filters": {"scrub_tokens": {"()": "core.logscrub.ScrubSignedTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["scrub_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console and mail_admins handlers would print unscrubbed lines: every
        # django.* record goes to the root's console handler instead.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "INFO"},
    },
}
