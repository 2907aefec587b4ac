"""``configure(globals())`` on real ``startproject`` and Wagtail-shaped settings modules: what it
sets, what it leaves alone, and ``check --deploy`` of the result on Cloud Foundry."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

import cfsettings
from cfsettings.appliers import (
    APPLIERS,
    HEALTH_MIDDLEWARE,
    Context,
    configure,
    set_by_project,
    startproject_sqlite,
)
from cfsettings.email import CONSOLE_BACKEND, mailers_supported
from cfsettings.platform.secret_key import DEVELOPMENT_KEY
from cfsettings.platform.static import WHITENOISE_MIDDLEWARE, WHITENOISE_STORAGE
from tests.fixtures import POSTGRESQL_ENGINE, service, vcap

ROUTE = "mysite.apps.example.com"
KEY = "a-real-key-from-cf-set-env-0123456789-abcdefghijklmnopqrstuvwxyz"
SECURITY = "django.middleware.security.SecurityMiddleware"


def startproject(root: Path) -> Path:
    """A project made by this Django's ``startproject``; returns its settings.py."""
    root.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    made = subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(root)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    return root / "mysite" / "settings.py"


@pytest.fixture(scope="module")
def startproject_settings(tmp_path_factory) -> Path:
    return startproject(tmp_path_factory.mktemp("startproject") / "site")


def namespace(settings: Path, **replace: str) -> dict[str, Any]:
    """The settings module's globals, as ``configure(globals())`` sees them at its end."""
    text = settings.read_text()
    for name, line in replace.items():
        text = re.sub(rf"^{name} = .*$", line, text, count=1, flags=re.M)
    scope: dict[str, Any] = {"__file__": str(settings), "__name__": "mysite.settings"}
    exec(compile(text, str(settings), "exec"), scope)
    return scope


def cf(**extra: str) -> dict[str, str]:
    return {
        **vcap(
            service(
                "mysite-db",
                {"uri": "postgres://mysite:s3cret-Pa55@db.example.internal:5433/mysite"},
                tags=["postgres"],
            )
        ),
        "VCAP_APPLICATION": json.dumps(
            {"application_name": "mysite", "application_uris": [ROUTE, "*.mysite.example.com"]}
        ),
        "CF_INSTANCE_INTERNAL_IP": "10.0.0.7",
        **extra,
    }


def test_exported():
    assert cfsettings.configure is configure


