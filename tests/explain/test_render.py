"""Explain's text and JSON: 80 columns, no terminal control, every field for machines."""

from __future__ import annotations

import json

import pytest

from cfsettings.bindings.sources import (
    VCAP_APPLICATION,
    VCAP_SERVICES,
)
from cfsettings.masking import MASK
from tests.explain import APPLICATION, assert_fits, explain, secrets_in
from tests.fixtures import document, names, service, vcap


@pytest.mark.parametrize("fixture", names())
def test_every_fixture_is_explained_without_a_secret(tmp_path, fixture):
    doc = document(fixture)
    environ = {VCAP_SERVICES: json.dumps(doc), VCAP_APPLICATION: APPLICATION}
    status, text = explain(environ)
    assert status == 0, text
    status, raw = explain(environ, "--json")
    assert status == 0
    report = json.loads(raw)
    secrets = secrets_in(doc)
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked"
        assert secret not in raw, f"{secret!r} leaked into JSON"
    assert (MASK in text) == bool(secrets)
    assert_fits(text)
    assert [entry["name"] for entry in report["services"]] == [
        instance["name"] for instances in doc.values() for instance in instances
    ]
    for entry in report["services"]:
        assert entry["kind"] in ("mysql", "postgresql", "redis", "memcached")
        assert entry["rule"] and entry["aliases"]
        assert f"  {entry['name']}\n" in text
        assert f"by {entry['rule']}" in " ".join(text.split())


def test_hostile_names_cannot_drive_the_terminal():
    environ = vcap(service("evil\x1b[2J\nname", {"uri": "redis://h"}, label="lab\rel"))
    _, text = explain(environ)
    assert "\x1b" not in text and "\r" not in text
    assert "evil\\x1b[2J\\nname" in text and "lab\\rel" in text


def test_json_output_is_for_machines():
    environ = vcap(document("p.mysql"), VCAP_APPLICATION=APPLICATION)
    status, raw = explain(environ, "--json")
    report = json.loads(raw)
    assert status == 0
    assert set(report) == {
        "cfsettings",
        "origin",
        "bindings",
        "cloud_foundry",
        "services",
        "defaults",
        "settings",
        "platform",
        "errors",
    }
    assert report["cloud_foundry"] == {"running": True, "application": "guestbook", "error": None}
    (entry,) = report["services"]
    connections = entry.pop("connections")  # tests/explain/test_connections.py
    assert (connections["pooler"], connections["limit"], connections["pool"]) == (None,) * 3
    assert entry == {
        "name": "orders-db",
        "label": "p.mysql",
        "tags": ["mysql"],
        "plan": "db-small",
        "source": VCAP_SERVICES,
        "kind": "mysql",
        "rule": "URI scheme 'mysql' in 'uri'",
        "ignored": None,
        "error": None,
        "aliases": ["DATABASES['default']", "DATABASES['orders-db']"],
        "notes": [],
    }
    assert report["settings"]["DATABASES"]["default"]["PASSWORD"] == MASK
    assert report["errors"] == []
