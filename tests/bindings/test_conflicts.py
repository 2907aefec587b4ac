"""When the credentials disagree: the documented rule decides, and a note says what lost."""

from __future__ import annotations

import pytest

from cfsettings import databases
from cfsettings.bindings.classify import Match
from cfsettings.bindings.endpoint import read_endpoint
from cfsettings.bindings.service import SERVICE_BINDING_ROOT, Service
from tests.fixtures import HOSTILE, assert_no_secret, peer, peer_password, vcap


def read(credentials, kind="postgresql", source="VCAP_SERVICES"):
    service = Service("svc", "user-provided", [], credentials, source=source)
    return read_endpoint(Match(service, kind, "test"))


@pytest.mark.parametrize(
    ("credentials", "database"),
    [
        ({"name": "instance-7", "uri": "postgres://h/real_db"}, "real_db"),
        ({"name": "instance-7", "jdbcUrl": "jdbc:postgresql://h/real_db"}, "real_db"),
        ({"name": "d", "host": "h"}, "d"),
        ({"dbname": "explicit", "name": "n", "uri": "postgres://h/path"}, "explicit"),
        ({"db": "explicit", "name": "n", "uri": "postgres://h/path"}, "explicit"),
        ({"database_name": "explicit", "uri": "postgres://h/path"}, "explicit"),
        ({"uri": "postgres://h/from_uri", "jdbcUrl": "jdbc:postgresql://h/from_jdbc"}, "from_uri"),
        ({"name": "n", "uri": "postgres://h/"}, "n"),  # an empty path names nothing
    ],
)
def test_database_name_rule(credentials, database):
    assert read(credentials).database == database


def test_the_ambiguous_name_loses_to_the_uri_path_and_a_note_says_so():
    endpoint = read({"name": "instance-7", "uri": "postgres://h/real_db"})
    assert endpoint.notes == (
        "database: 'real_db' from the path of 'uri' is used; 'name' names 'instance-7' "
        "(a URI's path beats 'name', which brokers also use for the instance name)",
    )


def test_an_explicit_key_beats_both_and_notes_each():
    endpoint = read(
        {"dbname": "x", "name": "n", "uri": "postgres://h/p", "jdbcUrl": "jdbc:postgresql://h/j"}
    )
    assert endpoint.database == "x"
    why = "an explicit database key beats a URI's path and 'name'"
    assert endpoint.notes == (
        f"database: 'x' from 'dbname' is used; the path of 'uri' names 'p' ({why})",
        f"database: 'x' from 'dbname' is used; the path of 'jdbcUrl' names 'j' ({why})",
        f"database: 'x' from 'dbname' is used; 'name' names 'n' ({why})",
    )


def test_two_uris_that_disagree_are_noted():
    endpoint = read({"uri": "postgres://h/a", "jdbcUrl": "jdbc:postgresql://h/b"})
    assert endpoint.notes == (
        "database: 'a' from the path of 'uri' is used; the path of 'jdbcUrl' names 'b' "
        "(a stronger URI wins)",
    )


def test_agreeing_sources_make_no_note():
    assert (
        read({"name": "d", "dbname": "d", "uri": "postgres://h:5432/d", "port": 5432}).notes == ()
    )


def test_a_password_reused_as_a_name_is_masked_in_notes():
    endpoint = read({"name": HOSTILE, "password": HOSTILE, "uri": "postgres://h/real"})
    assert "'********'" in endpoint.notes[0]
    assert_no_secret(" ".join(endpoint.notes))


def test_host_and_port_conflicts_are_noted_and_the_field_wins():
    endpoint = read({"host": "field-host", "port": 6000, "uri": "postgres://uri-host:7000/d"})
    assert (endpoint.host, endpoint.port) == ("field-host", 6000)
    assert endpoint.notes == (
        "host: 'host' is used; 'uri' names another host (a discrete field beats a URI)",
        "port: 'port' (6000) beats the port of a URI (7000)",
    )


def test_google_name_is_never_a_database_even_without_a_uri_path():
    credentials = {
        "Name": "svc-account",
        "PrivateKeyData": "x",
        "host": "h",
        "uri": "postgres://h/",
    }
    with pytest.raises(Exception, match="no database name"):
        read(credentials)


def test_redis_database_entry_only_in_binding_directories():
    credentials = {"host": "h", "database": "4", "name": "3"}
    assert read(credentials, "redis").database == ""
    assert read(credentials, "redis", SERVICE_BINDING_ROOT).database == "4"
    directory = read({"uri": "redis://h/5", "database": "4"}, "redis", SERVICE_BINDING_ROOT)
    assert directory.database == "4"
    assert directory.notes[0].startswith("database: '4' from 'database' is used; the path of")


def test_peer_p_mysql_connects_to_the_uri_path_not_the_instance_name(monkeypatch):
    """java-cfenv's TLS document: ``name`` is the instance, the URI path is the database."""
    doc = peer("p-mysql-tls")
    entry = databases(environ=vcap(doc))["default"]
    assert entry["NAME"] == "service_instance_db"
    assert entry["PASSWORD"] == peer_password(doc)


def test_peer_compose_name_is_the_deployment():
    doc = peer("compose-name")
    entry = databases(environ=vcap(doc))["default"]
    assert entry["NAME"] == "compose"
    assert (entry["HOST"], entry["PORT"]) == ("sl-us-dal-9-portal.7.dblayer.com", 10401)