def test_off_cloud_foundry_a_startproject_keeps_working(startproject_settings):
    settings = namespace(startproject_settings)
    before = dict(settings)
    applied = configure(settings, environ={})
    base = before["BASE_DIR"]
    assert settings["DATABASES"] == {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(base / "db.sqlite3")}
    }
    assert settings["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert settings["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    # The project's own (insecure, local) key and DEBUG stay; no platform setting appears.
    assert settings["SECRET_KEY"] == before["SECRET_KEY"]
    assert settings["DEBUG"] is True
    assert settings["INSTALLED_APPS"] == [*before["INSTALLED_APPS"], "cfsettings"]
    assert settings["MIDDLEWARE"] == [HEALTH_MIDDLEWARE, *before["MIDDLEWARE"]]
    mail = "MAILERS" if mailers_supported() else "EMAIL_BACKEND"  # printed to the console
    console = settings["MAILERS"]["default"]["BACKEND"] if mail == "MAILERS" else settings[mail]
    assert console == CONSOLE_BACKEND
    assert set(applied) == {
        "DATABASES",
        "CACHES",
        "ALLOWED_HOSTS",
        "INSTALLED_APPS",
        "MIDDLEWARE",
        mail,
    }
    changed = {name for name in settings if settings[name] is not before.get(name)}
    assert changed == set(applied)


def test_on_cloud_foundry_a_startproject_gets_everything(startproject_settings):
    settings = namespace(startproject_settings)
    before = dict(settings)
    applied = configure(settings, environ=cf(SECRET_KEY=KEY))
    assert settings["DATABASES"]["default"]["ENGINE"] == POSTGRESQL_ENGINE
    assert ROUTE in settings["ALLOWED_HOSTS"] and "10.0.0.7" in settings["ALLOWED_HOSTS"]
    assert settings["SECRET_KEY"] == KEY  # startproject's django-insecure- key is replaced
    assert settings["DEBUG"] is True  # never touched: cfsettings.W005 says so
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 3600
    assert settings["CSRF_TRUSTED_ORIGINS"] == [f"https://{ROUTE}", "https://*.mysite.example.com"]
    assert settings["LOGGING"]["loggers"]["django"]["level"] == "INFO"
    assert settings["STATIC_URL"] == "static/"  # the project's
    assert settings["STATIC_ROOT"] == str(before["BASE_DIR"] / "staticfiles")
    assert settings["STORAGES"] == {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": WHITENOISE_STORAGE},
    }
    assert settings["MIDDLEWARE"][:3] == [HEALTH_MIDDLEWARE, SECURITY, WHITENOISE_MIDDLEWARE]
    assert settings["MIDDLEWARE"][3:] == before["MIDDLEWARE"][1:]
    assert applied["SECRET_KEY"] == "secret_key()"
    assert applied["CSRF_TRUSTED_ORIGINS"] == "https_settings()"
    assert "STATIC_URL" not in applied


def test_on_cloud_foundry_the_startproject_key_without_another_fails_clearly(
    startproject_settings,
):
    settings = namespace(startproject_settings)
    with pytest.raises(ImproperlyConfigured, match=r"^SECRET_KEY is not set.*cf set-env mysite"):
        configure(settings, environ=cf())


def test_what_the_project_set_is_never_replaced(startproject_settings):
    mine = {
        "ALLOWED_HOSTS": ["www.example.org"],
        "SECRET_KEY": "the project's own key",
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:",
                                  "OPTIONS": {"timeout": 20}}},
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
        "SECURE_HSTS_SECONDS": 0,
        "CSRF_TRUSTED_ORIGINS": [],
        "LOGGING": {"version": 1},
        "STATIC_ROOT": "/srv/static",
        "STORAGES": {"staticfiles": {"BACKEND": "mine.Storage"}},
        "INSTALLED_APPS": ("django.contrib.auth", "cfsettings.apps.CfSettingsConfig"),
        "MIDDLEWARE": (SECURITY, HEALTH_MIDDLEWARE, WHITENOISE_MIDDLEWARE),
    }  # fmt: skip
    settings = {**namespace(startproject_settings), **mine}
    applied = configure(settings, environ=cf(SECRET_KEY=KEY))
    for name, value in mine.items():
        assert settings[name] is value, name
    assert not set(mine) & set(applied)
    assert settings["SECURE_SSL_REDIRECT"] is True  # what the project left open is filled in


def test_a_wagtail_shaped_base_module(tmp_path):
    """``wagtail start`` writes BASE_DIR as a string, in settings/base.py, a level deeper."""
    settings_file = startproject(tmp_path / "site")
    base = settings_file.parent / "settings" / "base.py"
    base.parent.mkdir()
    text = settings_file.read_text()
    text = re.sub(
        r"^BASE_DIR = .*$",
        "import os\nPROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))\n"
        "BASE_DIR = os.path.dirname(PROJECT_DIR)",
        text,
        flags=re.M,
    )
    text = text.replace("BASE_DIR / 'db.sqlite3'", "os.path.join(BASE_DIR, 'db.sqlite3')")
    base.write_text(text)
    settings = namespace(base)
    configure(settings, environ=cf(SECRET_KEY=KEY))
    assert settings["STATIC_ROOT"] == os.path.join(str(tmp_path / "site"), "staticfiles")
    local = namespace(base)
    configure(local, environ={})
    assert local["DATABASES"]["default"]["NAME"] == os.path.join(
        str(tmp_path / "site"), "db.sqlite3"
    )


