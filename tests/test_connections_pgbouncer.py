"""Through a real PgBouncer, with the ``DATABASES`` cfsettings builds for a pooler binding.

Each test binds (``VCAP_SERVICES``) a fresh database reached through a PgBouncer started for
it, and runs ``tests/connections_probe.py`` in a process of its own: ``QuerySet.iterator()``
outside a transaction, while another client takes the server connection its cursor lives on,
and a transaction that must roll back whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pooler import Pooler, pgbouncer
from tests.servers import postgres_database

PROBE = Path(__file__).with_name("connections_probe.py")
ROOT = PROBE.parent.parent
EXPECTED = [f"a{n}" for n in range(20)]


def probe(pooler: Pooler, database: str, uri_query: str = "", *args: str, **extra: str) -> dict:
    credentials = {"uri": f"postgres://postgres@{pooler.host}:{pooler.port}/{database}{uri_query}"}
    services = {
        "user-provided": [
            {"name": "orders-db", "label": "user-provided", "tags": ["postgresql"],
             "credentials": credentials},
        ]
    }  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VCAP_", "CFSETTINGS_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        VCAP_SERVICES=json.dumps(services),
        PROBE_OTHER=f"host={pooler.host} port={pooler.port} user=postgres dbname={database}",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        # As a module, not a script: a script's directory comes first on sys.path, and
        # tests/platform there would shadow the standard library's platform module.
        [sys.executable, "-m", "tests.connections_probe", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:] + pooler.log()[-2000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def assert_transaction_works(outcome: dict) -> None:
    assert outcome["transaction"] == {
        "seen_inside": 1,
        "after_rollback": 0,
        "iterated_in_transaction": 20,
    }


@pytest.fixture
def database():
    with postgres_database("cfsconn") as name:
        yield name


def test_iterator_and_transactions_work_through_a_transaction_pooler(database):
    with pgbouncer("transaction", default_pool_size=4) as pooler:
        outcome = probe(pooler, database, "?pgbouncer=true")
    assert outcome["disable_server_side_cursors"] is True
    assert outcome.get("iterator") == EXPECTED, outcome
    assert_transaction_works(outcome)


def test_without_the_setting_the_iterator_breaks_through_a_transaction_pooler(database):
    """What DISABLE_SERVER_SIDE_CURSORS prevents: the cursor is on another server connection."""
    with pgbouncer("transaction", default_pool_size=4) as pooler:
        outcome = probe(pooler, database, "?pgbouncer=true", "--keep-server-side-cursors")
    assert "iterator" not in outcome
    assert "does not exist" in outcome["iterator_error"]
    assert_transaction_works(outcome)  # transactions are whole: each keeps its connection


def test_session_pooling_keeps_server_side_cursors_and_works(database):
    with pgbouncer("session", default_pool_size=4) as pooler:
        outcome = probe(pooler, database, CFSETTINGS_DATABASE_POOLER="session")
    assert outcome["disable_server_side_cursors"] is None  # not needed: a session per client
    assert outcome.get("iterator") == EXPECTED, outcome
    assert_transaction_works(outcome)


def test_the_asgi_pool_works_through_a_transaction_pooler(database):
    """Both settings at once: psycopg's pool of client connections to PgBouncer."""
    with pgbouncer("transaction", default_pool_size=4) as pooler:
        outcome = probe(pooler, database, "?pgbouncer=true", CFSETTINGS_ASGI="true")
    assert outcome["disable_server_side_cursors"] is True
    assert outcome["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10.0}
    assert outcome.get("iterator") == EXPECTED, outcome
    assert_transaction_works(outcome)
