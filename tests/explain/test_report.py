"""``build_report``: what explain says about each service, default and setting, from the
resolution and the settings."""

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any

from cfsettings.bindings.sources import (
    SERVICE_BINDING_ROOT,
    VCAP_APPLICATION,
    VCAP_SERVICES,
    VCAP_SERVICES_FILE_PATH,
)
from cfsettings.explain.render import render_text
from cfsettings.explain.report import build_report
from tests.explain import explain
from tests.fixtures import (
    CA_PEM,
    HOSTILE,
    HOSTILE_QUOTED,
    assert_no_secret,
    document,
    service,
    vcap,
)


def test_several_databases_name_the_default_and_why():
    environ = vcap(document("elephantsql"), document("p.mysql"), document("p.redis"))
    report = build_report(environ)
    assert report["defaults"]["DATABASES"] == {
        "service": "elephantsql-c6c60",
        "why": "first by name of 'elephantsql-c6c60', 'orders-db'; "
        "set CFSETTINGS_DEFAULT_DATABASE to choose",
        "DATABASE_URL": "not set",
    }
    by_name = {entry["name"]: entry for entry in report["services"]}
    assert by_name["orders-db"]["aliases"] == ["DATABASES['orders-db']"]
    assert by_name["elephantsql-c6c60"]["aliases"] == [
        "DATABASES['default']",
        "DATABASES['elephantsql-c6c60']",
    ]
    chosen = build_report({**environ, "CFSETTINGS_DEFAULT_DATABASE": "orders-db"})
    assert chosen["defaults"]["DATABASES"]["service"] == "orders-db"
    assert chosen["defaults"]["DATABASES"]["why"] == "named by CFSETTINGS_DEFAULT_DATABASE"


def test_a_default_naming_no_bound_service_is_a_problem_not_a_crash():
    environ = vcap(document("elephantsql"), CFSETTINGS_DEFAULT_DATABASE="nope")
    status, text = explain(environ)
    assert status == 1
    assert "CFSETTINGS_DEFAULT_DATABASE (or default=) names 'nope'" in text
    assert "DATABASES (cfsettings defaults)\n  not built: CFSETTINGS_DEFAULT_DATABASE" in text
    assert "Problems (1)" in text


def test_a_broken_service_is_reported_and_the_others_still_explained():
    environ = vcap(
        document("p.redis"),
        service("both", {"uri": "postgres://u:p@h/d"}, tags=["mysql"]),
        service("odd", {"uri": "ftp://files.example.com"}, tags=["mysql"]),
        service("hostless", {"password": HOSTILE}, tags=["postgres"]),
    )
    status, text = explain(environ)
    assert status == 1
    report = build_report(environ)
    by_name = {entry["name"]: entry for entry in report["services"]}
    assert by_name["sessions"]["kind"] == "redis" and by_name["sessions"]["error"] is None
    assert "cannot tell how to connect" in by_name["odd"]["error"]
    assert "the credentials have no host" in by_name["hostless"]["error"]
    assert by_name["both"]["kind"] == "postgresql"  # the URI scheme is the stronger evidence
    assert "error: Service 'hostless' (postgresql): the credentials have no host" in text
    assert HOSTILE not in text and HOSTILE_QUOTED not in text


def test_database_url_and_redis_url_when_nothing_is_bound():
    environ = {
        "DATABASE_URL": f"postgres://u:{HOSTILE_QUOTED}@db.example.com/app",
        "REDIS_URL": f"redis://:{HOSTILE_QUOTED}@cache.example.com:6379/1",
    }
    status, text = explain(environ)
    assert status == 0
    assert "Default database: no database service is bound; DATABASE_URL is used" in text
    assert "Default cache: no cache service is bound; REDIS_URL is used" in text
    assert "HOST: db.example.com" in text and "LOCATION: redis://cache.example.com:6379/1" in text
    assert HOSTILE not in text and HOSTILE_QUOTED not in text
    assert "Bindings: none (VCAP_SERVICES_FILE_PATH, VCAP_SERVICES," in text
    assert "Cloud Foundry: no (VCAP_APPLICATION is not set)" in text


