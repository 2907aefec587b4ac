"""Settings for the guestbook example.

Nothing here names a host, a password or a platform. The last line hands the rest to
cfsettings: the database and cache from the bound services (SQLite and local memory on a
laptop), the routes as ALLOWED_HOSTS, and on Cloud Foundry the SECRET_KEY, HTTPS behind the
router, logging, static files and the health check (docs/platform.rst lists every setting).
"""

import os
from pathlib import Path

import cfsettings

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless asked for: a forgotten DEBUG=True on a public route leaks settings and code.
DEBUG = os.environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guestbook",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The example serves its static files with WhiteNoise everywhere, run.py's gunicorn too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"

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

# Several apps may share one Redis service: the key prefix keeps the guestbook's keys apart.
CACHES = cfsettings.caches(key_prefix=os.environ.get("CACHE_KEY_PREFIX", "guestbook"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
# run.py collects here on a laptop; on Cloud Foundry cfsettings would choose the same.
STATIC_ROOT = BASE_DIR / "staticfiles"

# Uploads: configure() puts them in the bound S3-compatible bucket; without one, MEDIA_ROOT
# (a container's disk loses them: cfsettings.W006 says so on Cloud Foundry).
MEDIA_ROOT = BASE_DIR / "media"

# Mail: configure() uses the bound SMTP relay (`cf cups mail -t smtp`), else prints mail to the
# console on a laptop. New entries are mailed to GUESTBOOK_NOTIFY, when set.
GUESTBOOK_NOTIFY = [to.strip() for to in os.environ.get("GUESTBOOK_NOTIFY", "").split(",") if to]

cfsettings.configure(globals())
