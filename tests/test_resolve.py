"""``resolve``: one pass from an environment to one frozen result that every reader shares."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.sources import SERVICE_BINDING_ROOT, VCAP_SERVICES
from cfsettings.caches import caches
from cfsettings.databases import databases
from cfsettings.defaults import FIRST_BY_NAME, ONLY, VARIABLE, DefaultChoice
from cfsettings.resolve import (
    CACHE_FAMILY,
    DATABASE_FAMILY,
    EMAIL_FAMILY,
    FAMILIES,
    STORAGE_FAMILY,
    resolve,
)
from tests.fixtures import CA_PEM, HOSTILE, assert_no_secret, document, service, vcap
from tests.records import data
from tests.storage.fixtures import storage_document

MIXED = vcap(
    document("p.mysql"),  # orders-db
    document("elephantsql"),  # elephantsql-c6c60
    document("p.redis"),  # sessions
    service("mail", {"host": "smtp.example.com", "from": "shop@example.com"}, tags=["smtp"]),
    service("logs", {"drain": "syslog://logs.example.com"}),
    storage_document("csb-aws-s3-bucket"),  # uploads
    service("both", {"host": "h", "name": "d", "password": HOSTILE}, tags=["mysql", "postgres"]),
    service("hostless", {"password": HOSTILE}, tags=["redis"]),
)


def by_name(resolution):
    return {resolved.service.name: resolved for resolved in resolution.services}


def test_nothing_set():
    resolution = resolve({})
    assert (resolution.source, resolution.ignored_sources, resolution.error) == (None, (), None)
    assert resolution.services == () and resolution.cert_dir is None
    for family in FAMILIES:
        bound = resolution.bound(family)
        assert bound.family is family
        assert (bound.services, bound.default, bound.default_error, bound.url) == (
            (),
            None,
            None,
            "",
        )
    resolution.raise_for_bindings()  # nothing to raise


def test_every_service_gets_its_decision_endpoint_or_error():
    resolution = resolve(MIXED)
    assert resolution.source == VCAP_SERVICES and resolution.error is None
    services = by_name(resolution)
    assert list(services) == [
        "orders-db",
        "elephantsql-c6c60",
        "sessions",
        "mail",
        "logs",
        "both",
        "hostless",
        "uploads",  # vcap() groups by label: csb-aws-s3-bucket comes after user-provided
    ]

    orders = services["orders-db"]
    assert orders.match is not None and orders.ignored is None
    assert (orders.match.kind, orders.match.rule) == ("mysql", "URI scheme 'mysql' in 'uri'")
    assert orders.endpoint is not None and orders.endpoint.database and orders.error is None

    mail = services["mail"]  # a relay: read by bindings/smtp.py, not into an Endpoint
    assert mail.match is not None and mail.match.kind == "smtp" and mail.endpoint is None
    assert mail.relay is not None and mail.relay.sender == "shop@example.com"
    assert mail.bucket is None and mail.error is None

    uploads = services["uploads"]  # a bucket: bindings/s3.py
    assert uploads.match is not None and uploads.match.kind == "s3"
    assert uploads.bucket is not None and uploads.bucket.name.startswith("csb-")
    assert uploads.endpoint is None and uploads.relay is None

    logs = services["logs"]
    assert logs.match is None and logs.endpoint is None and logs.error is None
    assert logs.ignored is not None and "no tag, label" in logs.ignored.reason

    both = services["both"]  # cannot be classified: no decision, an error
    assert both.decision is None and both.match is None and both.ignored is None
    assert both.error is not None and both.error.startswith("Service 'both' is ambiguous")

    hostless = services["hostless"]  # a match whose credentials cannot be read
    assert hostless.match is not None and hostless.endpoint is None
    assert hostless.error.startswith("Service 'hostless' (redis): the credentials have no host")
    for resolved in resolution.services:
        assert_no_secret(resolved.error or "")
    assert_no_secret(repr(resolution))


def test_families_hold_their_matches_in_binding_order_and_the_default():
    resolution = resolve(MIXED)
    assert resolution.databases.family is DATABASE_FAMILY
    assert resolution.databases.names == ["orders-db", "elephantsql-c6c60"]
    assert data(resolution.databases.default) == data(
        DefaultChoice("elephantsql-c6c60", FIRST_BY_NAME)
    )
    assert resolution.caches.names == ["sessions", "hostless"]  # an unreadable match counts
    assert resolution.bound(CACHE_FAMILY) is resolution.caches
    assert resolution.storages.names == ["uploads"]
    assert data(resolution.storages.default) == data(DefaultChoice("uploads", ONLY))
    assert resolution.bound(STORAGE_FAMILY) is resolution.storages
    assert resolution.email.names == ["mail"]
    assert resolution.bound(EMAIL_FAMILY) is resolution.email
    chosen = resolve({**MIXED, "CFSETTINGS_DEFAULT_CACHE": "hostless"})
    assert data(chosen.caches.default) == data(DefaultChoice("hostless", VARIABLE))
    assert chosen.caches.requested == "hostless"


def test_a_variable_naming_no_bound_service_is_kept_as_the_error():
    resolution = resolve(vcap(document("p.redis"), CFSETTINGS_DEFAULT_CACHE="nope"))
    bound = resolution.caches
    assert bound.default is None
    assert bound.default_error == (
        "CFSETTINGS_DEFAULT_CACHE (or default=) names 'nope', but the bound services of that "
        "kind are 'sessions'."
    )
    with pytest.raises(ImproperlyConfigured, match="names 'nope'"):
        bound.choose(None)
    assert bound.choose("sessions").name == "sessions"  # the argument wins over the variable


def test_choose_without_an_argument_is_the_resolutions_choice():
    bound = resolve(vcap(document("p.redis"))).caches
    assert bound.choose(None) is bound.default
    assert data(bound.default) == data(DefaultChoice("sessions", ONLY))


def test_unreadable_bindings_are_one_error_and_no_service():
    resolution = resolve({VCAP_SERVICES: '{"x": [{"password": "' + HOSTILE})
    assert resolution.services == ()
    assert resolution.error is not None and resolution.error.startswith("VCAP_SERVICES is not")
    assert_no_secret(resolution.error)
    with pytest.raises(ImproperlyConfigured, match="VCAP_SERVICES is not"):
        resolution.raise_for_bindings()


def test_an_unclassifiable_service_stops_both_families():
    resolution = resolve(MIXED)
    with pytest.raises(ImproperlyConfigured, match="'both' is ambiguous"):
        resolution.raise_for_bindings()
    with pytest.raises(ImproperlyConfigured, match="'both' is ambiguous"):
        caches(resolution=resolution)


def test_an_unreadable_match_stops_its_family_only(tmp_path):
    environ = vcap(document("p.mysql"), service("hostless", {"password": HOSTILE}, tags=["redis"]))
    resolution = resolve(environ)
    assert set(databases(resolution=resolution, cert_dir=str(tmp_path))) == {"default", "orders-db"}
    with pytest.raises(ImproperlyConfigured, match="'hostless' \\(redis\\): the credentials"):
        caches(resolution=resolution)


def test_binding_sources_read_and_ignored(tmp_path):
    resolution = resolve({VCAP_SERVICES: "{}", SERVICE_BINDING_ROOT: str(tmp_path)})
    assert resolution.source == VCAP_SERVICES
    assert resolution.ignored_sources == (SERVICE_BINDING_ROOT,)


def test_url_variables_are_stripped_kept_out_of_repr_and_the_cert_dir_kept(tmp_path):
    resolution = resolve(
        {
            "DATABASE_URL": f" postgres://u:{HOSTILE}@h/d ",
            "REDIS_URL": "\tredis://h\n",
            "CFSETTINGS_CERT_DIR": str(tmp_path),
        }
    )
    assert resolution.databases.url == f"postgres://u:{HOSTILE}@h/d"
    assert_no_secret(repr(resolution))
    assert resolution.caches.url == "redis://h"
    assert resolution.cert_dir == str(tmp_path)


def test_resolving_writes_nothing(tmp_path):
    """Certificates are written by the builders, when a setting is built, never by resolve."""
    cert_dir = tmp_path / "certs"
    environ = vcap(
        service("db", {"uri": "postgres://u:p@h/d", "sslrootcert": CA_PEM}, tags=["postgres"]),
        CFSETTINGS_CERT_DIR=str(cert_dir),
    )
    resolution = resolve(environ)
    assert not cert_dir.exists()
    assert by_name(resolution)["db"].endpoint is not None
    databases(resolution=resolution)
    assert len(list(cert_dir.iterdir())) == 1


def test_the_result_is_independent_of_earlier_calls():
    """(Its records are frozen for mypy: tests/typecheck/records_are_final.py.)"""
    first = resolve(MIXED)
    assert isinstance(first.services, tuple) and isinstance(first.databases.services, tuple)
    other = resolve(vcap(document("p.mysql"), CFSETTINGS_DEFAULT_DATABASE="orders-db"))
    again = resolve(MIXED)
    assert data(other.databases.default) == data(DefaultChoice("orders-db", VARIABLE))
    assert data(again.databases.default) == data(first.databases.default)
    assert [r.service.name for r in again.services] == [r.service.name for r in first.services]


def test_a_document_of_every_broker_resolves_without_errors():
    from tests.fixtures import names

    for fixture in names():
        resolution = resolve({VCAP_SERVICES: json.dumps(document(fixture))})
        assert resolution.error is None
        for resolved in resolution.services:
            assert resolved.match is not None and resolved.endpoint is not None, fixture


def test_one_resolution_serves_databases_and_caches(cert_dir):
    """settings.py may resolve once and pass the result to both: the same settings."""
    from cfsettings import caches, databases

    environ = vcap(document("p.mysql"), document("elephantsql"), document("p.redis"))
    resolution = resolve(environ)
    assert databases(resolution=resolution, cert_dir=cert_dir) == databases(
        environ=environ, cert_dir=cert_dir
    )
    assert caches(resolution=resolution) == caches(environ=environ)
    assert databases(resolution=resolve({}), environ=environ)["default"]["ENGINE"].endswith(
        "sqlite3"
    )  # the resolution is what is read, not environ


def test_members_raise_what_stops_the_family_and_otherwise_share_the_read_services():
    environ = vcap(
        service("mail", {"host": "smtp.example.com"}, tags=["smtp"]),
        service("half", {"host": "h", "username": "u"}, tags=["smtp"]),
        storage_document("csb-aws-s3-bucket"),
    )
    resolution = resolve(environ)
    with pytest.raises(ImproperlyConfigured, match="'half' \\(smtp\\): the credentials have a"):
        resolution.members(EMAIL_FAMILY, "mail")
    chosen, members = resolution.members(STORAGE_FAMILY, None)
    assert chosen == "uploads" and members == resolution.storages.services
    assert resolution.members(DATABASE_FAMILY, None) == ("", ())


def test_the_environment_is_kept_for_the_builders_but_never_shown():
    environ = vcap(document("p.mysql"), WEB_CONCURRENCY="3", SECRET_KEY=HOSTILE)
    resolution = resolve(environ)
    assert resolution.environ is environ
    assert "environ" not in repr(resolution) and "WEB_CONCURRENCY" not in repr(resolution)
    assert_no_secret(repr(resolution))


def test_a_family_resolved_alone_reads_only_its_matches_and_classifies_every_service(tmp_path):
    environ = vcap(
        document("p.mysql"),
        service("half", {"host": "h", "username": "u"}, tags=["smtp"]),  # unreadable relay
        service("hostless", {"password": HOSTILE}, tags=["redis"]),  # unreadable cache
        service("logs", {"drain": "syslog://logs.example.com"}),
    )
    everything = by_name(resolve(environ))
    alone = resolve(environ, (DATABASE_FAMILY,))
    services = by_name(alone)
    assert list(services) == list(everything)
    assert data([r.decision for r in alone.services]) == data(
        [everything[n].decision for n in services]
    )
    assert data(services["orders-db"]) == data(everything["orders-db"])  # its own family: read
    for name in ("half", "hostless"):  # another family's matches: classified, not read
        assert everything[name].error is not None
        assert services[name].match is not None and services[name].error is None
    assert services["logs"].ignored is not None
    assert data(alone.databases) == data(resolve(environ).databases)
    # what databases() builds and raises is the same either way
    expected = databases(resolution=resolve(environ), cert_dir=str(tmp_path))
    assert databases(environ=environ, cert_dir=str(tmp_path)) == expected
    with pytest.raises(ImproperlyConfigured, match="'hostless' \\(redis\\): the credentials"):
        caches(environ=environ)


def test_a_family_resolved_alone_still_stops_at_an_unclassifiable_service():
    environ = vcap(
        document("p.mysql"),
        service(
            "both", {"host": "h", "name": "d", "password": HOSTILE}, tags=["mysql", "postgres"]
        ),
    )
    for family in FAMILIES:
        resolution = resolve(environ, (family,))
        with pytest.raises(ImproperlyConfigured, match="Service 'both' is ambiguous"):
            resolution.members(family, None)
