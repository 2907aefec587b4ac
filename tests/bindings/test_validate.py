"""Hosts, users, passwords and database names that a driver would misread are refused."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given, settings
from hypothesis import strategies as st

from cfsettings import caches, databases
from cfsettings.bindings.classify import Match
from cfsettings.bindings.endpoint import read_endpoint
from cfsettings.bindings.fields import control_character
from cfsettings.bindings.service import Service
from tests.fixtures import HOSTILE, assert_no_secret, env

CONTROL = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x1F),
    st.characters(min_codepoint=0x7F, max_codepoint=0x9F),
    st.sampled_from(["\u2028", "\u2029"]),
)


def refused(credentials, kind="postgresql"):
    match = Match(Service("orders", "user-provided", [], credentials), kind, "test")
    with pytest.raises(ImproperlyConfigured) as caught:
        read_endpoint(match)
    message = str(caught.value)
    assert_no_secret(message)
    assert message.startswith(f"Service 'orders' ({kind}): ")
    return message


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(["host", "username", "password", "database"]),
    control=CONTROL,
    where=st.integers(min_value=0, max_value=len(HOSTILE)),
)
def test_a_control_character_in_a_field_is_refused_naming_the_field(field, control, where):
    value = HOSTILE[:where] + control + HOSTILE[where:]
    credentials = {"host": "db.example.com", "username": "app", "password": HOSTILE, "dbname": "d"}
    credentials[{"database": "dbname"}.get(field, field)] = value
    message = refused(credentials)
    kind = "a NUL character" if control == "\0" else "a control character"
    assert f"'{field}' contains {kind}, which drivers cannot pass on" in message


@settings(max_examples=100, deadline=None)
@given(
    part=st.sampled_from(["user", "password", "host", "database"]),
    control=CONTROL,
)
def test_a_control_character_inside_a_uri_is_refused(part, control):
    pieces = {"user": "app", "password": HOSTILE, "host": "h", "database": "d"}
    pieces[part] = pieces[part] + control
    uri = "postgres://{}:{}@{}/{}".format(*(quote(pieces[k], safe="") for k in pieces))
    message = refused({"uri": uri})
    field = "username" if part == "user" else part
    assert f"'{field}' contains a" in message


def test_the_nul_that_sent_a_connection_to_the_unix_socket():
    """libpq cuts at the NUL: ``127.0.0.1\\0`` would be a host, a NUL password an empty one."""
    environ = env("pg", {"uri": "postgres://app:p%00w@127.0.0.1:5432/d"}, tags=["postgresql"])
    with pytest.raises(ImproperlyConfigured, match=r"'password' contains a NUL character"):
        databases(environ=environ)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("db example.com", "'host' contains whitespace; a host name cannot"),
        ("db.example.com\u00a0", "'host' contains whitespace; a host name cannot"),
        ("db.example.com:5432", "'host' holds a port as well as a host; give the port in 'port'"),
        ("postgres://u:p@h:5432/d", "'host' holds a URI, not a host name; bind the URI as 'uri'"),
        ("db.example.com/d", "'host' is not a host name or address"),
        ("app@db.example.com", "'host' is not a host name or address"),
        ("h?sslmode=disable", "'host' is not a host name or address"),
        ("h#x", "'host' is not a host name or address"),
        ("a[b", "'host' is not a host name or address"),
    ],
)
def test_hosts_that_are_more_than_a_host(host, problem):
    message = refused({"host": host, "password": HOSTILE, "name": "d"})
    assert message.startswith(f"Service 'orders' (postgresql): {problem}")


@pytest.mark.parametrize(
    "host", ["db.example.com", "10.0.0.1", "2001:db8::1", "[2001:db8::1]", "/var/run/postgresql"]
)
def test_hosts_that_are_fine(host):
    endpoint = read_endpoint(
        Match(Service("o", "up", [], {"host": host, "name": "d"}), "postgresql", "t")
    )
    assert endpoint.host == host.strip("[]")


def test_whitespace_inside_a_uri_host_is_refused():
    assert "'host' contains whitespace" in refused({"uri": "postgres://u@db%20x/d"})
    assert "'host' contains whitespace" in refused({"uri": "postgres://u@db x/d"})


def test_memcached_servers_and_redis_hosts_are_checked_too():
    message = refused({"servers": ["a:1", "b\0:2"]}, "memcached")
    assert "'servers' contains a NUL character" in message
    message = refused({"host": "cache:6379", "password": HOSTILE}, "redis")
    assert "'host' holds a port" in message
    uri = f"redis://:{quote(HOSTILE + chr(7), safe='')}@h:6379"
    environ = env("c", {"uri": uri}, tags=["redis"])
    with pytest.raises(ImproperlyConfigured, match="'password' contains a control character"):
        caches(environ=environ)


def test_a_nul_in_a_uri_parameter_is_refused_but_newlines_of_pem_are_not():
    message = refused({"uri": "postgres://h/d?application_name=a%00b"})
    assert message.endswith("the URI parameter 'application_name' contains a NUL character.")
    endpoint = read_endpoint(
        Match(Service("o", "up", [], {"uri": "postgres://h/d?sslcert=a%0Ab"}), "postgresql", "t")
    )
    assert endpoint.params == {"sslcert": "a\nb"}


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("plain", None),
        ("tab\there", "a control character"),
        ("nul\0", "a NUL character"),
        ("del\x7f", "a control character"),
        ("c1\x85", "a control character"),
        ("line\u2028sep", "a control character"),
        ("é 密码", None),
    ],
)
def test_control_character(value, found):
    assert control_character(value) == found
