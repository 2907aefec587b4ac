"""SECRET_KEY: from the environment or a service tagged django; never invented in production."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import secret_key
from cfsettings.platform.secret_key import DEVELOPMENT_KEY, find_secret_key
from tests.platform.helpers import bound, on_cf

KEY = "k3y-from-the-environment-0123456789-abcdefghijklmnopqrstuvwxyz"
OTHER = "an0ther-key-from-a-service-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize("variable", ["SECRET_KEY", "DJANGO_SECRET_KEY"])
def test_from_the_environment(variable):
    assert secret_key(environ=on_cf(**{variable: KEY})) == KEY
    assert secret_key(environ={variable: KEY}) == KEY
    assert find_secret_key({variable: KEY}) == (KEY, variable)


def test_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", KEY)
    assert secret_key() == KEY


def test_from_a_user_provided_service_tagged_django():
    services = bound(
        {"name": "shop-secrets", "tags": ["Django"], "credentials": {"secret_key": OTHER}},
        # An S3 login has a secret_key too: without the tag it is not Django's.
        {"name": "files", "tags": ["s3"], "credentials": {"secret_key": "s3-secret"}},
        {"name": "other", "tags": ["django"], "credentials": {"superuser": "admin"}},
    )
    environ = on_cf(VCAP_SERVICES=services)
    assert secret_key(environ=environ) == OTHER
    assert find_secret_key(environ) == (OTHER, "bound service 'shop-secrets' (secret_key)")


def test_from_a_credhub_service_in_a_binding_directory(tmp_path):
    binding = tmp_path / "shop-secrets"
    binding.mkdir()
    (binding / "type").write_text("django\n")
    (binding / "DJANGO_SECRET_KEY").write_text(OTHER + "\n")
    environ = on_cf(SERVICE_BINDING_ROOT=str(tmp_path))
    assert secret_key(environ=environ) == OTHER


def test_the_same_key_in_two_places_is_fine():
    services = bound({"name": "s", "tags": ["django"], "credentials": {"secret_key": KEY}})
    environ = on_cf(SECRET_KEY=KEY, DJANGO_SECRET_KEY=KEY, VCAP_SERVICES=services)
    assert secret_key(environ=environ) == KEY


def test_different_keys_in_two_places_are_refused_without_showing_them():
    services = bound({"name": "s", "tags": ["django"], "credentials": {"secret_key": OTHER}})
    with pytest.raises(ImproperlyConfigured) as error:
        secret_key(environ=on_cf(SECRET_KEY=KEY, VCAP_SERVICES=services))
    message = str(error.value)
    assert "several places with different values: SECRET_KEY, bound service 's'" in message
    assert KEY not in message and OTHER not in message


@pytest.mark.parametrize("value", ["", "  ", 42, None, ["k"]])
def test_a_bad_credential_names_the_service_and_field(value):
    services = bound({"name": "s", "tags": ["django"], "credentials": {"Secret_Key": value}})
    with pytest.raises(ImproperlyConfigured, match=r"service 's' .*'Secret_Key' must be a non"):
        secret_key(environ=on_cf(VCAP_SERVICES=services))


def test_missing_on_cloud_foundry_says_how_to_set_it():
    with pytest.raises(ImproperlyConfigured) as error:
        secret_key(environ=on_cf(SECRET_KEY="   "))
    message = str(error.value)
    assert message.startswith("SECRET_KEY is not set.")
    assert 'cf set-env shop SECRET_KEY "$(python3 -c' in message
    assert 'cf cups shop-secrets -p \'{"secret_key":"..."}\' -t django' in message
    assert "\n" not in message


@pytest.mark.parametrize("variable", ["CF_INSTANCE_GUID", "KUBERNETES_SERVICE_HOST", "DYNO"])
def test_missing_on_another_platform_is_no_development_machine(variable):
    with pytest.raises(ImproperlyConfigured, match=f"{variable} says this is no development"):
        secret_key(environ={variable: "x"})


def test_a_development_key_only_where_no_platform_is_in_sight():
    assert secret_key(environ={}) == DEVELOPMENT_KEY
    assert secret_key(environ={"VCAP_SERVICES": json.dumps({})}) == DEVELOPMENT_KEY
    # check --deploy calls a key with this prefix insecure (security.W009).
    assert DEVELOPMENT_KEY.startswith("django-insecure-")
