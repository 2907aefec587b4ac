"""W007: more connections configured per instance than the bound database allows."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from cfsettings import databases
from cfsettings.checks import check_cfsettings
from tests.fixtures import document, env, service, vcap

ELEPHANT = document("elephantsql")  # max_conns "5"


def run(environ: dict[str, str], configured: dict[str, Any] | None = None) -> list[str]:
    """The W007 messages for ``environ``, with ``DATABASES`` built from it unless given."""
    if configured is None:
        configured = databases(environ=environ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # overriding DATABASES: on purpose
        with override_settings(DATABASES=configured):
            messages = check_cfsettings(None, environ=environ)
    return [m.msg for m in messages if m.id == "cfsettings.W007"]


def test_sync_workers_and_threads_over_the_limit_warn(monkeypatch):
    monkeypatch.setattr("sys.argv", ["manage.py", "check"])
    environ = vcap(ELEPHANT, WEB_CONCURRENCY="3", GUNICORN_THREADS="2")
    (message,) = run(environ)
    assert message.startswith("Bound database 'elephantsql-c6c60' allows 5 connections")
    assert "(the binding states max_conns=5)" in message
    assert "may open 6: 3 workers x 2 threads per instance" in message
    level = check_cfsettings(None, environ=environ)
    assert all(isinstance(m, checks.Warning) for m in level if m.id == "cfsettings.W007")


def test_within_the_limit_nothing_is_said():
    assert run(vcap(ELEPHANT, WEB_CONCURRENCY="5")) == []
    assert run(vcap(ELEPHANT)) == []  # 1 worker x 1 thread


def test_cfsettings_own_asgi_pool_fits_the_limit():
    environ = vcap(ELEPHANT, WEB_CONCURRENCY="2", CFSETTINGS_ASGI="true")
    assert run(environ) == []


def test_a_pool_counts_its_max_size_not_the_threads():
    environ = vcap(ELEPHANT, WEB_CONCURRENCY="2", GUNICORN_CMD_ARGS="--threads 8")
    configured = databases(environ=environ, asgi=True, postgresql_options={"pool": {"max_size": 3}})
    (message,) = run(environ, configured)
    assert "may open 6: 2 workers x a pool of up to 3 per instance" in message
    for pool, size in (({"min_size": 3}, 3), (True, 4)):
        configured = databases(environ=environ, asgi=True, postgresql_options={"pool": pool})
        (message,) = run(environ, configured)
        assert f"x a pool of up to {size} " in message
    configured = databases(environ=environ, asgi=True, postgresql_options={"pool": {}})
    (message,) = run(environ, configured)  # Django opens no pool for an empty dict either
    assert "2 workers x 8 threads" in message


def test_known_instances_multiply(monkeypatch):
    environ = vcap(ELEPHANT, CFSETTINGS_INSTANCES="6")
    (message,) = run(environ)
    assert "may open 6: 1 worker x 1 thread x 6 instances (CFSETTINGS_INSTANCES)" in message


def test_entries_that_are_not_the_binding_are_not_counted():
    environ = vcap(ELEPHANT, WEB_CONCURRENCY="8")
    elsewhere = {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "db", "NAME": "x"}}
    assert run(environ, {**elsewhere, "odd": "not a dict"}) == []


def test_bindings_without_a_limit_or_not_databases_are_skipped():
    redis = service(
        "cache", {"uri": "redis://:pw@cache:6379", "max_connections": 1}, tags=["redis"]
    )
    environ = vcap(document("crunchy"), redis, WEB_CONCURRENCY="8")
    assert run(environ) == []


@pytest.mark.parametrize(
    "environ",
    [
        {"VCAP_SERVICES": "{not json"},
        vcap(ELEPHANT, WEB_CONCURRENCY="many"),
        env("broken", {"uri": "postgres://u:p@db/x", "max_conns": "lots"}, tags=["postgresql"]),
        env("nohost", {"max_conns": "1"}, tags=["postgresql"]),
        env("mixed", {"uri": "nosql://x"}, tags=["postgresql", "mysql"]),
    ],
)
def test_broken_bindings_never_crash_the_check(environ):
    assert run(environ, {}) == []
