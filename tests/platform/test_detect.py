"""Cloud Foundry is ``VCAP_APPLICATION``; its routes and name."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import on_cloud_foundry
from cfsettings.hosts import routes
from cfsettings.platform.detect import application_name
from tests.platform.helpers import on_cf


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, False), ({"VCAP_APPLICATION": "  "}, False), ({"VCAP_APPLICATION": "{}"}, True)],
)
def test_on_cloud_foundry_is_vcap_application_set(environ, expected):
    assert on_cloud_foundry(environ) is expected


def test_on_cloud_foundry_reads_os_environ_by_default(monkeypatch):
    monkeypatch.delenv("VCAP_APPLICATION", raising=False)
    assert on_cloud_foundry() is False
    monkeypatch.setenv("VCAP_APPLICATION", "{}")
    assert on_cloud_foundry() is True


def test_routes_and_the_legacy_uris():
    assert routes(on_cf("a.example.com", "b.example.com")) == ["a.example.com", "b.example.com"]
    assert routes({"VCAP_APPLICATION": json.dumps({"uris": ["old.example.com"]})}) == [
        "old.example.com"
    ]
    assert routes({}) == []
    assert routes({"VCAP_APPLICATION": "{}"}) == []


@pytest.mark.parametrize("bad", ["a.example.com", [1], {"a": 1}])
def test_routes_that_are_no_list_of_strings_are_refused(bad):
    with pytest.raises(ImproperlyConfigured, match="'application_uris' must be a list"):
        routes({"VCAP_APPLICATION": json.dumps({"application_uris": bad})})


def test_application_name_for_messages():
    assert application_name(on_cf()) == "shop"
    assert application_name({"VCAP_APPLICATION": json.dumps({"name": "old"})}) == "old"
    assert application_name({"VCAP_APPLICATION": json.dumps({"name": 3})}) == "<app>"
    assert application_name({}) == "<app>"