def test_unreadable_bindings_and_application_are_reported():
    environ = {VCAP_SERVICES: '{"p.mysql": [{"password": "' + HOSTILE, VCAP_APPLICATION: "[]"}
    status, text = explain(environ)
    assert status == 1
    assert "  error: VCAP_SERVICES is not valid JSON at line 1 column" in text
    assert "Cloud Foundry: VCAP_APPLICATION must be a JSON object, not a list." in text
    assert "ALLOWED_HOSTS (cfsettings defaults)\n  not built: VCAP_APPLICATION" in text
    assert HOSTILE not in text


def test_binding_sources_are_shown_with_their_precedence(tmp_path):
    path = tmp_path / "vcap.json"
    path.write_text(json.dumps(document("p.redis")))
    environ = {
        VCAP_SERVICES_FILE_PATH: str(path),
        VCAP_SERVICES: "{}",
        SERVICE_BINDING_ROOT: str(tmp_path),
    }
    status, text = explain(environ)
    assert status == 0
    assert f"Bindings: read from VCAP_SERVICES_FILE_PATH ({path})" in text
    assert (
        "  ignored: VCAP_SERVICES, SERVICE_BINDING_ROOT (precedence: VCAP_SERVICES_FILE_PATH >"
        in text
    )
    report = build_report(environ)
    assert report["bindings"]["precedence"] == [
        VCAP_SERVICES_FILE_PATH,
        VCAP_SERVICES,
        SERVICE_BINDING_ROOT,
        "CNB_BINDINGS",
    ]
    assert report["services"][0]["source"] == VCAP_SERVICES_FILE_PATH


def test_certificates_are_shown_where_the_app_writes_them_but_not_written(tmp_path):
    cert_dir = tmp_path / "certs"
    environ = vcap(
        service("db", {"uri": "postgres://u:p@h/d", "sslrootcert": CA_PEM}, tags=["postgres"]),
        CFSETTINGS_CERT_DIR=str(cert_dir),
    )
    report = build_report(environ)
    root_cert = report["settings"]["DATABASES"]["db"]["OPTIONS"]["sslrootcert"]
    assert root_cert.startswith(f"{cert_dir}{os.sep}") and root_cert.endswith(".pem")
    assert report["settings"]["DATABASES"]["db"]["OPTIONS"]["sslmode"] == "verify-full"
    assert not cert_dir.exists()  # explain has no side effects on disk
    text = render_text(report)
    assert "BEGIN CERTIFICATE" not in text and CA_PEM.splitlines()[1] not in text


def test_settings_that_are_not_dicts_are_shown_as_they_are():

    from cfsettings import databases

    report = build_report({}, settings=SimpleNamespace(DATABASES=None, ALLOWED_HOSTS=("a", "b")))
    text = render_text(report)
    assert "DATABASES (settings.py)\n  None\n" in text
    assert "CACHES (settings.py)\n  None\n" in text
    assert "ALLOWED_HOSTS (settings.py)\n  a, b\n" in text
    bound = vcap(document("elephantsql"))
    no_default = SimpleNamespace(DATABASES=databases(environ=bound))
    del no_default.DATABASES["default"]
    (entry,) = build_report(bound, settings=no_default)["services"]
    assert entry["aliases"] == ["DATABASES['elephantsql-c6c60']"]


# --- how the default was chosen, read from the settings --------------------------------------

TWO = vcap(document("elephantsql"), document("p.mysql"))


def default_of(environ: dict[str, str], **settings: Any) -> dict[str, Any]:

    report = build_report(environ, settings=SimpleNamespace(**settings) if settings else None)
    result: dict[str, Any] = report["defaults"]["DATABASES"]
    return result


