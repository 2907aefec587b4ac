"""HTTPS behind the router: the settings, and trusted origins that never trust everyone."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import checks
from django.test import Client, override_settings
from django.utils.http import is_same_domain
from hypothesis import given
from hypothesis import strategies as st

from cfsettings import allowed_hosts, csrf_trusted_origins, https_settings
from cfsettings.platform.https import DEFAULT_HSTS_SECONDS, route_origin, trusted_origins
from tests.platform.helpers import on_cf

CSRF_ONLY = ["django.middleware.csrf.CsrfViewMiddleware"]


def test_off_cloud_foundry_nothing():
    assert https_settings(environ={}) == {}
    assert csrf_trusted_origins(environ={}) == []


def test_on_cloud_foundry_every_setting():
    settings = https_settings(environ=on_cf("shop.example.com"))
    assert settings == {
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": DEFAULT_HSTS_SECONDS,
        "CSRF_TRUSTED_ORIGINS": ["https://shop.example.com"],
    }
    assert DEFAULT_HSTS_SECONDS == 3600
    assert https_settings(environ=on_cf(), hsts_seconds=31536000)["SECURE_HSTS_SECONDS"] == (
        31536000
    )


def test_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("VCAP_APPLICATION", '{"application_uris": ["env.example.com"]}')
    assert csrf_trusted_origins() == ["https://env.example.com"]
    assert https_settings()["CSRF_TRUSTED_ORIGINS"] == ["https://env.example.com"]


@pytest.mark.parametrize(
    ("route", "origin"),
    [
        ("shop.example.com", "https://shop.example.com"),
        ("  Shop.Example.COM ", "https://shop.example.com"),
        ("shop.example.com/api/v1", "https://shop.example.com"),
        ("shop.example.com:443", "https://shop.example.com"),
        ("shop.example.com:8443", "https://shop.example.com:8443"),
        ("*.apps.example.com", "https://*.apps.example.com"),
        ("localhost", "https://localhost"),
        ("10.0.0.7", "https://10.0.0.7"),
        ("*", None),
        ("", None),
        ("   ", None),
        ("*.com", None),
        ("**.example.com", None),
        ("shop.*.example.com", None),
        ("https://shop.example.com", None),
        ("user@shop.example.com", None),
        ("shop.example.com:0", None),
        ("shop.example.com:65536", None),
        ("shop.example.com:http", None),
        ("shop.example.com:", None),
        ("shop..example.com", None),
        ("-shop.example.com", None),
        (".example.com", None),
        ("shop example.com", None),
        ("bücher.example.com", None),
        ("a" * 64 + ".example.com", None),
        (".".join(["a" * 60] * 5), None),
    ],
)
def test_route_origin(route, origin):
    assert route_origin(route) == origin


def test_empty_or_bad_routes_trust_nothing_and_are_reported():
    assert csrf_trusted_origins(environ=on_cf()) == []
    assert csrf_trusted_origins(environ=on_cf("*", "", "*.com")) == []
    origins, rejected = trusted_origins(["a.example.com", "*", "A.example.com", "*.com"])
    assert (origins, rejected) == (["https://a.example.com"], ["*", "*.com"])


@given(st.lists(st.one_of(st.text(max_size=40), st.sampled_from(["*", "*.", "*.*", ".", ":"]))))
def test_no_route_list_trusts_an_unrelated_origin(found):
    origins, _ = trusted_origins(found)
    for origin in origins:
        assert origin.startswith("https://")
        netloc = origin.removeprefix("https://")
        pattern = netloc[1:] if netloc.startswith("*.") else netloc
        # Django's own comparison (CsrfViewMiddleware) for each kind of origin.
        assert not is_same_domain("attacker.invalid", pattern)
        assert not is_same_domain("com", pattern)
        assert "*" not in pattern
        assert urlsplit(origin).scheme == "https" and urlsplit(origin).netloc == netloc
    with override_settings(CSRF_TRUSTED_ORIGINS=origins):  # Django's own check of the format
        assert checks.run_checks(tags=[checks.Tags.compatibility]) == []


def post_with_origin(origin: str, host: str) -> int:
    """A POST through Django's real CSRF middleware, with a valid token, from ``origin``."""
    client = Client(enforce_csrf_checks=True)
    token = client.get("/form/", HTTP_HOST=host).content.decode()
    response = client.post(
        "/form/", {"csrfmiddlewaretoken": token}, HTTP_HOST=host, HTTP_ORIGIN=origin
    )
    return response.status_code


def test_django_accepts_the_routes_origins_and_no_other():
    environ = on_cf("shop.example.com", "*.apps.example.com")
    settings = {
        "ROOT_URLCONF": "tests.platform.urls",
        "MIDDLEWARE": CSRF_ONLY,
        "ALLOWED_HOSTS": allowed_hosts(environ=environ),
        # The request is not secure here: only CSRF_TRUSTED_ORIGINS can let https:// in.
        "CSRF_TRUSTED_ORIGINS": csrf_trusted_origins(environ=environ),
    }
    with override_settings(**settings):
        assert post_with_origin("https://shop.example.com", "shop.example.com") == 200
        assert post_with_origin("https://a.apps.example.com", "a.apps.example.com") == 200
        assert post_with_origin("https://attacker.example.net", "shop.example.com") == 403
        assert post_with_origin("https://apps.example.com.evil", "shop.example.com") == 403
    with override_settings(**{**settings, "CSRF_TRUSTED_ORIGINS": []}):
        # Without them, the bug of issue 10: Django compares with http://<host>.
        assert post_with_origin("https://shop.example.com", "shop.example.com") == 403