def test_without_base_dir_or_lists(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    settings: dict[str, Any] = {}
    configure(settings, environ=cf(SECRET_KEY=KEY))
    assert settings["STATIC_ROOT"] == os.path.join(os.getcwd(), "staticfiles")
    assert settings["INSTALLED_APPS"] == ["cfsettings"]
    assert settings["MIDDLEWARE"] == [HEALTH_MIDDLEWARE, WHITENOISE_MIDDLEWARE]
    local: dict[str, Any] = {}
    configure(local, environ={})
    assert local["DATABASES"]["default"]["NAME"] == os.path.join(os.getcwd(), "db.sqlite3")
    assert local["SECRET_KEY"] == DEVELOPMENT_KEY


def test_twice_is_once(startproject_settings):
    settings = namespace(startproject_settings)
    configure(settings, environ=cf(SECRET_KEY=KEY))
    once = {name: value for name, value in settings.items() if name.isupper()}
    configure(settings, environ=cf(SECRET_KEY=KEY))
    assert {name: value for name, value in settings.items() if name.isupper()} == once


def test_os_environ_by_default(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("VCAP_", "CF_INSTANCE_")) or name in ("DATABASE_URL", "REDIS_URL"):
            monkeypatch.delenv(name)
    settings: dict[str, Any] = {"SECRET_KEY": "local"}
    configure(settings)
    assert "SECURE_SSL_REDIRECT" not in settings


@pytest.mark.parametrize(
    ("name", "value", "on_cf", "project"),
    [
        ("ALLOWED_HOSTS", [], True, False),
        ("ALLOWED_HOSTS", ["x"], False, True),
        ("SECRET_KEY", "", False, False),
        ("SECRET_KEY", None, True, False),
        ("SECRET_KEY", "django-insecure-abc", False, True),
        ("SECRET_KEY", "django-insecure-abc", True, False),
        ("SECRET_KEY", "real", True, True),
        ("DEBUG", True, True, True),
        ("DATABASES", {}, True, True),
        ("MAILERS", {"default": {"BACKEND": CONSOLE_BACKEND}}, True, False),  # Django 6.1's
        ("MAILERS", {"default": {"BACKEND": "mine"}}, True, True),
    ],
)
def test_set_by_project(name, value, on_cf, project):
    assert set_by_project(name, value, on_cf) is project


@pytest.mark.parametrize(
    "value",
    [
        None,
        {},
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}, "other": {}},
        {"default": "sqlite"},
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x", "TEST": {}}},
        {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}},
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": None}},
    ],
)
def test_only_startproject_sqlite_is_a_placeholder(value):
    assert startproject_sqlite(value) is None


def test_a_new_family_is_one_applier():
    """How issue 11's storage and e-mail settings join: a function of the Context."""
    settings: dict[str, Any] = {"EMAIL_HOST": "mine"}
    context = Context(settings, {}, False, frozenset({"EMAIL_HOST"}))
    context.offer_all({"EMAIL_HOST": "bound", "EMAIL_PORT": 2525}, "email_settings()")
    context.offer_entries("STORAGES", {"default": {"BACKEND": "s3"}}, "storages()")
    assert settings["EMAIL_HOST"] == "mine" and settings["EMAIL_PORT"] == 2525
    assert settings["STORAGES"]["default"] == {"BACKEND": "s3"}
    assert settings["STORAGES"]["staticfiles"]["BACKEND"].endswith("StaticFilesStorage")
    context.offer_entries("OTHER", {"a": 1}, "x")
    assert settings["OTHER"] == {"a": 1}
    assert len(APPLIERS) == 8


# --- check --deploy on the real thing --------------------------------------------------------

SECURITY_WARNINGS = ("security.W004", "security.W008", "security.W012", "security.W016")


def deploy_check(settings_file: Path, extra: str, env: dict[str, str]) -> str:
    settings_file.write_text(settings_file.read_text() + extra)
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VCAP_", "CF_INSTANCE_", "DJANGO_", "CFSETTINGS_"))
        and k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings_file.parent.parent,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout + result.stderr


def test_check_deploy_on_cloud_foundry(tmp_path):
    """startproject + configure(): none of the four HTTPS warnings of issue 10; DEBUG=True
    (startproject's) is reported by Django and by cfsettings.W005."""
    output = deploy_check(
        startproject(tmp_path / "site"), "\nimport cfsettings\ncfsettings.configure(globals())\n",
        cf(SECRET_KEY=KEY),
    )  # fmt: skip
    for warning in SECURITY_WARNINGS:
        assert warning not in output, output
    assert "security.W018" in output and "cfsettings.W005" in output, output
    assert "security.W009" not in output, output  # the key came from the environment


