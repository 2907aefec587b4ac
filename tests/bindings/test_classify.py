"""Deciding what each bound service is: URI scheme, then tags, then label, then shape."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.classify import (
    Ignored,
    Match,
    classify,
    classify_all,
    lower_keys,
    matches_of,
    nested_connection,
    uri_schemes,
)
from cfsettings.bindings.sources import Service, parse_services
from tests.fixtures import HOSTILE, HOSTILE_QUOTED, assert_no_secret, document


def svc(credentials=None, *, label="user-provided", tags=(), name="svc"):
    return Service(name, label, list(tags), credentials or {})


def decide(*args, **kwargs):
    result = classify(svc(*args, **kwargs))
    if isinstance(result, Match):
        return result.kind, result.rule
    return "ignored", result.reason


def refuse(credentials, **kwargs):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        classify(svc({"password": HOSTILE, **credentials}, **kwargs))
    message = str(excinfo.value)
    assert_no_secret(message)
    return message


# --- every broker fixture ------------------------------------------------------------------

FIXTURE_KINDS = {
    "a9s-postgresql": ("postgresql", "URI scheme 'postgres' in 'uri'"),
    "aws-rds": ("postgresql", "URI scheme 'postgres' in 'uri'"),
    "azure-mysql": ("mysql", "URI scheme 'mysql' in 'uri'"),
    "azure-postgresql": ("postgresql", "URI scheme 'postgresql' in 'uri'"),
    "cleardb": ("mysql", "URI scheme 'mysql' in 'uri'"),
    "crunchy": ("postgresql", "tag 'postgresql'"),
    "databases-for-postgresql": ("postgresql", "URI scheme 'postgres' in 'connection.composed'"),
    "databases-for-redis": ("redis", "URI scheme 'rediss' in 'connection.composed'"),
    "elephantsql": ("postgresql", "URI scheme 'postgres' in 'uri'"),
    "google-cloudsql-mysql": ("mysql", "URI scheme 'mysql' in 'uri'"),
    "google-cloudsql-postgres": ("postgresql", "URI scheme 'postgres' in 'uri'"),
    "memcachedcloud": ("memcached", "tag 'memcached'"),
    "memcachier": ("memcached", "label 'memcachier'"),
    "mysql-5.1": ("mysql", "label 'mysql-5.1'"),
    "p-mysql": ("mysql", "URI scheme 'mysql' in 'uri'"),
    "p.mysql": ("mysql", "URI scheme 'mysql' in 'uri'"),
    "p.redis": ("redis", "tag 'redis'"),
    "rediscloud": ("redis", "tag 'redis'"),
    "user-provided-memcached": ("memcached", "tag 'memcached'"),
    "user-provided-tag": ("postgresql", "tag 'postgresql'"),
    "user-provided-uri": ("mysql", "URI scheme 'mysql2' in 'uri'"),
}


@pytest.mark.parametrize("fixture", sorted(FIXTURE_KINDS))
def test_every_broker_fixture(fixture):
    (decision,) = classify_all(parse_services(document(fixture)))
    assert isinstance(decision, Match)
    assert (decision.kind, decision.rule) == FIXTURE_KINDS[fixture]


def test_every_fixture_is_classified_here():
    from tests.fixtures import names

    assert sorted(FIXTURE_KINDS) == names()


# --- each level ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "kind", "rule"),
    [
        ({"uri": "mysql://h/d"}, "mysql", "URI scheme 'mysql' in 'uri'"),
        ({"url": "MySQL2://h/d"}, "mysql", "URI scheme 'mysql2' in 'url'"),
        ({"uri": "mariadb://h/d"}, "mysql", "URI scheme 'mariadb' in 'uri'"),
        ({"uri": "pgsql://h/d"}, "postgresql", "URI scheme 'pgsql' in 'uri'"),
        ({"redisUri": "redis://h"}, "redis", "URI scheme 'redis' in 'redisuri'"),
        ({"REDIS_URL": "rediss://h"}, "redis", "URI scheme 'rediss' in 'redis_url'"),
        (
            {"memcached_uri": "memcache://h"},
            "memcached",
            "URI scheme 'memcache' in 'memcached_uri'",
        ),
        (
            {"jdbcUrl": "jdbc:postgresql://h/d"},
            "postgresql",
            "URI scheme 'postgresql' in 'jdbcUrl'",
        ),
        ({"jdbc_url": "jdbc:mariadb://h/d"}, "mysql", "URI scheme 'mariadb' in 'jdbcUrl'"),
        ({"uri": " jdbc:mysql://h/d "}, "mysql", "URI scheme 'mysql' in 'uri'"),
    ],
)
def test_by_uri_scheme(credentials, kind, rule):
    assert decide(credentials) == (kind, rule)


@pytest.mark.parametrize(
    ("tags", "kind"),
    [
        (["mysql"], "mysql"),
        (["MariaDB"], "mysql"),
        (["postgres"], "postgresql"),
        (["PostgreSQL", "relational"], "postgresql"),
        (["redis"], "redis"),
        (["memcache"], "memcached"),
        (["mysql", "mariadb"], "mysql"),
    ],
)
def test_by_tag(tags, kind):
    assert decide({"host": "h"}, tags=tags)[0] == kind


def test_tags_are_whole_words():
    assert decide({"host": "h"}, tags=["mysql-compatible", "not-redis"])[0] == "ignored"


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("p.mysql", "mysql"),
        ("p-mysql", "mysql"),
        ("cleardb", "mysql"),
        ("a9s-mariadb106", "mysql"),
        ("databases-for-postgresql", "postgresql"),
        ("elephantsql", "postgresql"),
        ("p.redis", "redis"),
        ("rediscloud", "redis"),
        ("memcachier", "memcached"),
        ("memcachedcloud", "memcached"),
        ("Google-CloudSQL-Postgres", "postgresql"),
    ],
)
def test_by_label(label, kind):
    assert decide({"host": "h"}, label=label) == (kind, f"label {label!r}")


def test_by_shape_servers_means_memcached():
    assert decide({"Servers": "a:1"}) == ("memcached", "credential 'servers'")


def test_nothing_recognisable_is_ignored_with_a_reason():
    assert decide({"host": "h"}, label="p.rabbitmq", tags=["rabbitmq"]) == (
        "ignored",
        "no tag, label, URI scheme or credential matched a known kind",
    )


def test_unknown_scheme_alone_is_ignored_naming_it():
    assert decide({"uri": "amqp://u:p@h/vhost"}, label="p.rabbitmq") == (
        "ignored",
        "its 'uri' has the scheme 'amqp', which is not a database or cache",
    )


def test_dashboard_links_are_neither_known_nor_unknown():
    assert decide({"url": "https://dash", "uri": "postgres://h/d"})[0] == "postgresql"
    assert decide({"url": "https://dash"}, tags=["redis"]) == ("redis", "tag 'redis'")
    assert decide({"url": "http://dash"})[0] == "ignored"


# --- precedence and ambiguity --------------------------------------------------------------


def test_uri_beats_tags_and_label():
    assert decide({"uri": "postgres://h/d"}, tags=["mysql"], label="p.mysql") == (
        "postgresql",
        "URI scheme 'postgres' in 'uri'",
    )


def test_tags_beat_label():
    assert decide({"host": "h"}, tags=["postgresql"], label="p.mysql")[0] == "postgresql"


def test_ambiguous_tags_settled_by_label():
    assert decide({"host": "h"}, tags=["mysql", "postgres"], label="elephantsql") == (
        "postgresql",
        "label 'elephantsql'",
    )


def test_ambiguous_uris_settled_by_tag():
    credentials = {"uri": "postgres://h/d", "jdbcUrl": "jdbc:mysql://h/d"}
    assert decide(credentials, tags=["mysql"]) == ("mysql", "tag 'mysql'")


def test_truly_ambiguous_names_the_service_and_the_evidence():
    message = refuse({"password": HOSTILE}, tags=["mysql", "redis"], name="both-db")
    assert message == (
        "Service 'both-db' is ambiguous: tag 'mysql', tag 'redis'. Give it one engine's tag "
        "(for example with `cf update-user-provided-service -t`)."
    )


def test_ambiguous_at_every_level():
    message = refuse(
        {"uri": "postgres://h/d", "jdbcUrl": "jdbc:mysql://h/d"},
        tags=["mysql", "postgres"],
        label="redis-memcache",
    )
    assert "URI scheme 'postgres' in 'uri', URI scheme 'mysql' in 'jdbcUrl'" in message
    assert "tag 'mysql', tag 'postgres'" in message
    assert "label 'redis-memcache', label 'redis-memcache'" in message


def test_known_tag_with_an_unknown_uri_scheme_is_an_error():
    message = refuse(
        {"uri": f"amqp://u:{HOSTILE_QUOTED}@h/v", "password": HOSTILE},
        tags=["redis"],
        name="queue",
    )
    assert message == (
        "Service 'queue' looks like redis (tag 'redis') but its 'uri' has the scheme 'amqp'; "
        "cfsettings cannot tell how to connect."
    )


@pytest.mark.parametrize("value", ["10.0.0.1:5432", f"{HOSTILE}:x", ":x", "1:x", "a b:c"])
def test_values_without_a_uri_scheme_are_not_uris(value):
    assert uri_schemes(svc({"url": value})) == []
    assert decide({"url": value}) == (
        "ignored",
        "no tag, label, URI scheme or credential matched a known kind",
    )
    assert decide({"url": value}, tags=["postgres"]) == ("postgresql", "tag 'postgres'")


def test_scheme_syntax_is_rfc_3986():
    assert uri_schemes(svc({"url": "db.example.com:5432"})) == [("url", "db.example.com")]
    assert uri_schemes(svc({"url": "svn+ssh-2.x://h"})) == [("url", "svn+ssh-2.x")]
    assert uri_schemes(svc({"url": "pöstgres://h"})) == []


def test_uri_schemes_lists_every_uri_credential():
    credentials = {
        "uri": "postgres://h/d",
        "jdbcUrl": "jdbc:postgresql://h/d",
        "url": 42,
        "redis_uri": "no colon here",
        "connection": {"postgres": {"composed": ["postgresql://h/d"]}},
    }
    assert uri_schemes(svc(credentials)) == [
        ("uri", "postgres"),
        ("jdbcurl", "postgresql"),
        ("connection.composed", "postgresql"),
    ]


# --- helpers -------------------------------------------------------------------------------


def test_lower_keys_first_spelling_wins():
    assert lower_keys({"URI": "a", "uri": "b", "Host": "c"}) == {"uri": "a", "host": "c"}


@pytest.mark.parametrize(
    ("connection", "block"),
    [
        ({"postgres": {"a": 1}, "cli": {"b": 2}}, {"a": 1}),
        ({"rediss": {"a": 1}}, {"a": 1}),
        ({"postgres": {"a": 1}, "mysql": {"b": 2}}, None),
        ({"postgres": "not a block"}, None),
        ("not a dict", None),
    ],
)
def test_nested_connection(connection, block):
    assert nested_connection({"connection": connection}) == block
    assert nested_connection({}) is None


def test_nested_composed_must_be_a_non_empty_list():
    assert decide({"connection": {"postgres": {"composed": []}}})[0] == "ignored"
    assert decide({"connection": {"postgres": {"composed": "postgres://h"}}})[0] == "ignored"


def test_classify_all_keeps_binding_order_and_matches_of_filters():
    services = [
        svc({"uri": "redis://h"}, name="c"),
        svc({"uri": "mysql://h/d"}, name="a"),
        svc({}, name="x"),
        svc({"uri": "postgres://h/d"}, name="b"),
    ]
    decisions = classify_all(services)
    assert [d.service.name for d in decisions] == ["c", "a", "x", "b"]
    assert isinstance(decisions[2], Ignored)
    databases = matches_of(decisions, ("mysql", "postgresql"))
    assert [m.service.name for m in databases] == ["a", "b"]
    assert [m.service.name for m in matches_of(decisions, ("redis",))] == ["c"]


def test_reprs_show_no_credentials():
    service = svc({"password": HOSTILE, "uri": f"postgres://u:{HOSTILE_QUOTED}@h/d"}, name="db")
    match = classify(service)
    ignored = Ignored(service, "because")
    assert (
        repr(match)
        == "Match(service='db', kind='postgresql', rule=\"URI scheme 'postgres' in 'uri'\")"
    )
    assert repr(ignored) == "Ignored(service='db', reason='because')"
    for text in (repr(match), repr(ignored), repr(service)):
        assert_no_secret(text)
