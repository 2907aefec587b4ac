"""Explain shows, for each bound database, its pooler, its stated limit and its pool, and why."""

from __future__ import annotations

from cfsettings.explain.render import render_text
from cfsettings.explain.report import WIDTH, build_report
from tests.fixtures import document, env, vcap


def test_a_pooler_a_limit_and_a_pool_are_explained():
    credentials = {"uri": "postgres://u:s3cret-pw@ep-cool-1-pooler.eu.aws.neon.tech/db"}
    environ = {
        **env("orders-db", {**credentials, "max_conns": "20"}, tags=["postgresql"]),
        "CFSETTINGS_ASGI": "true",
        "WEB_CONCURRENCY": "2",
    }
    report = build_report(environ)
    (entry,) = report["services"]
    plan = entry["connections"]
    assert plan["pooler"] == "transaction"
    assert plan["limit"] == 20
    assert plan["pool"] == {"min_size": 2, "max_size": 9, "timeout": 10.0}
    assert (plan["asgi"], plan["asgi_reason"]) == (True, "CFSETTINGS_ASGI=true")
    text = render_text(report)
    assert "    pooler: transaction (a host name ending in -pooler is Neon's" in text
    assert "    limit: 20 (the binding states max_conns=20)" in text
    assert "    pool: {'min_size': 2, 'max_size': 9, 'timeout': 10.0} (ASGI: a pool" in text
    assert "s3cret-pw" not in text
    assert all(len(line) <= WIDTH for line in text.splitlines())


def test_nothing_to_say_adds_no_line():
    text = render_text(build_report(vcap(document("crunchy"))))
    assert "pooler:" not in text
    assert "limit:" not in text
    assert "pool:" not in text


def test_a_bad_limit_is_reported_as_the_services_error():
    bad = env("orders-db", {"uri": "postgres://u:p@db/x", "max_conns": "lots"}, tags=["postgres"])
    (entry,) = build_report(bad)["services"]
    assert "'max_conns' must be a whole number" in entry["error"]
    assert "connections" not in entry
