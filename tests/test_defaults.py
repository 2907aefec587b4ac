"""Which of several bound services becomes ``default``, how, and every one's own alias."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.defaults import (
    ARGUMENT,
    FIRST_BY_NAME,
    NAMED_DEFAULT,
    ONLY,
    VARIABLE,
    DefaultChoice,
    choose_default,
    copied_service,
    same_entry,
    with_default,
)
from tests.records import data


def choose(names, argument=None, variable_value=None):
    return choose_default(
        names, argument=argument, variable_value=variable_value, variable="MY_VARIABLE"
    )


def test_the_only_one():
    assert data(choose(["only"])) == data(DefaultChoice("only", ONLY))
    assert data(choose(["default"])) == data(DefaultChoice("default", ONLY))


def test_first_by_name_when_none_is_chosen():
    assert data(choose(["b", "C", "a"])) == data(DefaultChoice("C", FIRST_BY_NAME))  # code points
    assert data(choose(["b", "c", "a"], "", "")) == data(DefaultChoice("a", FIRST_BY_NAME))


def test_the_argument_beats_the_variable():
    assert data(choose(["b", "c", "a"], variable_value="c")) == data(DefaultChoice("c", VARIABLE))
    assert data(choose(["b", "c", "a"], "b", "c")) == data(DefaultChoice("b", ARGUMENT))
    assert data(choose(["a"], "a")) == data(DefaultChoice("a", ARGUMENT))


def test_naming_a_service_that_is_not_bound_is_an_error_naming_the_variable():
    with pytest.raises(ImproperlyConfigured) as caught:
        choose(["b", "a"], variable_value="z")
    assert str(caught.value) == (
        "MY_VARIABLE (or default=) names 'z', but the bound services of that kind are 'a', 'b'."
    )


def test_a_service_named_default_is_the_default():
    assert data(choose(["a", "default"])) == data(DefaultChoice("default", NAMED_DEFAULT))
    assert data(choose(["a", "default"], "default")) == data(DefaultChoice("default", ARGUMENT))
    with pytest.raises(ImproperlyConfigured, match="names 'a', but another bound service"):
        choose(["a", "default"], variable_value="a")


def test_with_default_puts_a_deep_copy_first():
    entries = {"b": {"NAME": "b", "OPTIONS": {"k": [1]}}, "a": {"NAME": "a", "OPTIONS": {"k": [1]}}}
    result = with_default(entries, "a")
    assert list(result) == ["default", "b", "a"]
    assert result == {"default": entries["a"], **entries}
    result["default"]["OPTIONS"]["k"].append(2)
    assert result["a"]["OPTIONS"] == {"k": [1]}


def test_with_default_a_service_named_default_is_its_own_alias():
    entries = {"z": {"N": "z"}, "default": {"N": "default"}}
    result = with_default(entries, "default")
    assert list(result) == ["default", "z"]
    assert result["default"] is entries["default"]


def test_same_entry_ignores_the_test_mirror_only():
    entry = {"NAME": "a", "TEST": {"MIRROR": "default"}}
    assert same_entry({"NAME": "a"}, entry)
    assert not same_entry({"NAME": "b"}, entry)
    assert not same_entry(None, entry) and not same_entry({"NAME": "a"}, "a")


def test_copied_service_is_the_first_name_whose_entry_default_copies():
    setting = {"default": {"N": 1}, "x": {"N": 2}, "y": {"N": 1}, "z": {"N": 1}}
    assert copied_service(setting, ["x", "z", "y"]) == "z"
    assert copied_service(setting, ["x", "missing"]) is None
    assert copied_service(None, ["x"]) is None
    assert copied_service({"x": {"N": 2}}, ["x"]) is None  # no default entry
