"""Settings shared by every environment. Environment variables override the defaults.

SQLite is the embedded default (`make run` needs nothing installed); set DATABASE_URL for PostgreSQL.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean environment variable ("1", "true", "yes" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "simple_history",
    "axes",
    "finbridge.core",
    "finbridge.reference",
    "finbridge.accounts",
    "finbridge.audit",
    "finbridge.enterprises",
    "finbridge.financing",
    "finbridge.riskpool",
    "finbridge.supplychain",
    "finbridge.notifications",
    "finbridge.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "finbridge.notifications.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "finbridge" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "finbridge.accounts.context_processors.navigation",
                "finbridge.notifications.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "finbridge.accounts.views.lockout_response"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"

# Uploads: spreadsheets up to 20 MB (about 100,000 rows).
FINBRIDGE_IMPORT_MAX_BYTES = int(os.environ.get("FINBRIDGE_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Days between verifications of an enterprise record by its managing authority.
FINBRIDGE_VERIFICATION_INTERVAL_DAYS = int(os.environ.get("FINBRIDGE_VERIFICATION_INTERVAL_DAYS", "365"))
FINBRIDGE_DEMO_PASSWORD = os.environ.get("FINBRIDGE_DEMO_PASSWORD", "finbridge-demo")
FINBRIDGE_INVITATION_DAYS = 7
# Imports of more data rows than this run in the background (Celery); smaller ones in the request.
FINBRIDGE_IMPORT_BACKGROUND_ROWS = int(os.environ.get("FINBRIDGE_IMPORT_BACKGROUND_ROWS", "5000"))
# Queued or running imports older than this are marked failed (a worker died).
FINBRIDGE_IMPORT_STALE_MINUTES = int(os.environ.get("FINBRIDGE_IMPORT_STALE_MINUTES", "120"))
# A stress test waiting or running for longer than this is marked failed (riskpool.fail_stale_stress_runs).
FINBRIDGE_STRESS_STALE_MINUTES = int(os.environ.get("FINBRIDGE_STRESS_STALE_MINUTES", "30"))
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite ignores their extra columns, which is harmless.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Demo loaders run by `seed_demo` after the registry, in order: each takes `seed` and returns {what: count}.
FINBRIDGE_DEMO_LOADERS = [
    "finbridge.financing.demo.seed_financing",
    "finbridge.riskpool.demo.seed_riskpool",
    "finbridge.supplychain.demo.seed_supplychain",
]
# Working days (official Chinese calendar) an institution has to take up or pass a demand it sees.
FINBRIDGE_RESPONSE_WORKING_DAYS = int(os.environ.get("FINBRIDGE_RESPONSE_WORKING_DAYS", "2"))

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The address of the site, for links in e-mails.
SITE_URL = os.environ.get("FINBRIDGE_SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "FinBridge <noreply@finbridge.local>")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so that a caller without credentials gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "finbridge.core.pagination.CappedPageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "finbridge.core.api.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FinBridge API",
    "DESCRIPTION": "MSME financing service platform. Amounts are CNY yuan as decimal strings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set that several serializers use.
    "ENUM_NAME_OVERRIDES": {
        "ProductKindEnum": "finbridge.financing.choices.ProductKind",
        "ProductStatusEnum": "finbridge.financing.choices.ProductStatus",
        "ImportStatusEnum": "finbridge.enterprises.choices.ImportStatus",
        "CollateralEnum": "finbridge.financing.choices.Collateral",
        "DemandStatusEnum": "finbridge.financing.choices.DemandStatus",
        "EngagementStatusEnum": "finbridge.financing.choices.EngagementStatus",
        "ResponseKindEnum": "finbridge.financing.choices.ResponseKind",
        "DeclineReasonEnum": "finbridge.financing.choices.DeclineReason",
        "SizeClassEnum": "finbridge.enterprises.choices.SizeClass",
        "TechLabelEnum": "finbridge.enterprises.choices.TechLabel",
        "LoanClassificationEnum": "finbridge.financing.choices.LoanClassification",
        "DemandPurposeEnum": "finbridge.financing.choices.DemandPurpose",
        "RoleEnum": "finbridge.accounts.choices.Role",
        "OrgTypeEnum": "finbridge.accounts.choices.OrgType",
        "PoolStatusEnum": "finbridge.riskpool.choices.PoolStatus",
        "CapacityBasisEnum": "finbridge.riskpool.choices.CapacityBasis",
        "MemberRoleEnum": "finbridge.riskpool.choices.MemberRole",
        "MemberStatusEnum": "finbridge.riskpool.choices.MemberStatus",
        "SuspensionActionEnum": "finbridge.riskpool.choices.SuspensionAction",
        "SuspensionCauseEnum": "finbridge.riskpool.choices.SuspensionCause",
        "EnrolmentStatusEnum": "finbridge.riskpool.choices.EnrolmentStatus",
        "ClaimStatusEnum": "finbridge.riskpool.choices.ClaimStatus",
        "ClaimDecisionEnum": "finbridge.riskpool.choices.ClaimDecision",
        "ClaimDocumentKindEnum": "finbridge.riskpool.choices.ClaimDocumentKind",
        "OwedStatusEnum": "finbridge.riskpool.choices.OwedStatus",
        "AccountEnum": "finbridge.riskpool.choices.Account",
        "EntryKindEnum": "finbridge.riskpool.choices.EntryKind",
        "AlertKindEnum": "finbridge.riskpool.choices.AlertKind",
        "StressRunStatusEnum": "finbridge.riskpool.choices.StressRunStatus",
        "ClaimActionEnum": "finbridge.riskpool.choices.ClaimAction",
        "PoolReleaseReasonEnum": "finbridge.riskpool.choices.ReleaseReason",
        "PoolCategoryEnum": "finbridge.riskpool.sharing.Category",
        "PoolPartyEnum": "finbridge.riskpool.sharing.Party",
        "PoolFlagEnum": "finbridge.riskpool.sharing.Flag",
        "PoolCapEnum": "finbridge.riskpool.sharing.Cap",
        "ReceivableStatusEnum": "finbridge.supplychain.choices.ReceivableStatus",
        "ReceivableSourceEnum": "finbridge.supplychain.choices.ReceivableSource",
        "ConfirmationMethodEnum": "finbridge.supplychain.choices.ConfirmationMethod",
        "FinancingRequestStatusEnum": "finbridge.supplychain.choices.FinancingRequestStatus",
        "OfferStatusEnum": "finbridge.supplychain.choices.OfferStatus",
        "RegistrationKindEnum": "finbridge.supplychain.choices.RegistrationKind",
        "RegistrationStatusEnum": "finbridge.supplychain.choices.RegistrationStatus",
        "VoucherStatusEnum": "finbridge.supplychain.choices.VoucherStatus",
        "VoucherOriginEnum": "finbridge.supplychain.choices.VoucherOrigin",
        "PayeeRoleEnum": "finbridge.supplychain.choices.PayeeRole",
        "RegistrationReleaseReasonEnum": "finbridge.supplychain.choices.ReleaseReason",
        "ChainDirectionEnum": "finbridge.supplychain.models.chain.ChainDirection",
        "ChainPartnerStatusEnum": "finbridge.supplychain.models.chain.ChainPartnerStatus",
        "RecommendationStatusEnum": "finbridge.supplychain.models.chain.RecommendationStatus",
    },
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Task modules other than an app's tasks.py (autodiscovery finds only those).
CELERY_IMPORTS = (
    "finbridge.financing.tasks_deadlines",
    "finbridge.financing.tasks_matching",
    "finbridge.riskpool.tasks",
    "finbridge.supplychain.tasks",
)
CELERY_BEAT_SCHEDULE = {
    # Idempotent: flags overdue answers once, escalates once, expires demands past their date.
    "financing-demand-deadlines": {"task": "financing.check_demand_deadlines", "schedule": crontab(minute=10)},
    # Just after midnight local time: a one-year LPR entered ahead of its date re-prices floating products.
    "financing-reprice-on-new-lpr": {"task": "financing.reprice_on_new_lpr", "schedule": crontab(hour=0, minute=5)},
    "fail-stale-enterprise-imports": {
        "task": "finbridge.enterprises.tasks.fail_stale_enterprise_imports",
        "schedule": 300.0,
    },
    # Just after midnight local time (migration 0006 counts days in TIME_ZONE): consents that expired leave
    # the denormalised consent columns (enterprises migration 0005). Visibility is exact before that too.
    "enterprises-expired-consent-columns": {
        "task": "enterprises.refresh_expired_consent_columns",
        "schedule": crontab(hour=0, minute=2),
    },
    # Risk pool, every morning after the night's loan status imports, in this order: release repaid loans
    # (frees capacity), suspend or resume banks by their non-performing ratio, then check every ledger.
    "riskpool-release-repaid": {"task": "riskpool.release_repaid_enrolments", "schedule": crontab(hour=5, minute=0)},
    "riskpool-check-risk": {"task": "riskpool.check_risk", "schedule": crontab(hour=5, minute=20)},
    "riskpool-check-ledgers": {"task": "riskpool.check_ledgers", "schedule": crontab(hour=5, minute=40)},
    # Stress tests whose worker never came or died stop waiting (FINBRIDGE_STRESS_STALE_MINUTES).
    "riskpool-fail-stale-stress-runs": {"task": "riskpool.fail_stale_stress_runs", "schedule": 300.0},
    # Supply chain, just after midnight local time: flag receivables past their due date (notifies every
    # party once) and close financing requests whose answer date has passed.
    "supplychain-flag-overdue": {
        "task": "supplychain.flag_overdue_receivables",
        "schedule": crontab(hour=0, minute=15),
    },
    "supplychain-refresh-overview-months": {
        "task": "supplychain.refresh_overview_months",
        "schedule": crontab(hour=0, minute=40),
    },
    "supplychain-close-expired-requests": {
        "task": "supplychain.close_expired_financing_requests",
        "schedule": crontab(hour=0, minute=25),
    },
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

SITE_NAME = _("FinBridge")
