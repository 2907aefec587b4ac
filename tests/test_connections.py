"""``databases()`` through a pooler, under ASGI and within the limit a binding states.

What each binding becomes is checked through ``databases()`` (the entry a project gets) and
the plan's reasons (what explain shows); the real pooler and server are in
``test_connections_pgbouncer.py`` and ``test_connections_asgi.py``.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import databases
from cfsettings.bindings.classify import MYSQL, POSTGRESQL
from cfsettings.concurrency import Process
from cfsettings.connections import (
    DEFAULT_POOL,
    POOL_TIMEOUT,
    plan_connections,
    pool_options,
    through_transaction_pooler,
)
from tests.fixtures import document, env, vcap

WSGI = ["gunicorn", "mysite.wsgi"]
ASGI = ["uvicorn", "mysite.asgi:application"]


def postgres(uri: str, **credentials: object) -> dict[str, str]:
    return env("orders-db", {"uri": uri, **credentials}, tags=["postgresql"])


def entry(environ, monkeypatch, argv=WSGI, **kwargs):
    monkeypatch.setattr("sys.argv", argv)
    return databases(environ=environ, **kwargs)["default"]


def plan(process=None, **kwargs):
    values = {
        "service": "orders-db",
        "kind": POSTGRESQL,
        "host": "db.example.com",
        "port": 5432,
        "params": {},
        "credentials": {},
        "process": process or Process(False, "test", 1, 1, None),
    }
    values.update(kwargs)
    return plan_connections(**values)


# --- poolers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("postgres://u:p@db.example.com:5432/orders?pgbouncer=true", "pgbouncer=true"),
        ("postgres://u:p@db.example.com:6432/orders", "port 6432 is PgBouncer's"),
        ("postgres://u:p@aws-0-eu.pooler.supabase.com:6543/postgres", "Supabase's transaction"),
        ("postgres://u:p@ep-cool-1234-pooler.eu.aws.neon.tech/neondb", "Neon's PgBouncer"),
    ],
)
def test_a_transaction_pooler_disables_server_side_cursors(uri, reason, monkeypatch):
    settings = entry(postgres(uri), monkeypatch)
    assert settings["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert settings["CONN_MAX_AGE"] == 600  # a client slot of the pooler, not a server session
    assert "pgbouncer" not in settings["OPTIONS"]  # libpq would refuse it
    assert through_transaction_pooler(settings)
    assert reason in plan(**_parts(uri)).pooler_reason


def _parts(uri: str) -> dict[str, object]:
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(uri)
    return {"host": parts.hostname, "port": parts.port, "params": dict(parse_qsl(parts.query))}


@pytest.mark.parametrize(
    "uri",
    [
        "postgres://u:p@db.example.com:5432/orders",
        "postgres://u:p@db.example.com:6543/orders",  # Supabase's port, but not its host
        "postgres://u:p@db.example.com:6432/orders?pgbouncer=false",
        "postgres://u:p@aws-0-eu.pooler.supabase.com:5432/postgres",  # session mode
        "postgres://u:p@ep-cool-1234.eu.aws.neon.tech/neondb",
    ],
)
def test_direct_or_session_pooling_keeps_server_side_cursors(uri, monkeypatch):
    settings = entry(postgres(uri), monkeypatch)
    assert "DISABLE_SERVER_SIDE_CURSORS" not in settings
    assert not through_transaction_pooler(settings)


def test_supabase_session_pooler_is_named():
    reason = plan(host="aws-0-eu.pooler.supabase.com").pooler_reason
    assert "Supabase's session pooler" in reason


def test_the_argument_beats_the_variable_which_beats_the_binding(monkeypatch):
    pooled = postgres("postgres://u:p@db.example.com:6432/orders?pgbouncer=true")
    assert "DISABLE_SERVER_SIDE_CURSORS" not in entry(pooled, monkeypatch, pooler="none")
    variable = {**pooled, "CFSETTINGS_DATABASE_POOLER": "session"}
    assert "DISABLE_SERVER_SIDE_CURSORS" not in entry(variable, monkeypatch)
    direct = {**postgres("postgres://u:p@db/orders"), "CFSETTINGS_DATABASE_POOLER": "none"}
    settings = entry(direct, monkeypatch, pooler="Transaction")
    assert settings["DISABLE_SERVER_SIDE_CURSORS"] is True
    reasons = [
        plan(pooler="session").pooler_reason,
        plan(environ={"CFSETTINGS_DATABASE_POOLER": "transaction"}).pooler_reason,
    ]
    assert reasons == ["databases(pooler='session')", "CFSETTINGS_DATABASE_POOLER=transaction"]


def test_a_pooler_is_a_postgresql_matter(monkeypatch):
    mysql = env("shop-db", {"uri": "mysql://u:p@db.example.com:6432/shop"}, tags=["mysql"])
    assert "DISABLE_SERVER_SIDE_CURSORS" not in entry(mysql, monkeypatch, pooler="transaction")


def test_database_url_through_a_pooler(monkeypatch):
    environ = {"DATABASE_URL": "postgres://u:p@db.example.com:5432/orders?pgbouncer=true"}
    settings = entry(environ, monkeypatch)
    assert settings["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "pgbouncer" not in settings["OPTIONS"]
    port_only = entry({"DATABASE_URL": "postgres://u:p@db.example.com:6432/o"}, monkeypatch)
    assert port_only["DISABLE_SERVER_SIDE_CURSORS"] is True
    no_port = entry({"DATABASE_URL": "postgres://u:p@db.example.com/o"}, monkeypatch)
    assert not no_port.get("DISABLE_SERVER_SIDE_CURSORS")  # dj-database-url: False


@pytest.mark.parametrize(
    ("kwargs", "environ", "named"),
    [
        ({"pooler": "statement"}, {}, "statement pooling cannot run Django"),
        ({}, {"CFSETTINGS_DATABASE_POOLER": "yes"}, "CFSETTINGS_DATABASE_POOLER must be one of"),
        ({}, {"CFSETTINGS_DATABASE_POOLER": "Statement"}, "CFSETTINGS_DATABASE_POOLER: statement"),
    ],
)
def test_bad_pooler_modes_are_refused(kwargs, environ, named, monkeypatch):
    bound = {**postgres("postgres://u:p@db/orders"), **environ}
    with pytest.raises(ImproperlyConfigured, match=named) as caught:
        entry(bound, monkeypatch, **kwargs)
    assert "orders-db" in str(caught.value)


def test_a_bad_pgbouncer_parameter_names_the_service(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=r"'orders-db'.*pgbouncer must be true or false"):
        entry(postgres("postgres://u:p@db/orders?pgbouncer=1"), monkeypatch)


# --- ASGI ---------------------------------------------------------------------------------


def test_asgi_postgresql_gets_a_pool_instead_of_persistent_connections(monkeypatch):
    settings = entry(postgres("postgres://u:p@db/orders"), monkeypatch, argv=ASGI)
    assert settings["CONN_MAX_AGE"] == 0
    assert settings["OPTIONS"]["pool"] == {**DEFAULT_POOL, "timeout": POOL_TIMEOUT}
    assert "DISABLE_SERVER_SIDE_CURSORS" not in settings


def test_asgi_pool_is_sized_from_the_stated_limit(monkeypatch):
    elephant = vcap(document("elephantsql"), WEB_CONCURRENCY="2")  # max_conns "5"
    settings = entry(elephant, monkeypatch, asgi=True)
    assert settings["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 2, "timeout": POOL_TIMEOUT}
    bound = postgres("postgres://u:p@db/orders", max_connections=100)
    sized = entry(
        {**bound, "WEB_CONCURRENCY": "3", "CFSETTINGS_INSTANCES": "3"}, monkeypatch, asgi=True
    )
    assert sized["OPTIONS"]["pool"]["max_size"] == (100 - 10) // 9


def test_the_pool_arithmetic_says_how_it_was_reached():
    pool, reason = pool_options(50, Process(True, "test", 4, 8, 2))
    assert pool == {"min_size": 2, "max_size": 5, "timeout": POOL_TIMEOUT}  # (50 - 5) / 8
    assert reason.endswith("(50 stated - 5 spare) / (4 workers, 2 instances) = 5")
    pool, reason = pool_options(3, Process(True, "test", 4, 1, None))
    assert pool["max_size"] == pool["min_size"] == 1
    assert "per instance) = 0: fewer than one each, so 1" in reason
    assert "W007" in reason
    _, reason = pool_options(None, Process(True, "test", 1, 1, None))
    assert reason.endswith(f"no stated limit, so {DEFAULT_POOL['max_size']} per worker")


def test_the_projects_options_win_over_the_pool(monkeypatch):
    bound = postgres("postgres://u:p@db/orders")
    mine = {"min_size": 4, "max_size": 4}
    settings = entry(bound, monkeypatch, asgi=True, postgresql_options={"pool": mine})
    assert settings["OPTIONS"]["pool"] == mine
    settings = entry(bound, monkeypatch, asgi=True, postgresql_options={"pool": None})
    assert "pool" not in settings["OPTIONS"]
    assert settings["CONN_MAX_AGE"] == 0  # still no persistent connections under ASGI


def test_asgi_mysql_connects_per_request(monkeypatch):
    settings = entry(vcap(document("p.mysql")), monkeypatch, argv=ASGI)
    assert settings["CONN_MAX_AGE"] == 0
    assert "pool" not in settings["OPTIONS"]
    assert "Django has no pool for MySQL" in plan(kind=MYSQL, process=_asgi()).pool_reason


def test_asgi_through_a_transaction_pooler_gets_both(monkeypatch):
    settings = entry(postgres("postgres://u:p@db:6432/orders"), monkeypatch, argv=ASGI)
    assert settings["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert settings["CONN_MAX_AGE"] == 0
    assert settings["OPTIONS"]["pool"]["max_size"] == DEFAULT_POOL["max_size"]


def test_asgi_database_url_gets_a_pool_too(monkeypatch):
    settings = entry({"DATABASE_URL": "postgres://u:p@db/orders"}, monkeypatch, argv=ASGI)
    assert (settings["CONN_MAX_AGE"], "pool" in settings["OPTIONS"]) == (0, True)


def test_without_psycopg_pool_asgi_still_drops_persistent_connections(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "psycopg_pool" else real(name)
    )  # an environment without the package: nothing of psycopg itself is replaced
    settings = entry(postgres("postgres://u:p@db/orders"), monkeypatch, asgi=True)
    assert settings["CONN_MAX_AGE"] == 0
    assert "pool" not in settings["OPTIONS"]
    assert 'pip install "psycopg[pool]"' in plan(process=_asgi()).pool_reason


def test_wsgi_keeps_persistent_connections(monkeypatch):
    settings = entry(postgres("postgres://u:p@db/orders"), monkeypatch)
    assert settings["CONN_MAX_AGE"] == 600
    assert "pool" not in settings["OPTIONS"]


def _asgi() -> Process:
    return Process(True, "test", 1, 1, None)


# --- limits -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["max_conns", "MAX_CONNECTIONS", "connection_limit", "conn_limit"])
def test_the_stated_limit_is_read(key):
    result = plan(credentials={key: 20})
    assert (result.limit, result.limit_reason) == (20, f"the binding states {key.lower()}=20")
    assert result.as_data()["limit"] == 20


@pytest.mark.parametrize("value", ["unlimited", "0", True, "-3"])
def test_a_limit_that_is_not_a_count_names_service_and_field(value, monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=r"'orders-db'.*'max_conns'"):
        entry(postgres("postgres://u:p@db/orders", max_conns=value), monkeypatch)


def test_an_empty_limit_is_no_limit():
    assert plan(credentials={"max_conns": "", "max_connections": None}).limit is None


def test_the_plan_as_data_has_every_reason():
    data = plan(port=6432, credentials={"max_conns": "9"}, process=_asgi()).as_data()
    assert data["pooler"] == "transaction"
    assert data["limit"] == 9
    assert data["pool"]["max_size"] == 8
    assert data["asgi"] is True
    assert all(data[key] for key in ("pooler_reason", "limit_reason", "pool_reason"))


def test_sqlite_reads_no_serving_facts(monkeypatch):
    settings = entry({"WEB_CONCURRENCY": "nonsense"}, monkeypatch)  # not read: no server database
    assert settings["ENGINE"] == "django.db.backends.sqlite3"


def test_each_binding_gets_its_own_plan(monkeypatch):
    monkeypatch.setattr("sys.argv", ASGI)
    environ = vcap(
        document("elephantsql"),  # max_conns 5
        document("crunchy"),
        WEB_CONCURRENCY="2",
        CFSETTINGS_DEFAULT_DATABASE="elephantsql-c6c60",
    )
    result = databases(environ=environ)
    pools = {alias: entry["OPTIONS"]["pool"]["max_size"] for alias, entry in result.items()}
    assert pools.pop("default") == pools.pop("elephantsql-c6c60") == 2
    assert list(pools.values()) == [DEFAULT_POOL["max_size"]]
