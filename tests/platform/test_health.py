"""The health check is answered first: no redirect, no Host validation, whatever is on."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.test import Client, override_settings

from cfsettings import allowed_hosts, https_settings
from cfsettings.appliers import HEALTH_MIDDLEWARE
from cfsettings.platform.health import HealthCheckMiddleware
from tests.platform.helpers import on_cf

ENVIRON = on_cf("shop.example.com", CF_INSTANCE_INTERNAL_IP="10.0.0.7")
MIDDLEWARE = [
    HEALTH_MIDDLEWARE,
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]


@pytest.fixture
def production():
    settings = {
        **https_settings(environ=ENVIRON),
        "ALLOWED_HOSTS": allowed_hosts(environ=ENVIRON),
        "MIDDLEWARE": MIDDLEWARE,
        "ROOT_URLCONF": "tests.platform.urls",
    }
    with override_settings(**settings):
        yield


def test_the_named_middleware_is_the_class():
    module, _, name = HEALTH_MIDDLEWARE.rpartition(".")
    assert getattr(__import__(module, fromlist=[name]), name) is HealthCheckMiddleware


@pytest.mark.parametrize("host", ["10.0.0.7:8080", "10.1.2.3:8080", "shop.example.com"])
def test_health_check_gets_200_over_plain_http(production, host):
    client = Client()
    response = client.get("/healthz", HTTP_HOST=host)
    assert (response.status_code, response.content) == (200, b"ok")
    assert response["Content-Type"] == "text/plain"
    assert client.head("/healthz", HTTP_HOST=host).status_code == 200


def test_everything_else_keeps_the_https_settings(production):
    client = Client()
    redirected = client.get("/form/", HTTP_HOST="10.0.0.7:8080")
    assert (redirected.status_code, redirected["Location"]) == (301, "https://10.0.0.7:8080/form/")
    assert client.get("/form/", HTTP_HOST="10.1.2.3:8080").status_code == 400
    # Only GET and HEAD: a POST to the path goes through the usual checks.
    assert client.post("/healthz", HTTP_HOST="10.0.0.7:8080").status_code == 301
    secure = client.get("/healthz/", HTTP_HOST="shop.example.com", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 404


def test_the_path_follows_the_setting(production):
    with override_settings(CFSETTINGS_HEALTH_CHECK_PATH="/ready"):
        assert Client().get("/ready", HTTP_HOST="10.1.2.3").status_code == 200
        assert Client().get("/healthz", HTTP_HOST="10.1.2.3").status_code == 400


def test_an_empty_path_switches_it_off():
    with override_settings(CFSETTINGS_HEALTH_CHECK_PATH=""), pytest.raises(MiddlewareNotUsed):
        HealthCheckMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize("bad", ["healthz", 7])
def test_a_bad_path_is_refused(bad):
    with (
        override_settings(CFSETTINGS_HEALTH_CHECK_PATH=bad),
        pytest.raises(ImproperlyConfigured, match="CFSETTINGS_HEALTH_CHECK_PATH must be a path"),
    ):
        HealthCheckMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