def test_a_default_argument_is_seen_in_the_settings_even_against_the_variable():
    from cfsettings import databases

    environ = {**TWO, "CFSETTINGS_DEFAULT_DATABASE": "orders-db"}
    shown = default_of(environ, DATABASES=databases("elephantsql-c6c60", environ=environ))
    assert shown["service"] == "elephantsql-c6c60"
    assert shown["why"] == "named by databases(default=...) in settings.py"
    assert default_of(environ, DATABASES=databases(environ=environ))["why"] == (
        "named by CFSETTINGS_DEFAULT_DATABASE"
    )


def test_a_default_argument_that_overrides_a_bad_variable():
    from cfsettings import databases

    environ = {**TWO, "CFSETTINGS_DEFAULT_DATABASE": "nope"}
    shown = default_of(environ, DATABASES=databases("orders-db", environ=environ))
    assert (shown["service"], shown["why"]) == (
        "orders-db",
        "named by databases(default=...) in settings.py",
    )
    handwritten = default_of(environ, DATABASES={"default": {"NAME": "x"}})
    assert handwritten["service"] is None
    assert handwritten["why"].startswith("CFSETTINGS_DEFAULT_DATABASE (or default=) names 'nope'")


def test_a_service_named_default_says_so():
    environ = vcap(
        service("default", {"uri": "postgres://u:p@h/d"}, tags=["postgres"]),
        service("other", {"uri": "postgres://u:p@h/e"}, tags=["postgres"]),
    )
    report = build_report(environ)
    assert report["defaults"]["DATABASES"]["service"] == "default"
    assert report["defaults"]["DATABASES"]["why"] == (
        "named 'default', which is Django's default alias"
    )
    by_name = {entry["name"]: entry["aliases"] for entry in report["services"]}
    assert by_name == {"default": ["DATABASES['default']"], "other": ["DATABASES['other']"]}


def test_explain_does_not_depend_on_what_ran_before():
    """Nothing is recorded while settings load: a databases(default=...) call elsewhere does
    not change what explain says of settings built without a choice."""
    from cfsettings import databases

    settings = databases(environ=TWO)
    before = default_of(TWO, DATABASES=settings)
    databases("orders-db", environ=TWO)
    assert default_of(TWO, DATABASES=settings) == before
    assert before["why"].startswith("first by name of 'elephantsql-c6c60', 'orders-db'")


def test_where_sources_disagree_explain_says_which_was_used_one_line_per_note():
    """Issue 12: where the credentials disagree on host, port or database, explain says which
    source was used and why, one ``note:`` per disagreement under the service, masked (here
    the URI's database name is the password)."""
    environ = vcap(
        service(
            "orders",
            {
                "uri": f"postgres://app:{HOSTILE_QUOTED}@uri-host.example.com:5432/"
                f"{HOSTILE_QUOTED}",
                "host": "field-host.example.com",
                "port": 6543,
                "name": "orders_db",
                "password": HOSTILE,
            },
            tags=["postgres"],
        )
    )
    report = build_report(environ)
    (entry,) = report["services"]
    notes = [
        "host: 'host' is used; 'uri' names another host (a discrete field beats a URI)",
        "port: 'port' (6543) beats the port of a URI (5432)",
        "database: '********' from the path of 'uri' is used; 'name' names 'orders_db' "
        "(a URI's path beats 'name', which brokers also use for the instance name)",
    ]
    assert entry["notes"] == notes
    text = render_text(report)
    block = text.split("\n  orders\n", 1)[1].split("\n\n", 1)[0]
    starts = [line for line in block.splitlines() if line.startswith("    note: ")]
    assert len(starts) == len(notes)  # each note begins its own line
    assert " ".join(block.split()).count("note: ") == len(notes)
    for note in notes:
        assert f"note: {note}" in " ".join(block.split())
    assert_no_secret(text)
    assert_no_secret(json.dumps(report))
    quiet = build_report(vcap(document("p.mysql")))
    assert quiet["services"][0]["notes"] == []
    assert "note: " not in render_text(quiet)
