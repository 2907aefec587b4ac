"""Several hosts: PostgreSQL gets them all (libpq's form), MySQL and Redis refuse them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import caches, databases
from cfsettings.bindings.classify import Match
from cfsettings.bindings.endpoint import read_endpoint
from cfsettings.bindings.service import Service
from cfsettings.bindings.target import libpq_host_port
from tests.fixtures import assert_no_secret, env, peer, peer_password, vcap


def read(credentials, kind="postgresql"):
    return read_endpoint(Match(Service("svc", "user-provided", [], credentials), kind, "test"))


def refused(credentials, kind):
    with pytest.raises(ImproperlyConfigured) as caught:
        read(credentials, kind)
    return str(caught.value)


@pytest.mark.parametrize(
    ("credentials", "hosts"),
    [
        ({"uri": "postgres://u@h1:5432,h2:5433/d"}, (("h1", 5432), ("h2", 5433))),
        ({"uri": "postgres://u@h1,h2:5433/d"}, (("h1", 5432), ("h2", 5433))),
        ({"uri": "postgres://u@[2001:db8::1]:6000,h2/d"}, (("2001:db8::1", 6000), ("h2", 5432))),
        ({"hosts": ["h1", "h2"], "port": 6000, "db": "d"}, (("h1", 6000), ("h2", 6000))),
        ({"hosts": ["h1:1", {"hostname": "h2", "port": 2}], "db": "d"}, (("h1", 1), ("h2", 2))),
        ({"hosts": ["h1", "h1"], "db": "d"}, ()),  # the same host twice is one host
    ],
)
def test_postgresql_host_lists(credentials, hosts):
    endpoint = read(credentials)
    assert endpoint.hosts == hosts
    assert endpoint.host == (hosts[0][0] if hosts else "h1")
    assert endpoint.params.get("target_session_attrs") == ("read-write" if hosts else None)


def test_a_host_list_is_noted_for_explain():
    endpoint = read({"uri": "postgres://u@h1,h2/d"})
    assert endpoint.notes == (
        "hosts: 2 hosts, tried in order; target_session_attrs=read-write finds the primary",
    )


def test_the_uri_may_choose_its_own_target_session_attrs():
    endpoint = read({"uri": "postgres://u@h1,h2/d?target_session_attrs=primary"})
    assert endpoint.params["target_session_attrs"] == "primary"


@pytest.mark.parametrize(
    "uri",
    [
        "postgres://u@h1,,h2/d",
        "postgres://u@,h2/d",
        "postgres://u@h1,h2:x/d",
        "postgres://u@h1,[::1/d",
    ],
)
def test_broken_host_lists(uri):
    assert "'uri' is not a valid URI (bad host or port)" in refused({"uri": uri}, "postgresql")


def test_libpq_host_port():
    assert libpq_host_port((("h1", 5432), ("h2", 5432))) == ("h1,h2", 5432)
    assert libpq_host_port((("h1", 5432), ("h2", 5433))) == ("h1,h2", "5432,5433")


def test_peer_postgresql_multi_host_becomes_libpq_lists():
    doc = peer("postgresql-multi-host")
    entry = databases(environ=vcap(doc))["default"]
    assert (entry["HOST"], entry["PORT"], entry["NAME"]) == (
        "pg-a.example.net,pg-b.example.net",
        "5432,5433",
        "orders_db",
    )
    assert entry["OPTIONS"] == {"target_session_attrs": "read-write"}
    assert entry["PASSWORD"] == peer_password(doc)


def test_peer_tanzu_postgres_ha_uses_every_host_not_the_first():
    doc = peer("tanzu-postgres-ha")
    entry = databases(environ=vcap(doc))["default"]
    assert (entry["HOST"], entry["PORT"]) == ("ledger-0.ledger.svc,ledger-1.ledger.svc", 5432)
    assert entry["OPTIONS"]["target_session_attrs"] == "read-write"


def test_peer_mysql_multi_host_is_refused_saying_what_to_bind():
    doc = peer("mysql-multi-host")
    with pytest.raises(ImproperlyConfigured) as caught:
        databases(environ=vcap(doc))
    message = str(caught.value)
    assert message == (
        "Service 'shop-db' (mysql): 'uri' lists 2 hosts, but mysqlclient connects to one host. "
        "Bind the address that always reaches the primary (a proxy or the cluster's failover "
        "host name) as 'host' or 'uri' instead."
    )
    assert peer_password(doc) not in message


def test_mysql_hosts_list_is_refused_too():
    message = refused({"hosts": ["a", "b"], "name": "d"}, "mysql")
    assert message.startswith("Service 'svc' (mysql): 'hosts' lists 2 hosts, but mysqlclient")


def test_redis_host_list_is_refused():
    message = refused({"hosts": ["a:6379", "b:6379"], "password": "x"}, "redis")
    assert message.startswith("Service 'svc' (redis): 'hosts' lists 2 hosts, but Django's Redis")
    assert_no_secret(message)


def test_memcached_host_list_becomes_servers():
    result = caches(environ=env("mc", {"hosts": ["a", "b:11212"]}, tags=["memcached"]))
    assert result["default"]["LOCATION"] == ["a:11211", "b:11212"]


def test_uri_facts_repr_hides_the_login():
    from cfsettings.bindings.fields import Where
    from cfsettings.bindings.uris import read_uri
    from tests.fixtures import HOSTILE_QUOTED

    facts = read_uri(Where("s", "postgresql"), f"postgres://u:{HOSTILE_QUOTED}@h/d", "uri")
    assert repr(facts) == "UriFacts(source='uri', addresses=(('h', None),))"
    assert_no_secret(repr(facts))
