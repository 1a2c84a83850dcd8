"""Settings shared by every environment. Environment-specific modules import from here."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("GONGZHI_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("GONGZHI_SECRET_KEY", "dev-insecure-key-do-not-use-in-production")
DEBUG = False
ALLOWED_HOSTS: list[str] = ["127.0.0.1", "localhost", "[::1]"]

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "gongzhi.core",
    "gongzhi.accounts",
    "gongzhi.territory",
    "gongzhi.population",
    "gongzhi.party",
    "gongzhi.care",
    "gongzhi.cases",
    "gongzhi.open311",
    "gongzhi.grids",
    "gongzhi.assessment",
    "gongzhi.command",
    "gongzhi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gongzhi.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gongzhi.core.locale.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gongzhi.urls"
ASGI_APPLICATION = "gongzhi.asgi.application"
WSGI_APPLICATION = "gongzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gongzhi.core.context_processors.gongzhi",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'gongzhi.sqlite3'}"),
        conn_max_age=int(os.environ.get("GONGZHI_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids
    # "database is locked" on write upgrades inside transactions.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
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
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login lockout (django-axes): lock a username after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("GONGZHI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("GONGZHI_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
# Lock by username only: a street command centre shares one NAT address, and an IP lock would
# lock every dispatcher out when one mistypes. Usernames are not enumerable from outside.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call gets 401 with WWW-Authenticate, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "gongzhi.core.api.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "gongzhi.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gongzhi 共治 API",
    "DESCRIPTION": "党建引领基层治理平台 API. Every list is scoped to the caller's territory.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two vocabularies share the field name "role": name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "gongzhi.accounts.choices.Role",
        "PartyRoleEnum": "gongzhi.party.choices.PartyRoleKind",
        "CaseStateEnum": "gongzhi.cases.choices.State",
        "BodyKindEnum": "gongzhi.cases.choices.BodyKind",
        "PatrolStatusEnum": "gongzhi.grids.choices.PatrolStatus",
        "EntryKindEnum": "gongzhi.grids.choices.EntryKind",
    },
}

CHANNEL_LAYERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if os.environ.get("GONGZHI_REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["GONGZHI_REDIS_URL"]]},
        }
    }

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Field encryption for personal data (ID numbers, phones). See gongzhi/core/crypto.py.
GONGZHI_FIELD_KEY = os.environ.get("GONGZHI_FIELD_KEY", "")
GONGZHI_FIELD_KEY_FILE = Path(os.environ.get("GONGZHI_FIELD_KEY_FILE", VAR_DIR / "field.key"))

# Care files: days between visits by risk level (high, key, ordinary); seeds: weekly, monthly, quarterly.
_visit_days = [int(d) for d in os.environ.get("GONGZHI_CARE_VISIT_DAYS", "7,30,90").split(",")]
GONGZHI_CARE_VISIT_DAYS = dict(zip(["high", "key", "ordinary"], _visit_days, strict=True))

# Map tiles: an XYZ URL template for Leaflet. Empty (the default) draws no base map: the
# polygons still show, which is what an offline or intranet deployment needs. Coordinates are
# WGS-84; a GCJ-02 tile source (Gaode, Tencent) would be offset by a few hundred metres.
GONGZHI_MAP_TILES_URL = os.environ.get("GONGZHI_MAP_TILES_URL", "")
GONGZHI_MAP_TILES_ATTRIBUTION = os.environ.get("GONGZHI_MAP_TILES_ATTRIBUTION", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "gongzhi.core.context.RequestIdLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Cases (民情闭环). The category classifier's trained model (retrained by `manage.py classifier
# train` and the nightly task); when the file is missing it is trained from the shipped corpus.
GONGZHI_CLASSIFIER_PATH = Path(os.environ.get("GONGZHI_CLASSIFIER_PATH", VAR_DIR / "classifier.joblib"))
GONGZHI_SMS_BACKEND = os.environ.get("GONGZHI_SMS_BACKEND", "gongzhi.core.sms.LogBackend")
# Days a reporter has to rate a verified case before it closes unrated, and to reopen a closed one.
GONGZHI_CASE_RATING_DAYS = int(os.environ.get("GONGZHI_CASE_RATING_DAYS", "7"))
GONGZHI_CASE_REOPEN_DAYS = int(os.environ.get("GONGZHI_CASE_REOPEN_DAYS", "15"))
# 吹哨报到: minutes a summoned department has to report in.
GONGZHI_WHISTLE_REPORT_MINUTES = int(os.environ.get("GONGZHI_WHISTLE_REPORT_MINUTES", "30"))
# 并单 suggestions: open cases of the same category this close and this similar (bigram Jaccard).
GONGZHI_DUPLICATE_METRES = int(os.environ.get("GONGZHI_DUPLICATE_METRES", "300"))
GONGZHI_DUPLICATE_SIMILARITY = float(os.environ.get("GONGZHI_DUPLICATE_SIMILARITY", "0.2"))
# The address residents reach the platform at, for links sent by SMS (the reporter's rating link).
GONGZHI_PUBLIC_URL = os.environ.get("GONGZHI_PUBLIC_URL", "http://127.0.0.1:8000")
GONGZHI_REPORTER_LINK_DAYS = int(os.environ.get("GONGZHI_REPORTER_LINK_DAYS", "60"))
# Open311 GeoReport v2 (gongzhi.open311, ADR 0004).
GONGZHI_OPEN311_JURISDICTION = os.environ.get("GONGZHI_OPEN311_JURISDICTION", "gongzhi.local")
GONGZHI_OPEN311_PUBLIC_READ = os.environ.get("GONGZHI_OPEN311_PUBLIC_READ", "0") in ("1", "true", "True")
GONGZHI_OPEN311_CONTACT = os.environ.get("GONGZHI_OPEN311_CONTACT", "")
