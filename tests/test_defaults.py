"""Which of several bound services becomes ``default``, and every one's own alias."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.classify import Match
from cfsettings.bindings.sources import Service
from cfsettings.defaults import bound_aliases, copy_entry, pick_default, requested_defaults


def svc(name):
    return Service(name, "user-provided", [], {})


def matches(*names):
    return [Match(svc(name), "postgresql", "test") for name in names]


def test_pick_default_only_one():
    assert pick_default(matches("only"), None, "V").service.name == "only"


def test_pick_default_first_by_name():
    assert pick_default(matches("b", "C", "a"), None, "V").service.name == "C"  # code points
    assert pick_default(matches("b", "c", "a"), "", "V").service.name == "a"


def test_pick_default_requested():
    assert pick_default(matches("b", "c", "a"), "c", "V").service.name == "c"


def test_pick_default_requested_missing():
    with pytest.raises(ImproperlyConfigured) as excinfo:
        pick_default(matches("b", "a"), "z", "MY_VARIABLE")
    assert str(excinfo.value) == (
        "MY_VARIABLE (or default=) names 'z', but the bound services of that kind are 'a', 'b'."
    )


def test_pick_default_prefers_a_service_named_default():
    assert pick_default(matches("a", "default"), None, "V").service.name == "default"
    assert pick_default(matches("a", "default"), "default", "V").service.name == "default"
    with pytest.raises(ImproperlyConfigured, match="names 'a', but another bound service"):
        pick_default(matches("a", "default"), "a", "V")


def test_bound_aliases_builds_every_service_and_copies_the_default():
    built = []

    def build(match):
        built.append(match.service.name)
        return {"NAME": match.service.name, "OPTIONS": {"k": [1]}}

    result, chosen = bound_aliases(matches("b", "a"), None, "V", build)
    assert built == ["b", "a"]
    assert chosen == "a"
    assert result == {
        "default": {"NAME": "a", "OPTIONS": {"k": [1]}},
        "b": {"NAME": "b", "OPTIONS": {"k": [1]}},
        "a": {"NAME": "a", "OPTIONS": {"k": [1]}},
    }
    result["default"]["OPTIONS"]["k"].append(2)
    assert result["a"]["OPTIONS"] == {"k": [1]}


def test_bound_aliases_a_service_named_default_is_its_own_alias():
    result, chosen = bound_aliases(
        matches("default", "z"), None, "V", lambda m: {"N": m.service.name}
    )
    assert chosen == "default"
    assert result == {"default": {"N": "default"}, "z": {"N": "z"}}


def test_pick_default_records_what_was_requested():
    saved = dict(requested_defaults)
    try:
        pick_default(matches("a", "b"), "b", "V_REQ")
        assert requested_defaults["V_REQ"] == "b"
        pick_default(matches("a", "b"), "", "V_REQ")
        assert requested_defaults["V_REQ"] is None
    finally:
        requested_defaults.clear()
        requested_defaults.update(saved)


def test_copy_entry_copies_containers_and_shares_the_rest():
    leaf = object()
    original = {"a": [{"b": leaf}], "c": "text"}
    copied = copy_entry(original)
    assert copied == original
    assert copied["a"] is not original["a"] and copied["a"][0] is not original["a"][0]
    assert copied["a"][0]["b"] is leaf
