"""Settings shared by every environment. Everything environment-specific comes from env.

With no environment at all the product runs on embedded defaults: SQLite under var/ and
kombu's filesystem transport as the Celery broker (no server needed).
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from ordermgmt.network import parse_trusted_proxies

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# An optional .env next to manage.py; real environment variables win over it.
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
# A persistent connection killed under Django would make the next request a 500 without this.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Per-process memory by default; production can share one cache, e.g. DJANGO_CACHE_URL=redis://host:6379/2.
CACHES = {"default": env.cache_url("DJANGO_CACHE_URL", default="locmemcache://")}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",  # only for migrating its plain-text tokens to hashed ones (ordermgmt 0005)
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "pgtrigger",
    "pghistory",
    "ordermgmt",
    "approvals",
    "cases",
    "licenses",
    "subscriptions",
    "kpis",
    "search",
    "webhooks",
    "imports",
    "demo",
]

MIDDLEWARE = [
    "ordermgmt.logs.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ordermgmt.middleware.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ordermgmt.middleware.HistoryMiddleware",
    "ordermgmt.middleware.ContentSecurityPolicyMiddleware",
    "ordermgmt.middleware.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "ordermgmt.urls"
WSGI_APPLICATION = "ordermgmt.wsgi.application"
AUTH_USER_MODEL = "ordermgmt.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

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
                "ordermgmt.context_processors.navigation",
            ],
            # `|local`, `|in_zone`, `{% region_and_local %}` on every page: times name their zone (ordermgmt/zones.py)
            "builtins": ["ordermgmt.templatetags.zones"],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# Uploaded documents: size cap and the types we accept (sniffed from content, not the name).
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"  # the one framed view (a PDF shown inline on the review page) opts in to SAMEORIGIN

# API tokens (django-rest-knox): stored as SHA-512 digests, "Authorization: Token <token>" as before. A person's
# token expires after API_TOKEN_TTL_DAYS; integration users' tokens never expire (they are rotated).
KNOX_TOKEN_MODEL = "ordermgmt.ApiToken"
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
REST_KNOX = {"TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS), "AUTH_HEADER_PREFIX": "Token"}
# knox's own migrations create its default token table even when the model is swapped for ours: skip them.
MIGRATION_MODULES = {"knox": None}

# Which X-Forwarded-For hop is the client (ordermgmt.network): unset = REMOTE_ADDR; a count of our proxies; or CIDRs.
TRUSTED_PROXIES = parse_trusted_proxies(env.str("DJANGO_TRUSTED_PROXIES", default=""))
AXES_CLIENT_IP_CALLABLE = "ordermgmt.network.client_ip"

# Login throttling (django-axes): 5 failures lock the username+IP pair for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
# The public address of the product: links in emails are absolute on it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="order-management@example.com")

# Outbound webhooks (README, "Webhooks"): the request's timeouts, and the retries: the first WEBHOOK_RETRY_BASE_SECONDS
# after a failure, doubling up to WEBHOOK_RETRY_MAX_SECONDS, given up after WEBHOOK_MAX_ATTEMPTS attempts. Receivers
# on private, loopback or link-local addresses are refused unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES (development).
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=4 * 3600)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env.float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so an anonymous request gets 401 with a WWW-Authenticate header.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON is the only request body type; the upload actions declare MultiPartParser themselves. One content type
    # per operation keeps the schema honest and generated clients (openapi-python-client) working.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "ordermgmt.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "ordermgmt.api.filtering.StableOrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ordermgmt.api.exception_handler.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": "20/min"},
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Order Management API",
    "DESCRIPTION": "Opportunity booking approvals, queues, cases, license delivery, reconciliation and KPIs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Enum components, then the shared error components on every operation (ordermgmt/api/schema.py).
    "PREPROCESSING_HOOKS": ["ordermgmt.api.schema.unversioned_or_v1"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ordermgmt.api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RegionCodeEnum": "ordermgmt.models.Region.Code",
        "ReconciliationRunKindEnum": "subscriptions.models.ReconciliationRun.Kind",
        "DiscrepancyKindEnum": "subscriptions.models.Discrepancy.Kind",
        "SubscriptionStatusEnum": "subscriptions.models.Subscription.Status",
        "ReconciliationRunStatusEnum": "subscriptions.models.ReconciliationRun.Status",
        "DiscrepancyStatusEnum": "subscriptions.models.Discrepancy.Status",
        "CaseStatusEnum": "cases.models.Case.Status",
        "CorrectionKindEnum": "approvals.models.Correction.Kind",
    },
}

# Celery. Default broker: kombu's filesystem transport under var/, because it needs no server
# and no extra package, and works across the web, worker and beat processes of one machine.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker" / "out"),
        "data_folder_out": str(VAR_DIR / "broker" / "out"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {"visibility_timeout": 3600}
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for folder in (
        CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"],
        CELERY_BROKER_TRANSPORT_OPTIONS["processed_folder"],
        CELERY_BROKER_TRANSPORT_OPTIONS["control_folder"],
    ):
        Path(folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else f"file://{VAR_DIR / 'celery-results'}",
)
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# A killed pool child's task is redelivered rather than lost; every acks_late task is idempotent.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "ordermgmt.beat:SettingsSeededScheduler"

# The fiscal year starts on the 1st of this month (GitLab's on 1 February) and is named by the calendar year it ends
# in: FY27 = 2026-02-01..2027-01-31. Its quarters are the KPI quarters, the CSAT quarter and the quarter close.
FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=2)
if not 1 <= FISCAL_YEAR_START_MONTH <= 12:
    raise ImproperlyConfigured(f"FISCAL_YEAR_START_MONTH must be 1..12, not {FISCAL_YEAR_START_MONTH}.")
FISCAL_QUARTER_START_MONTHS = ",".join(str((FISCAL_YEAR_START_MONTH - 1 + 3 * k) % 12 + 1) for k in range(4))
# The one place where periodic jobs are declared (the scheduler adds the missing ones to its tables,
# where an admin can move them). Every job is idempotent per period anyway.
CELERY_BEAT_SCHEDULE = {
    "outbox-drain": {"task": "ordermgmt.tasks.outbox_drain", "schedule": timedelta(seconds=30)},
    # Webhook deliveries that are due and that no message carries (broker down at commit, a killed worker).
    "webhook-deliveries-sweep": {"task": "webhooks.tasks.webhook_deliveries_sweep", "schedule": timedelta(seconds=30)},
    # At-risk and breach alerts, once each, sent in the queue region's business hours.
    "sla-alerts": {"task": "approvals.tasks.sla_alerts_send", "schedule": timedelta(minutes=5)},
    # Out of office: hand claimed items to the backup at its start, back at its end.
    "coverage-sweep": {"task": "approvals.tasks.coverage_sweep", "schedule": timedelta(minutes=5)},
    # 15-day rule: held deals close as Won on their booking date (hourly: idempotent, so a missed run catches up).
    "held-bookings-close": {"task": "approvals.tasks.held_bookings_close", "schedule": crontab(minute=10)},
    "license-review-apac": {
        "task": "licenses.tasks.license_review_run",
        "schedule": crontab(hour=1, minute=0),
        "kwargs": {"region": "APAC"},
    },
    "license-review-emea": {
        "task": "licenses.tasks.license_review_run",
        "schedule": crontab(hour=7, minute=0),
        "kwargs": {"region": "EMEA"},
    },
    "license-review-amer": {
        "task": "licenses.tasks.license_review_run",
        "schedule": crontab(hour=15, minute=0),
        "kwargs": {"region": "AMER"},
    },
    "renewal-reconciliation-weekly": {
        "task": "subscriptions.tasks.reconciliation_run_start",
        "schedule": crontab(hour=5, minute=0, day_of_week="mon"),
        "kwargs": {"kind": "renewals"},
    },
    "bookings-reconciliation-monthly": {
        "task": "subscriptions.tasks.reconciliation_run_start",
        "schedule": crontab(hour=6, minute=0, day_of_month="5"),
        "kwargs": {"kind": "bookings"},
    },
    "kpi-digest-weekly": {
        "task": "kpis.tasks.kpi_digest_send",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    # The CSAT survey of the fiscal quarter that just closed, on its first days (idempotent: once per quarter).
    "csat-invitations-quarterly": {
        "task": "kpis.tasks.csat_invitations_send",
        "schedule": crontab(hour=9, minute=0, day_of_month="1-3", month_of_year=FISCAL_QUARTER_START_MONTHS),
    },
}

# JSON lines (time, level, logger, message, request id, user id) by default; DJANGO_LOG_FORMAT=text for a console.
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "ordermgmt.logs.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s user=%(user_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Reconciliation fixes applied by the run itself (unambiguous: one field set to the subscription's value);
# every other finding waits for a specialist. Empty to review everything by hand.
RECONCILIATION_AUTO_APPLY_KINDS = env.list(
    "RECONCILIATION_AUTO_APPLY_KINDS", default=["arr_basis_mismatch", "start_date_mismatch"]
)

# The SLA every submission is held to, in business hours of its region.
APPROVAL_SLA_BUSINESS_HOURS = 12

# How old the KPI figures (dashboard, /api/kpis/, CSV) may be: they are cached per scope for this long and carry
# their `computed_at`. Drill-downs are always read live.
KPI_MAX_AGE_SECONDS = env.int("KPI_MAX_AGE_SECONDS", default=60)

# Audit trail (django-pghistory): database triggers record every insert and update, bulk ones included,
# with the request's user as context; the event tables are append-only (a trigger refuses UPDATE/DELETE).
PGHISTORY_APPEND_ONLY = True
