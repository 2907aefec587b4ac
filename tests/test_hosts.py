"""``allowed_hosts()``: the app's routes, the container's address, never ``"*"``."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http.request import split_domain_port
from django.http.request import validate_host as validate_domain

from cfsettings import allowed_hosts


def validate_host(host, allowed):
    """Django's own check of a Host header (``HttpRequest.get_host``) against ``allowed``."""
    domain, _ = split_domain_port(host)
    return bool(domain) and validate_domain(domain, allowed)


def on_cf(application, **extra):
    return {"VCAP_APPLICATION": json.dumps(application), **extra}


#: A VCAP_APPLICATION as Cloud Foundry (v3 API) writes it.
APPLICATION = {
    "application_id": "5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
    "application_name": "shop",
    "application_uris": ["shop.apps.example.com", "www.example.com"],
    "cf_api": "https://api.example.com",
    "limits": {"fds": 16384},
    "name": "shop",
    "organization_name": "acme",
    "space_name": "production",
    "uris": ["shop.apps.example.com", "www.example.com"],
    "version": "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b",
}


def test_off_platform_is_the_loopback_names():
    assert allowed_hosts(environ={}) == ["localhost", "127.0.0.1", "[::1]"]


def test_off_platform_with_extra_hosts():
    assert allowed_hosts("example.test", ".example.org", environ={}) == [
        "localhost",
        "127.0.0.1",
        "[::1]",
        "example.test",
        ".example.org",
    ]


def test_on_platform_routes_and_internal_ip():
    environ = on_cf(APPLICATION, CF_INSTANCE_INTERNAL_IP="10.255.0.7")
    assert allowed_hosts(environ=environ) == [
        "shop.apps.example.com",
        "www.example.com",
        "10.255.0.7",
    ]


def test_on_platform_no_loopback_names():
    hosts = allowed_hosts(environ=on_cf(APPLICATION))
    assert hosts == ["shop.apps.example.com", "www.example.com"]
    assert not validate_host("localhost", hosts)
    assert validate_host("shop.apps.example.com", hosts)
    assert validate_host("SHOP.apps.example.com:443", hosts)


def test_ipv6_internal_ip_is_bracketed_as_django_expects():
    environ = on_cf(APPLICATION, CF_INSTANCE_INTERNAL_IP=" fd00::7 ")
    hosts = allowed_hosts(environ=environ)
    assert hosts[-1] == "[fd00::7]"
    assert validate_host("[fd00::7]:8080", hosts)


def test_legacy_uris_when_application_uris_is_missing_or_empty():
    legacy = {"uris": ["old.example.com"], "application_uris": []}
    assert allowed_hosts(environ=on_cf(legacy)) == ["old.example.com"]
    assert allowed_hosts(environ=on_cf({"uris": ["old.example.com"]})) == ["old.example.com"]


@pytest.mark.parametrize(
    ("route", "host"),
    [
        ("app.example.com", "app.example.com"),
        ("app.example.com:443", "app.example.com"),
        ("example.com/shop", "example.com"),
        ("example.com:8443/shop/v2", "example.com"),
        ("https://app.example.com:443/x", "app.example.com"),
        (" app.example.com ", "app.example.com"),
        ("[2001:db8::1]:8080", "[2001:db8::1]"),
        ("[2001:db8::1]/path", "[2001:db8::1]"),
        ("*.apps.example.com", ".apps.example.com"),
        ("*.apps.example.com:443/x", ".apps.example.com"),
    ],
)
def test_route_ports_paths_and_wildcards_are_stripped(route, host):
    assert allowed_hosts(environ=on_cf({"application_uris": [route]})) == [host]


def test_wildcard_route_allows_its_subdomains():
    hosts = allowed_hosts(environ=on_cf({"application_uris": ["*.apps.example.com"]}))
    assert validate_host("tenant1.apps.example.com", hosts)
    assert not validate_host("apps.example.org", hosts)


def test_duplicates_and_empty_hosts_are_dropped_in_order():
    application = {"application_uris": ["b.example.com", "a.example.com/x", "a.example.com", ""]}
    environ = on_cf(application, CF_INSTANCE_INTERNAL_IP="  ")
    assert allowed_hosts("b.example.com", "", "c.example.com", environ=environ) == [
        "b.example.com",
        "a.example.com",
        "c.example.com",
    ]


def test_an_app_without_routes():
    assert allowed_hosts(environ=on_cf({"application_name": "worker"})) == []
    assert allowed_hosts(environ=on_cf({"application_uris": None, "uris": None})) == []


def test_never_star():
    with pytest.raises(ImproperlyConfigured, match="never allows '\\*'"):
        allowed_hosts("example.com", "*", environ={})


def test_never_star_even_from_a_route():
    hosts = allowed_hosts(environ=on_cf({"application_uris": ["*.example.com", "*"]}))
    assert "*" not in hosts
    assert not validate_host("evil.test", hosts)


@pytest.mark.parametrize(
    "application",
    [{"application_uris": "app.example.com"}, {"application_uris": ["a", 1]}, {"uris": {"a": 1}}],
)
def test_routes_of_the_wrong_shape(application):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        allowed_hosts(environ=on_cf(application))
    assert str(excinfo.value) == "VCAP_APPLICATION: 'application_uris' must be a list of strings."


def test_invalid_vcap_application():
    with pytest.raises(ImproperlyConfigured, match=r"^VCAP_APPLICATION is not valid JSON"):
        allowed_hosts(environ={"VCAP_APPLICATION": "{'single': 'quotes'}"})
    with pytest.raises(ImproperlyConfigured, match="must be a JSON object, not a list"):
        allowed_hosts(environ={"VCAP_APPLICATION": "[]"})


def test_blank_vcap_application_is_off_platform():
    assert allowed_hosts(environ={"VCAP_APPLICATION": "  "}) == ["localhost", "127.0.0.1", "[::1]"]
