"""Settings of the Estuary Portal.

Everything comes from the environment (see the README's table). Every setting has an embedded
default that needs no service: SQLite under var/, Celery over kombu's filesystem transport under
var/, files under var/, mail printed to the console. Production sets DATABASE_URL, REDIS_URL,
SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from portal.storage import object_storages

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is a convenience for development; the environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Absolute, whatever the environment says: caches and storages refuse relative paths.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# Without DEBUG this is production: a known key would let anyone forge sessions and signed
# links, and a default host list answers for hosts it should not. Refuse to start instead.
_unset = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not DEBUG and not env.str(name, "")]
if _unset:
    raise ImproperlyConfigured(
        f"DEBUG is off (production) and {' and '.join(_unset)} "
        f"{'is' if len(_unset) == 1 else 'are'} not set: set "
        f"{' and '.join(_unset)} in the environment, or DEBUG=1 for development."
    )
SECRET_KEY = env(
    "SECRET_KEY",
    default="django-insecure-development-key-set-SECRET_KEY-in-production",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "django_filters",
    "ninja",
    "allauth.mfa",
    "portal",
    "downloads",
    "builds",
    "docs_app",
    "forum",
    "lists",
    "bugs",
    "lab",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.HeadWithoutBodyMiddleware",
    "portal.middleware.RequestSizeLimitMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.ratelimits.RetryAfterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Signed-out pages from the cache in one round trip: before sessions, users, the database.
    "portal.middleware.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # The user and their groups from the cache: no query per request (portal/users.py).
    "portal.users.CachedAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.mfa.SecondFactorAdminMiddleware",
    # Signed-in readers' pages shared by their kind, their own parts filled in: after the user.
    "portal.middleware.ReaderPageCacheMiddleware",
]
if DEBUG:
    # make run: the site's own 404 page instead of Django's list of URL patterns.
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.common.CommonMiddleware") + 1,
                      "portal.middleware.SiteNotFoundMiddleware")  # fmt: skip

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.site",
                "portal.context_processors.notifications",
            ],
        },
    },
]
# Django's, with select boxes written in Python (each option was a template include of its own).
FORM_RENDERER = "portal.forms.QuickSelectRenderer"

# --- Data -----------------------------------------------------------------------------------

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default is shared by the web server and the worker's processes: take the
    # write lock when a transaction begins (no read-to-write upgrade that fails at once with
    # "database is locked") and wait for it rather than fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
# A PostgreSQL streaming replica: read-only pages read from it (portal/replica.py), everything
# else and every migration uses the primary. Tests point it at the primary's test database.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
# After a request wrote, its browser reads from the primary this long (the replica's lag).
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["portal.replica.ReplicaRouter"]
    MIDDLEWARE.insert(1, "portal.replica.ReplicaMiddleware")  # before sessions and auth read
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open: with Redis unreachable, pages and downloads are served uncached.
            "BACKEND": "portal.cache_backends.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="estuary"),
            "TIMEOUT": 600,
            # A host that does not answer costs a second, not a hung worker.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    # One cache for every process of make run (web server, worker, beat): files under var/.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="estuary"),
            "TIMEOUT": 600,
        }
    }
# How long a whole page is kept for signed-out readers (portal/page_cache.py). Every saved row
# makes kept pages stale at once; this bounds what no save announces: counters moved with
# update() and "3 minutes ago". 0 keeps nothing.
ANONYMOUS_PAGE_SECONDS = env.int("ANONYMOUS_PAGE_SECONDS", default=120)
# A kept page only older than that is rendered anew by a Celery task, away from its readers
# (portal/page_cache.py); off, the reader who finds it renders it.
PAGE_RENEWAL_IN_TASKS = env.bool("PAGE_RENEWAL_IN_TASKS", default=True)

MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
ARTIFACTS_ROOT = Path(env("ARTIFACTS_ROOT", default=str(VAR_DIR / "artifacts")))
# Folders from which release managers may attach files already on the server.
ARTIFACT_IMPORT_DIRS = env.list("ARTIFACT_IMPORT_DIRS", default=[str(VAR_DIR / "incoming")])
# With nginx in front, downloads are handed to it: e.g. /protected-artifacts/ (see README).
DOWNLOADS_X_ACCEL_PREFIX = env("DOWNLOADS_X_ACCEL_PREFIX", default="")
# GnuPG home and key used to sign SHA256SUMS. Without SIGNING_KEY_ID, the key made by
# `python manage.py signing_key create` in GNUPG_HOME signs; with neither, releases are unsigned
# (a warning says so), or refused when REQUIRE_SIGNING is on (production).
GNUPG_HOME = env("GNUPG_HOME", default=str(VAR_DIR / "gnupg"))
SIGNING_KEY_ID = env("SIGNING_KEY_ID", default="")
REQUIRE_SIGNING = env.bool("REQUIRE_SIGNING", default=False)
# Publishing a release writes its news item: a draft for staff to edit first (True), or
# published with the release (False).
RELEASE_NEWS_DRAFT = env.bool("RELEASE_NEWS_DRAFT", default=False)
# Who opens a release's forum topic when nobody is signed in (the nightly auto-publish).
RELEASE_ANNOUNCER = env("RELEASE_ANNOUNCER", default="estuary-releases")

STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    },
    "artifacts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ARTIFACTS_ROOT, "base_url": "/downloads/files/"},
    },
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        ),
    },
}
# Release files and bug attachments on S3-compatible object storage (MinIO, Ceph RGW, a cloud's
# S3) when a bucket is named: every web and build host then shares them without a shared disk.
# Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as boto3 reads them.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
# Received uploads and build outputs wait here (on the host's disk) before they are sent.
ARTIFACTS_STAGING_ROOT = Path(env("ARTIFACTS_STAGING_ROOT", default=str(VAR_DIR / "staging")))
# How long a download's signed URL stays valid: long enough to start, short enough not to share.
ARTIFACTS_URL_EXPIRE = env.int("ARTIFACTS_URL_EXPIRE", default=300)
if AWS_STORAGE_BUCKET_NAME:
    STORAGES.update(
        object_storages(
            bucket=AWS_STORAGE_BUCKET_NAME,
            endpoint_url=env("AWS_S3_ENDPOINT_URL", default=None),
            region_name=env("AWS_S3_REGION_NAME", default=None),
            addressing_style=env("AWS_S3_ADDRESSING_STYLE", default=None),
            url_expire=ARTIFACTS_URL_EXPIRE,
        )
    )
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from the source folders when collectstatic has not run (development, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- People ---------------------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Estuary] "
ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
# allauth's rate limits (sign-up, log-in, password reset) stay on at their defaults
# (ACCOUNT_RATE_LIMITS unset); they count in the cache, which is Redis in production.

# Two-factor authentication (portal/mfa.py): an authenticator app and recovery codes; required
# of staff, release managers and moderators before they publish, build, moderate or administer.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Estuary"
SECOND_FACTOR_REQUIRED = env.bool("SECOND_FACTOR_REQUIRED", default=True)

# The site's own limits (portal/ratelimits.py), per IP address and per account: "N/m", "N/h",
# "N/10m". RATE_LIMITS_ENABLED=0 turns them off (a load test from one address).
RATE_LIMITS_ENABLED = env.bool("RATE_LIMITS_ENABLED", default=True)
RATE_LIMITS = {
    "search": {"ip": "60/m", "user": "120/m"},
    "post": {"ip": "60/10m", "user": "30/10m"},
    "file": {"ip": "30/h", "user": "20/h"},
    "api": {"ip": "300/m", "user": "600/m"},
}

# --- Mail -----------------------------------------------------------------------------------

# EMAIL_URL: consolemail:// (default), smtp://user:pass@host:587, smtp+tls://..., filemail://path
_email = env.email_url("EMAIL_URL", default="consolemail://")
_mail_options: dict = {}
if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
    _mail_options = {
        "host": _email["EMAIL_HOST"],
        "port": _email["EMAIL_PORT"] or 25,
        "username": _email["EMAIL_HOST_USER"],
        "password": _email["EMAIL_HOST_PASSWORD"],
        "use_tls": _email.get("EMAIL_USE_TLS", False),
        "use_ssl": _email.get("EMAIL_USE_SSL", False),
        "timeout": 20,
    }
elif _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    _mail_options = {"file_path": "/" + _email["EMAIL_FILE_PATH"]}
elif _email["EMAIL_BACKEND"].endswith("console.EmailBackend"):
    # Printed readable (decoded text, whole links), not in quoted-printable wire format.
    _email["EMAIL_BACKEND"] = "portal.mail.ReadableConsoleBackend"
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _mail_options}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Estuary <noreply@estuary.localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
ADMINS = [a for a in env.list("ADMINS", default=[]) if a]

# --- Languages ------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Celery ---------------------------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 4 * 3600}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange bindings; kombu's default is ./control in whatever folder the process runs.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Builds run on their own queue so long jobs never hold up mail and housekeeping: each recipe
# names its queue (BuildRecipe.queue, "builds" by default), and builds/services.py sends there.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Builds ---------------------------------------------------------------------------------

# Each build runs in a fresh folder under this root on the worker, removed when it ends.
BUILD_WORKSPACE_ROOT = Path(env("BUILD_WORKSPACE_ROOT", default=str(VAR_DIR / "builds")))
# $JOBS in a recipe's environment; 0 means the worker's CPU count.
BUILD_JOBS = env.int("BUILD_JOBS", default=0)
# A running build writes a heartbeat (and sees a cancel request) at least this often.
BUILD_HEARTBEAT_SECONDS = env.float("BUILD_HEARTBEAT_SECONDS", default=2.0)
# The reaper (every BUILD_REAP_SECONDS) fails running builds whose heartbeat is older than this:
# a build whose worker died is failed within a minute.
BUILD_STALE_AFTER_SECONDS = env.int("BUILD_STALE_AFTER_SECONDS", default=30)
BUILD_REAP_SECONDS = env.float("BUILD_REAP_SECONDS", default=15.0)
# A queued build no worker took within this long is ended as failed.
BUILD_QUEUED_EXPIRE_SECONDS = env.int("BUILD_QUEUED_EXPIRE_SECONDS", default=24 * 3600)
# Cancel and timeout send SIGTERM to the recipe's process group, then SIGKILL after this grace.
BUILD_KILL_GRACE_SECONDS = env.int("BUILD_KILL_GRACE_SECONDS", default=10)
# Longest log kept per build; past it the output is drained but not stored.
BUILD_LOG_MAX_BYTES = env.int("BUILD_LOG_MAX_BYTES", default=64 * 1024 * 1024)
# A boot test in QEMU fails when ESTUARY-BOOT-OK is not on the console within this long.
BOOT_TEST_TIMEOUT_SECONDS = env.int("BOOT_TEST_TIMEOUT_SECONDS", default=180)
# Kept between builds on a worker (downloaded packages): $CACHE_DIR of the recipes.
BUILD_CACHE_DIR = Path(env("BUILD_CACHE_DIR", default=str(VAR_DIR / "build-cache")))
# Debian mirror for the recipes that fetch packages; empty: the worker's own apt sources.
BUILD_DEBIAN_MIRROR = env("BUILD_DEBIAN_MIRROR", default="")
# A nightly pre-release of every enabled recipe, published when all its builds succeeded.
BUILD_NIGHTLY_ENABLED = env.bool("BUILD_NIGHTLY_ENABLED", default=True)
BUILD_NIGHTLY_HOUR = env.int("BUILD_NIGHTLY_HOUR", default=2)
BUILD_NIGHTLY_MINUTE = env.int("BUILD_NIGHTLY_MINUTE", default=0)
BUILD_NIGHTLY_VERSION = env("BUILD_NIGHTLY_VERSION", default="nightly-%Y%m%d")
BUILD_NIGHTLY_AUTOPUBLISH = env.bool("BUILD_NIGHTLY_AUTOPUBLISH", default=True)

CELERY_BEAT_SCHEDULE: dict = {
    # Download counts wait in Redis and reach the database here (downloads/services/counts.py).
    "downloads-flush-counts": {
        "task": "downloads.flush_download_counts",
        "schedule": env.float("DOWNLOAD_COUNTS_FLUSH_SECONDS", default=60.0),
    },
    # The builds' outbox: queued builds whose message never reached the broker are sent again.
    "builds-send-queued": {
        "task": "builds.send_queued",
        "schedule": 30.0,
    },
    "builds-reap": {
        "task": "builds.reap_builds",
        "schedule": BUILD_REAP_SECONDS,
    },
    # Every other section's outbox (portal/outbox.py): mail, web replies, imports kept while
    # the broker was away.
    "portal-send-pending-tasks": {
        "task": "portal.send_pending_tasks",
        "schedule": 30.0,
    },
}
# One mail a day per person with the notifications they chose to get as a digest.
NOTIFICATION_DIGEST_HOUR = env.int("NOTIFICATION_DIGEST_HOUR", default=7)
CELERY_BEAT_SCHEDULE["portal-daily-digests"] = {
    "task": "portal.send_daily_digests",
    "schedule": crontab(hour=NOTIFICATION_DIGEST_HOUR, minute=0),
}
if BUILD_NIGHTLY_ENABLED:
    CELERY_BEAT_SCHEDULE["builds-nightly"] = {
        "task": "builds.start_nightly_builds",
        "schedule": crontab(hour=BUILD_NIGHTLY_HOUR, minute=BUILD_NIGHTLY_MINUTE),
    }

# --- Security -------------------------------------------------------------------------------

# HTTPS is assumed in production (DEBUG=0); set HTTPS=0 to serve plain HTTP on a closed network.
HTTPS = env.bool("HTTPS", default=not DEBUG)
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# Trusted only because the proxy overwrites this header on every request (see the README).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Read from the cache (Redis, or make run's file cache), written through to the database: a
# signed-in request reads no session row, and a session outlives a flushed cache.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Everything is served from here: no CDN, no inline script without the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Site -----------------------------------------------------------------------------------

# API tokens never appear whole in a log line (portal/logs.py redacts every record's message);
# Django's error reports already hide the Authorization header (it matches "AUTH").
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Markdown: largest text a person may submit, in characters.
MARKUP_MAX_LENGTH = env.int("MARKUP_MAX_LENGTH", default=200_000)

# --- Forum ----------------------------------------------------------------------------------
# Limits for new accounts, after Discourse's defaults. "New" is trust level 0 (Profile);
# "first day" is the 24 hours after sign-up. Moderators and staff are never limited.
FORUM_TOPICS_PER_PAGE = env.int("FORUM_TOPICS_PER_PAGE", default=30)
FORUM_POSTS_PER_PAGE = env.int("FORUM_POSTS_PER_PAGE", default=20)
FORUM_FIRST_DAY_MAX_TOPICS = env.int("FORUM_FIRST_DAY_MAX_TOPICS", default=3)
FORUM_FIRST_DAY_MAX_REPLIES = env.int("FORUM_FIRST_DAY_MAX_REPLIES", default=10)
FORUM_NEW_USER_POST_INTERVAL = env.int("FORUM_NEW_USER_POST_INTERVAL", default=30)  # seconds
FORUM_POST_INTERVAL = env.int("FORUM_POST_INTERVAL", default=5)  # seconds, everyone
FORUM_NEW_USER_MAX_LINKS = env.int("FORUM_NEW_USER_MAX_LINKS", default=2)
FORUM_NEW_USER_MAX_ATTACHMENTS = env.int("FORUM_NEW_USER_MAX_ATTACHMENTS", default=0)
FORUM_DUPLICATE_WINDOW = env.int("FORUM_DUPLICATE_WINDOW", default=300)  # seconds
# A new user reaches trust level 1 after this many days and posts.
FORUM_TL1_MIN_DAYS = env.int("FORUM_TL1_MIN_DAYS", default=1)
FORUM_TL1_MIN_POSTS = env.int("FORUM_TL1_MIN_POSTS", default=3)
FORUM_DELETE_GRACE_MINUTES = env.int("FORUM_DELETE_GRACE_MINUTES", default=30)
FORUM_FLAGS_TO_HIDE = env.int("FORUM_FLAGS_TO_HIDE", default=3)
FORUM_MAX_ATTACHMENTS_PER_POST = env.int("FORUM_MAX_ATTACHMENTS_PER_POST", default=4)
# Every uploaded image (forum, docs, bug attachments) goes through portal/images.py.
IMAGE_MAX_BYTES = env.int("IMAGE_MAX_BYTES", default=5 * 1024 * 1024)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=4096 * 4096)
IMAGE_MAX_SIDE = env.int("IMAGE_MAX_SIDE", default=1600)  # larger ones are shrunk

# --- Bugs -----------------------------------------------------------------------------------

# Served only through the bug's page (a security bug's files must pass its check), never /media.
BUGS_ATTACHMENT_ROOT = Path(env("BUGS_ATTACHMENT_ROOT", default=str(VAR_DIR / "bug-attachments")))
# Uploaded mboxes wait here for their import, never under MEDIA_ROOT (served to anyone).
LISTS_UPLOAD_ROOT = Path(env("LISTS_UPLOAD_ROOT", default=str(VAR_DIR / "list-uploads")))
BUGS_ATTACHMENT_MAX_BYTES = env.int("BUGS_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

CELERY_BEAT_SCHEDULE["forum-flush-view-counts"] = {
    "task": "forum.flush_view_counts",
    "schedule": 300.0,
}

# --- Lab ------------------------------------------------------------------------------------
# The Open Lab's limits per person: the longest slot, and how many may be open at once.
LAB_MAX_SLOT_HOURS = env.int("LAB_MAX_SLOT_HOURS", default=8)
LAB_MAX_OPEN_SLOTS = env.int("LAB_MAX_OPEN_SLOTS", default=2)
# Caliper's three YAML files are read whole to be parsed: a ceiling on each keeps that cheap.
LAB_CALIPER_FILE_MAX_BYTES = env.int("LAB_CALIPER_FILE_MAX_BYTES", default=4 * 1024 * 1024)
LAB_BOOKING_DAYS_AHEAD = env.int("LAB_BOOKING_DAYS_AHEAD", default=28)
# The holder is mailed this long before the slot ends.
LAB_REMINDER_MINUTES = env.int("LAB_REMINDER_MINUTES", default=15)
CELERY_BEAT_SCHEDULE["lab-release-ended-slots"] = {
    "task": "lab.release_ended_slots",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["lab-slot-reminders"] = {
    "task": "lab.send_slot_reminders",
    "schedule": 60.0,
}

# --- Request sizes ----------------------------------------------------------------------------
# A body over its URL's ceiling is refused on its Content-Length, unread (portal.middleware).
# The ceiling is each form's own largest upload plus room for the rest of the form: forum posts
# carry up to FORUM_MAX_ATTACHMENTS_PER_POST images, bug forms one attachment; only release
# managers' pages and the admin (release images, mbox archives) take gigabytes.
_FORM_ROOM = 1024 * 1024
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=2 * _FORM_ROOM)
REQUEST_MAX_BYTES_BY_PATH = {
    "/forum/": FORUM_MAX_ATTACHMENTS_PER_POST * IMAGE_MAX_BYTES + _FORM_ROOM,
    "/docs/": IMAGE_MAX_BYTES + _FORM_ROOM,
    "/bugs/": BUGS_ATTACHMENT_MAX_BYTES + _FORM_ROOM,
    "/lab/caliper/upload/": 3 * LAB_CALIPER_FILE_MAX_BYTES + _FORM_ROOM,
    "/api/v1/lab/": 3 * LAB_CALIPER_FILE_MAX_BYTES + _FORM_ROOM,
    "/downloads/manage/": 8 * 1024**3,
    "/admin/": 8 * 1024**3,
}
