"""One settings file, driven by the environment. See docs/deploy.md for every variable."""

from __future__ import annotations

import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from nuanxin.lib.env import envbool, envint, envlist, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("NUANXIN_VAR_DIR", str(BASE_DIR / "var")))
SHARED_DIR = Path(envstr("NUANXIN_SHARED_DIR", str(BASE_DIR.parent / "shared")))

TESTING = "pytest" in sys.modules or envbool("NUANXIN_TESTING")
DEBUG = envbool("DEBUG", False)
DEMO_MODE = envbool("NUANXIN_DEMO", False)

_INSECURE_DEFAULT = "nuanxin-insecure-dev-key-change-me"
SECRET_KEY = envstr("SECRET_KEY", _INSECURE_DEFAULT)
if SECRET_KEY == _INSECURE_DEFAULT and not (DEBUG or DEMO_MODE or TESTING):
    raise ImproperlyConfigured(
        "SECRET_KEY is the built-in development default. Set SECRET_KEY (or SECRET_KEY_FILE) "
        "to a long random value before running in production."
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_ROOT = envstr("SITE_ROOT", "http://127.0.0.1:8000").rstrip("/")
BUREAU_NAME = envstr("NUANXIN_BUREAU_NAME", "亳州市城市管理局")
BUREAU_CONTACT = envstr("NUANXIN_BUREAU_CONTACT", "12319")

INSTALLED_APPS = [
    "nuanxin.audit.apps.AuditedAdminConfig",  # audited django.contrib.admin
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",
    # Platform foundation
    "nuanxin.core",
    "nuanxin.orgs",
    "nuanxin.accounts",
    "nuanxin.audit",
    # 码上监管
    "nuanxin.merchants",
    "nuanxin.doorcodes",
    "nuanxin.feedback",
    "nuanxin.credit",
    # Non-contact enforcement
    "nuanxin.laws",
    "nuanxin.violations",
    "nuanxin.documents",
    "nuanxin.evidence",
    "nuanxin.deliveries",
    "nuanxin.cases",
    # Shared bikes
    "nuanxin.bikes",
    "nuanxin.mds",
    "nuanxin.compliance",
    "nuanxin.notices",
    "nuanxin.opcredit",
    # 一网感知 and 运演
    "nuanxin.insight",
    "nuanxin.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "nuanxin.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "nuanxin.core.middleware.HtmxLoginRedirectMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "nuanxin.urls"
WSGI_APPLICATION = "nuanxin.wsgi.application"

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
                "django.template.context_processors.i18n",
                "nuanxin.core.context_processors.platform",
            ],
        },
    }
]

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'nuanxin.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
    )
}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with writers queued on a lock file (nuanxin/core/sqlite_writer).
    DATABASES["default"]["ENGINE"] = "nuanxin.core.sqlite_writer"
    # Named explicitly: test runners only recognise the stock engine as SQLite.
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # Persistent connections matter on SQLite too: a new connection re-parses the whole
    # schema on its first query (~7 ms with ~150 tables).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        # WAL lets the web server read while the worker writes. The default 2 MB page cache
        # is far too small for the ingest tables' random-key indexes (UUIDs): each process
        # keeps up to SQLITE_CACHE_MB of hot pages (memory is only taken as pages are read).
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA cache_size=-{envint('SQLITE_CACHE_MB', 128) * 1024}; "
            "PRAGMA temp_store=MEMORY; "
            # An ingest batch dirties ~3,000 pages (random UUID keys, bike rows): at the default
            # 1,000-page checkpoint every commit also copied pages back and fsynced. Our
            # backend checkpoints passively after each process's writes, outside the writer
            # queue (core/sqlite_writer); SQLite's automatic checkpoint, which runs inside a
            # COMMIT, is only the backstop at 32,000 pages (128 MB). The WAL file is cut back
            # to 64 MB after each checkpoint.
            f"PRAGMA wal_autocheckpoint={envint('SQLITE_WAL_CHECKPOINT_PAGES', 32000)}; "
            "PRAGMA journal_size_limit=67108864; "
            f"PRAGMA mmap_size={envint('SQLITE_MMAP_MB', 1024) * 1024 * 1024};"
        ),
        "transaction_mode": "IMMEDIATE",
    }
if envstr("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(envstr("DATABASE_REPLICA_URL"))
# Report reads (dashboard, consistency report, heat maps) go to "replica" when it exists.
DATABASE_ROUTERS = ["nuanxin.core.dbrouters.ReportsReplicaRouter"]
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/staff/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_ENABLED = envbool("AXES_ENABLED", True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG or DEMO_MODE or TESTING
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))

# Files: the local filesystem by default; S3-compatible object storage when configured.
STORAGES: dict[str, dict] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if envstr("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": envstr("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": envstr("AWS_S3_ENDPOINT_URL") or None,
            "region_name": envstr("AWS_S3_REGION_NAME") or None,
            "access_key": envstr("AWS_ACCESS_KEY_ID"),
            "secret_key": envstr("AWS_SECRET_ACCESS_KEY"),
            "file_overwrite": False,
        },
    }

# Outbound gateways. Console/file backends by default; real gateways by URL.
EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "noreply@nuanxin.local")
SMS_GATEWAY_URL = envstr("SMS_GATEWAY_URL")  # empty: SMS are written to the outbox log
SMS_GATEWAY_TOKEN = envstr("SMS_GATEWAY_TOKEN")
TSA_URL = envstr("TSA_URL")  # optional RFC 3161 time-stamping authority

# Signing keys for seals and signatures (see documents app).
SIGNING_KEYS_DIR = Path(envstr("SIGNING_KEYS_DIR", str(VAR_DIR / "keys")))

# Shared-bike loop.
FIX_WINDOW_SECONDS = envint("FIX_WINDOW_SECONDS", 0) or None  # None: use policy data
WORKER_POLL_SECONDS = float(envstr("WORKER_POLL_SECONDS", "1.0"))

# Production hardening: `manage.py check --deploy` is clean when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not (DEBUG or DEMO_MODE or TESTING))
SESSION_COOKIE_SECURE = not (DEBUG or DEMO_MODE or TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if (DEBUG or DEMO_MODE) else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts only from this site (no inline script, no eval); see nuanxin/core/middleware.py.
# An empty CONTENT_SECURITY_POLICY turns the header off.
CONTENT_SECURITY_POLICY = envstr(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# Operators' webhooks may go to private or loopback addresses only in development and
# tests; in production only to public ones (nuanxin/notices/webhooks.py, SSRF).
WEBHOOK_ALLOW_PRIVATE = envbool("WEBHOOK_ALLOW_PRIVATE", DEBUG or DEMO_MODE or TESTING)
SESSION_COOKIE_HTTPONLY = True
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload is the operator's choice
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if envstr("CACHE_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": envstr("CACHE_URL"),
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
