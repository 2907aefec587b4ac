"""Reading ``VCAP_SERVICES`` and ``VCAP_APPLICATION`` into plain records, or refusing them."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.sources import (
    Service,
    load_json,
    parse_services,
    read_application,
    read_services,
)
from tests.fixtures import HOSTILE, assert_no_secret, document, names

#: Bound before the faulty service in every error test: its password must not leak either.
HOSTILE_SERVICE = {
    "p.redis": [
        {"name": "secret", "credentials": {"password": HOSTILE, "uri": f"redis://:{HOSTILE}@h"}}
    ]
}


def refused(environ, hostile_first=True):
    text = environ["VCAP_SERVICES"]
    if (
        hostile_first and text.startswith("{") and text != "{}"
    ):  # put a service with HOSTILE in front
        hostile = json.dumps(HOSTILE_SERVICE)[:-1]
        environ = {**environ, "VCAP_SERVICES": f"{hostile}, {text[1:]}"}
    with pytest.raises(ImproperlyConfigured) as excinfo:
        read_services(environ)
    message = str(excinfo.value)
    assert_no_secret(message)
    return message


def vcap_text(document):
    return {"VCAP_SERVICES": json.dumps(document)}


@pytest.mark.parametrize("value", [None, "", "   ", "\n"])
def test_nothing_bound(value):
    environ = {} if value is None else {"VCAP_SERVICES": value}
    assert read_services(environ) == []


def test_empty_document():
    assert read_services({"VCAP_SERVICES": "{}"}) == []
    assert read_services({"VCAP_SERVICES": '{"p.mysql": []}'}) == []


def test_a_cloud_foundry_binding():
    (service,) = read_services(vcap_text(document("p.mysql")))
    assert (service.name, service.label, service.tags, service.plan, service.source) == (
        "orders-db",
        "p.mysql",
        ["mysql"],
        "db-small",
        "VCAP_SERVICES",
    )
    assert service.credentials["hostname"] == "q-n3s3y1.q-g693.bosh"
    assert not service.user_provided


@pytest.mark.parametrize("fixture", names())
def test_every_fixture_reads_as_one_service(fixture):
    doc = document(fixture)
    (service,) = read_services(vcap_text(doc))
    (raw,) = next(iter(doc.values()))
    assert service.name == raw["name"]
    assert service.credentials == raw["credentials"]


def test_user_provided():
    (service,) = read_services(vcap_text(document("user-provided-tag")))
    assert service.user_provided
    assert service.label == "user-provided"


def test_legacy_2012_format_takes_the_label_from_the_key():
    (service,) = read_services(vcap_text(document("mysql-5.1")))
    assert (service.name, service.label, service.tags, service.plan) == (
        "mysql-4f700",
        "mysql-5.1",
        [],
        "free",
    )


def test_instance_name_when_name_is_missing():
    doc = {"p.redis": [{"instance_name": "cache", "credentials": {}}]}
    assert [s.name for s in read_services(vcap_text(doc))] == ["cache"]


def test_optional_fields_may_be_null():
    doc = {"x": [{"name": "a", "tags": None, "credentials": None, "plan": None, "label": "x"}]}
    (service,) = read_services(vcap_text(doc))
    assert (service.tags, service.credentials, service.plan) == ([], {}, "")
    doc = {"x": [{"name": "a", "plan": {"id": 1}}]}
    assert read_services(vcap_text(doc))[0].plan == ""


def test_binding_order_is_kept():
    doc = {"b": [{"name": "z"}, {"name": "y"}], "a": [{"name": "x"}]}
    assert [s.name for s in read_services(vcap_text(doc))] == ["z", "y", "x"]


def test_the_same_binding_twice_counts_once():
    instance = document("p.redis")["p.redis"][0]
    doc = {"p.redis": [instance, dict(instance)]}
    assert len(read_services(vcap_text(doc))) == 1


def test_two_different_services_with_one_name_are_refused():
    doc = {
        "p.redis": [{"name": "cache", "credentials": {"password": HOSTILE}}],
        "user-provided": [{"name": "cache", "credentials": {"password": "other"}}],
    }
    assert refused(vcap_text(doc)) == (
        "VCAP_SERVICES binds two different services named 'cache'; service names must be unique."
    )


# --- bad documents -------------------------------------------------------------------------


def test_invalid_json_names_the_variable_and_position_never_the_content():
    text = '{"p.mysql": [{"name": "db", "credentials": {"password": "' + HOSTILE + '"}}'
    assert refused({"VCAP_SERVICES": text}, hostile_first=False) == (
        f"VCAP_SERVICES is not valid JSON at line 1 column {len(text) + 1}."
    )


def test_invalid_json_with_single_quotes():
    text = "{'p.mysql': [{'credentials': {'password': '" + HOSTILE + "'}}]}"
    message = refused({"VCAP_SERVICES": text}, hostile_first=False)
    assert message == "VCAP_SERVICES is not valid JSON at line 1 column 2."


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ([], " must be a JSON object mapping service labels to lists of services, not a list."),
        ("x", " must be a JSON object mapping service labels to lists of services, not a string."),
        (None, " must be a JSON object mapping service labels to lists of services, not null."),
        (1.5, " must be a JSON object mapping service labels to lists of services, not a number."),
        (
            True,
            " must be a JSON object mapping service labels to lists of services, not a boolean.",
        ),
        ({"p.mysql": {"name": "db"}}, "['p.mysql'] must be a list of services, not an object."),
        ({"p.mysql": [HOSTILE]}, "['p.mysql'][0] must be an object, not a string."),
        ({"p.mysql": [{}, 3]}, "['p.mysql'][0] has no 'name' (a non-empty string)."),
        ({"p.mysql": [{"name": ""}]}, "['p.mysql'][0] has no 'name' (a non-empty string)."),
        ({"p.mysql": [{"name": 7}]}, "['p.mysql'][0] has no 'name' (a non-empty string)."),
    ],
)
def test_wrong_document_shapes(doc, problem):
    assert refused(vcap_text(doc)) == f"VCAP_SERVICES{problem}"


@pytest.mark.parametrize(
    ("instance", "problem"),
    [
        ({"label": 5}, "'label' must be a string."),
        ({"tags": "mysql"}, "'tags' must be a list of strings."),
        ({"tags": ["mysql", 1]}, "'tags' must be a list of strings."),
        ({"credentials": HOSTILE}, "'credentials' must be an object, not a string."),
        ({"credentials": [HOSTILE]}, "'credentials' must be an object, not a list."),
    ],
)
def test_wrong_service_shapes_name_the_service_and_field(instance, problem):
    doc = {"p.mysql": [{"name": "orders", **instance}]}
    assert refused(vcap_text(doc)) == f"Service 'orders' in VCAP_SERVICES: {problem}"


def test_load_json_of_undecodable_bytes():
    with pytest.raises(ImproperlyConfigured) as excinfo:
        load_json(b'{"a": "\xff"}', "SOMEWHERE")
    assert str(excinfo.value) == "SOMEWHERE is not valid JSON."


def test_parse_services_with_another_source():
    (service,) = parse_services({"x": [{"name": "a"}]}, "ELSEWHERE")
    assert service.source == "ELSEWHERE"
    with pytest.raises(ImproperlyConfigured, match=r"^ELSEWHERE must be a JSON object"):
        parse_services([], "ELSEWHERE")


# --- Service -------------------------------------------------------------------------------


def test_service_repr_shows_no_credentials():
    service = Service("db", "p.mysql", ["mysql"], {"password": HOSTILE}, "small")
    assert repr(service) == "Service(name='db', label='p.mysql', tags=['mysql'])"
    assert_no_secret(repr(service))


def test_service_equality():
    a = Service("db", "p.mysql", ["mysql"], {"password": "x"}, "small")
    assert a == Service("db", "p.mysql", ["mysql"], {"password": "x"}, "small", "ELSEWHERE")
    assert a != Service("db", "p.mysql", ["mysql"], {"password": "y"}, "small")
    assert a != Service("db", "p.mysql", ["mysql"], {"password": "x"}, "large")
    assert a != "db"
    with pytest.raises(TypeError):
        hash(a)


# --- VCAP_APPLICATION ----------------------------------------------------------------------


def test_read_application():
    assert read_application({}) is None
    assert read_application({"VCAP_APPLICATION": " "}) is None
    assert read_application({"VCAP_APPLICATION": '{"name": "shop"}'}) == {"name": "shop"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "VCAP_APPLICATION is not valid JSON at line 1 column 2."),
        ('"shop"', "VCAP_APPLICATION must be a JSON object, not a string."),
        ("[]", "VCAP_APPLICATION must be a JSON object, not a list."),
    ],
)
def test_bad_application(text, message):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        read_application({"VCAP_APPLICATION": text})
    assert str(excinfo.value) == message
