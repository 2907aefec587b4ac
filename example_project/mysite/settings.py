"""Settings for the guestbook example.

Nothing here names a host, a password or a platform: cfsettings reads the service bindings
(``VCAP_SERVICES``) and routes (``VCAP_APPLICATION``) that Cloud Foundry sets, and falls back
to SQLite and a local-memory cache on a laptop, so this one file serves both.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from cfsettings import allowed_hosts, caches, databases, email_settings, storages

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    """An on/off switch from the environment: 1, true, yes or on mean on."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Cloud Foundry sets VCAP_APPLICATION in every app container (and while staging).
ON_CLOUD_FOUNDRY = "VCAP_APPLICATION" in os.environ

# Off unless asked for: a forgotten DEBUG=True on a public route leaks settings and code.
DEBUG = env_flag("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if ON_CLOUD_FOUNDRY or not DEBUG:
        # A made-up key in production would sign sessions with a value anyone can read here.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. On Cloud Foundry: "
            "cf set-env <app> SECRET_KEY \"$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(50))')\" and restart; locally: use "
            "example_project/run.py, or set DJANGO_DEBUG=1 for a development key."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-it-on-a-public-route"

# The app's routes on Cloud Foundry, localhost elsewhere; on other platforms list the site's
# host names in DJANGO_ALLOWED_HOSTS (comma-separated).
ALLOWED_HOSTS = allowed_hosts(*os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guestbook",
    "cfsettings",
]

MIDDLEWARE = [
    # First, so that Cloud Foundry's health check (addressed to the container's IP, which is in
    # no ALLOWED_HOSTS) is answered before anything validates the Host header.
    "mysite.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
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

# Bound MySQL/PostgreSQL service -> DATABASE_URL -> this SQLite file. On Cloud Foundry the
# SQLite file would vanish with the container, so cf_stage refuses it (cfsettings.E001) until
# a database service is bound.
DATABASES = databases(sqlite_path=BASE_DIR / "db.sqlite3")

# Bound Redis/Memcached service -> REDIS_URL -> local memory (one cache per process). Several
# apps may share one Redis service: the key prefix keeps this app's keys apart.
CACHES = caches(key_prefix=os.environ.get("CACHE_KEY_PREFIX", "guestbook"))

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

# Collected at staging by the buildpack (or by ``cf_stage --collectstatic`` locally) and served
# by WhiteNoise from the app itself, compressed and with far-future caching for hashed names.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Uploads: the bound S3-compatible bucket, else MEDIA_ROOT (a container's disk loses them).
MEDIA_ROOT = BASE_DIR / "media"
STORAGES = storages(
    staticfiles={"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
)

# Mail: the bound SMTP relay (`cf cups mail -t smtp`), else printed to the console. New entries
# are mailed to GUESTBOOK_NOTIFY, when set.
globals().update(email_settings())
GUESTBOOK_NOTIFY = [to.strip() for to in os.environ.get("GUESTBOOK_NOTIFY", "").split(",") if to]

# HTTPS: Cloud Foundry's router terminates TLS, reports the original scheme in
# X-Forwarded-Proto, and is the only way in to the app. Elsewhere (a Procfile platform behind
# a TLS proxy) switch this on with DJANGO_HTTPS=1.
if env_flag("DJANGO_HTTPS", default=ON_CLOUD_FOUNDRY):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # Start with an hour; raise it once the route is known to stay on HTTPS. Preload only
    # takes effect if you submit your own domain to the browsers' preload list.
    SECURE_HSTS_SECONDS = 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Everything to stdout/stderr, where `cf logs` (and any Procfile platform) collects it; by
# default Django prints nothing at all when DEBUG is off.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