def test_check_deploy_without_configure_shows_the_warnings(tmp_path):
    """The test above could pass with checks that never ran."""
    output = deploy_check(startproject(tmp_path / "site"), "", cf(SECRET_KEY=KEY))
    for warning in SECURITY_WARNINGS:
        assert warning in output, output


def test_without_whitenoise_only_static_root(startproject_settings, monkeypatch):
    """WhiteNoise is an extra: without it, STATIC_ROOT for collectstatic and nothing else."""
    from cfsettings.platform import static

    monkeypatch.setattr(static, "whitenoise_installed", lambda: False)
    settings = namespace(startproject_settings)
    applied = configure(settings, environ=cf(SECRET_KEY=KEY))
    assert "STORAGES" not in settings and "STORAGES" not in applied
    assert WHITENOISE_MIDDLEWARE not in settings["MIDDLEWARE"]
    assert settings["STATIC_ROOT"].endswith("staticfiles")


# --- uploads and mail (issue 11): storages() and email_settings() as appliers ---------------

BUCKET = service(
    "uploads",
    {
        "bucket_name": "mysite-uploads",
        "region": "eu-west-1",
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": "s3cret/key",
    },
    label="csb-aws-s3-bucket",
    tags=["s3"],
)
RELAY = service(
    "mail",
    {"host": "smtp.example.test", "port": 587, "username": "u", "password": "p", "from": "a@b.c"},
    label="user-provided",
    tags=["smtp"],
)


def on_cf_with(*documents: dict[str, Any]) -> dict[str, str]:
    """On Cloud Foundry with the database of ``cf()`` and these services bound too."""
    env = cf(SECRET_KEY=KEY)
    bound = json.loads(env["VCAP_SERVICES"])
    for document in documents:
        for label, instances in document.items():
            bound.setdefault(label, []).extend(instances)
    return {**env, "VCAP_SERVICES": json.dumps(bound)}


def test_a_bound_bucket_and_relay_are_applied_beside_the_static_files(startproject_settings):
    settings = namespace(startproject_settings)
    applied = configure(settings, environ=on_cf_with(BUCKET, RELAY))
    assert settings["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert settings["STORAGES"]["default"]["OPTIONS"]["bucket_name"] == "mysite-uploads"
    assert settings["STORAGES"]["uploads"]["OPTIONS"]["bucket_name"] == "mysite-uploads"
    assert settings["STORAGES"]["staticfiles"] == {"BACKEND": WHITENOISE_STORAGE}
    assert applied["STORAGES"] == "static_settings()"  # the last to add an entry
    assert settings["DEFAULT_FROM_EMAIL"] == "a@b.c"
    if mailers_supported():
        assert settings["MAILERS"]["default"]["OPTIONS"]["host"] == "smtp.example.test"
    else:
        assert settings["EMAIL_HOST"] == "smtp.example.test"
    assert applied["DEFAULT_FROM_EMAIL"] == "email_settings()"


def test_without_a_bucket_or_relay_on_cloud_foundry_django_keeps_its_own(startproject_settings):
    settings = namespace(startproject_settings)
    applied = configure(settings, environ=on_cf_with())
    assert settings["STORAGES"]["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }  # cfsettings.W006 warns about file fields there
    assert not {"MAILERS", "EMAIL_BACKEND", "DEFAULT_FROM_EMAIL"} & set(applied)


def test_the_projects_own_storages_and_mail_are_kept(startproject_settings):
    settings = namespace(startproject_settings)
    mine = {"default": {"BACKEND": "mine"}, "staticfiles": {"BACKEND": "mine too"}}
    settings.update(STORAGES=mine, EMAIL_HOST="mail.mine.example")
    applied = configure(settings, environ=on_cf_with(BUCKET, RELAY))
    assert settings["STORAGES"] is mine and settings["EMAIL_HOST"] == "mail.mine.example"
    assert not {"STORAGES", "MAILERS", "EMAIL_BACKEND", "DEFAULT_FROM_EMAIL"} & set(applied)
