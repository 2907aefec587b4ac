"""platform_report: each platform setting, its value (the key never), and where it came from."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from cfsettings import configure
from cfsettings.masking import MASK
from cfsettings.platform.explain import NAMES, NOT_SET, platform_report
from cfsettings.platform.secret_key import DEVELOPMENT_KEY
from tests.platform.helpers import bound, on_cf

KEY = "the-real-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"


def rows(report):
    return {row["name"]: (row["value"], row["source"]) for row in report["settings"]}


def test_on_cloud_foundry_from_the_environment_alone():
    environ = on_cf("shop.example.com", "*", "", SECRET_KEY=KEY, DJANGO_LOG_LEVEL="warning")
    report = platform_report(environ)
    assert report["cloud_foundry"] is True
    assert [row["name"] for row in report["settings"]] == list(NAMES)
    found = rows(report)
    assert found["SECRET_KEY"] == (MASK, "SECRET_KEY")
    assert found["SECURE_SSL_REDIRECT"] == (True, "https_settings()")
    assert found["CSRF_TRUSTED_ORIGINS"] == (
        ["https://shop.example.com"],
        "the routes",
    )
    assert found["LOGGING"][1] == "logging_config(), level from DJANGO_LOG_LEVEL"
    assert found["LOGGING"][0]["root"]["level"] == "WARNING"
    assert found["STATIC_ROOT"] == ("./staticfiles", "static_settings()")
    assert found["DEBUG"] == (NOT_SET, "the project's: cfsettings never sets it")
    assert found["CFSETTINGS_HEALTH_CHECK_PATH"] == ("/healthz", "cfsettings' default")
    assert report["ignored_routes"] == ["*", ""]
    assert report["errors"] == []
    assert KEY not in json.dumps(report)


def test_the_key_from_a_service_is_named_never_shown():
    services = bound({"name": "secrets", "tags": ["django"], "credentials": {"secret_key": KEY}})
    report = platform_report(on_cf(VCAP_SERVICES=services))
    assert rows(report)["SECRET_KEY"] == (MASK, "bound service 'secrets' (secret_key)")
    assert KEY not in json.dumps(report)


def test_problems_are_reported_not_raised():
    report = platform_report(on_cf(DJANGO_LOG_LEVEL="chatty"))
    assert report["errors"][0].startswith("SECRET_KEY is not set.")
    assert report["errors"][1].startswith("DJANGO_LOG_LEVEL must be one of")
    assert rows(report)["LOGGING"] == (NOT_SET, "not set by cfsettings")
    assert rows(report)["SECRET_KEY"][0] == NOT_SET
    broken = platform_report({"VCAP_APPLICATION": '{"application_uris": "x"}'})
    assert broken["ignored_routes"] == []
    assert any("'application_uris' must be a list" in error for error in broken["errors"])


def test_off_cloud_foundry():
    report = platform_report({})
    found = rows(report)
    assert report["cloud_foundry"] is False
    assert found["SECRET_KEY"] == (
        "(the development key)",
        "development key (no platform variable is set)",
    )
    assert found["SECURE_SSL_REDIRECT"] == (NOT_SET, "not on Cloud Foundry")


def test_with_the_projects_settings(tmp_path):
    environ = on_cf("shop.example.com", SECRET_KEY=KEY)
    module = {
        "SECRET_KEY": "django-insecure-x",
        "DEBUG": True,
        "SECURE_HSTS_SECONDS": 60,
        "BASE_DIR": tmp_path,
    }
    configure(module, environ=environ)
    names = ("SECRET_KEY", "DEBUG", "SECURE_HSTS_SECONDS", "CSRF_TRUSTED_ORIGINS", "LOGGING",
             "STATIC_ROOT", "STATIC_URL", "BASE_DIR")  # fmt: skip
    with override_settings(**{name: module[name] for name in names}):
        found = rows(platform_report(environ, django_settings))
    assert found["SECRET_KEY"] == (MASK, "SECRET_KEY")
    assert found["DEBUG"] == (True, "settings.py")
    assert found["SECURE_HSTS_SECONDS"] == (60, "settings.py")
    assert found["CSRF_TRUSTED_ORIGINS"][1] == "the routes"
    assert found["SECURE_SSL_REDIRECT"] == (False, "Django's default")
    assert found["CFSETTINGS_HEALTH_CHECK_PATH"] == ("/healthz", "cfsettings' default")
    assert found["STATIC_ROOT"] == (str(tmp_path / "staticfiles"), "static_settings()")
    assert found["STATIC_URL"] == ("/static/", "static_settings()")  # Django adds the "/"
    with override_settings(SECRET_KEY="another-key-of-the-project-0123456789-abcdefghij"):
        assert rows(platform_report(environ, django_settings))["SECRET_KEY"] == (
            MASK,
            "settings.py",
        )


@pytest.mark.parametrize("key", [DEVELOPMENT_KEY, None])
def test_a_plain_settings_object(key):
    class Settings:
        SECRET_KEY = key

    found = rows(platform_report({}, Settings()))
    expected = "(the development key)" if key else NOT_SET
    assert found["SECRET_KEY"][0] == expected
    assert found["DEBUG"] == (NOT_SET, "not set")
