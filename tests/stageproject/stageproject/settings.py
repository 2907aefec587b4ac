"""Settings for the staging tests: a small but realistic project whose database comes from env.

``STAGE_DATABASES`` is DATABASES as JSON (passwords travel in the environment, never argv);
``STAGE_CACHES`` adds CACHES entries (JSON); ``STAGE_INSTALLED_APPS`` replaces the app list
(comma-separated), ``STAGE_EXTRA_APPS`` adds to it (apps a test writes into a directory on
PYTHONPATH).
"""

import json
import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "stageproject-tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]


def _apps(variable):
    return [name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()]


INSTALLED_APPS = _apps("STAGE_INSTALLED_APPS") or [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts",
    "catalog",
    "orders",
    "legacy",
    "cfsettings",
]
INSTALLED_APPS += _apps("STAGE_EXTRA_APPS")
if "accounts" in INSTALLED_APPS:
    AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
if "django.contrib.admin" in INSTALLED_APPS:
    ROOT_URLCONF = "stageproject.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

_default_sqlite = Path(tempfile.gettempdir(), "stageproject.sqlite3")
DATABASES = json.loads(
    os.environ.get("STAGE_DATABASES")
    or json.dumps(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(_default_sqlite)}}
    )
)
if "archive" in DATABASES:
    DATABASE_ROUTERS = ["stageproject.routers.ArchiveRouter"]

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "db": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "stage_cache"},
}
CACHES.update(json.loads(os.environ.get("STAGE_CACHES") or "{}"))  # more caches, as JSON

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STAGE_STATIC_ROOT") or None
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
