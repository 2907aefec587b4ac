"""The PgBouncer helper itself: it starts, pools as asked, admits new users, and stops."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from tests.pooler import Pooler, pgbouncer, pgbouncer_session  # noqa: F401 (fixture)
from tests.servers import HOST, POSTGRES_PORT, unique_name


def connect(pooler: Pooler, **options: object) -> psycopg.Connection:
    # PgBouncer 1.18 does not track prepared statements across server connections: never
    # prepare (Django's default client-side binding never does either).
    return psycopg.connect(
        host=pooler.host,
        port=pooler.port,
        user="postgres",
        dbname="postgres",
        prepare_threshold=None,
        **options,
    )


def backend_pids(pooler: Pooler, statements: int) -> set[int]:
    """The server backends that serve one client's autocommit statements."""
    with connect(pooler, autocommit=True) as conn:
        pids = set()
        for _ in range(statements):
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
            assert row is not None
            pids.add(row[0])
            # Another client grabs a server connection in between, so the pool must rotate.
            with connect(pooler) as other:
                other.execute("SELECT pg_sleep(0)")
        return pids


def test_session_mode_keeps_one_server_connection_per_client(pgbouncer_session):  # noqa: F811
    assert len(backend_pids(pgbouncer_session, 8)) == 1


def test_transaction_mode_lends_server_connections_per_transaction():
    with pgbouncer("transaction", default_pool_size=3) as pooler:
        with connect(pooler, autocommit=True) as first, connect(pooler, autocommit=True) as second:
            # Hold a transaction on `second` so the pool needs two server connections, then
            # `first` runs between them: its statements need not stay on one backend.
            seen = set()
            for _ in range(6):
                with second.transaction():
                    second.execute("SELECT 1")
                    row = first.execute("SELECT pg_backend_pid()").fetchone()
                    assert row is not None
                    seen.add(row[0])
                row = first.execute("SELECT pg_backend_pid()").fetchone()
                assert row is not None
                seen.add(row[0])
        assert len(seen) >= 2, pooler.log()


def test_add_user_admits_a_role_created_later():
    role = unique_name("cfspool")
    with psycopg.connect(host=HOST, port=POSTGRES_PORT, user="postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        try:
            with pgbouncer("session") as pooler:
                with pytest.raises(psycopg.OperationalError):
                    psycopg.connect(
                        host=pooler.host, port=pooler.port, user=role, dbname="postgres"
                    ).close()
                pooler.add_user(role)
                with psycopg.connect(
                    host=pooler.host, port=pooler.port, user=role, dbname="postgres"
                ) as conn:
                    assert conn.execute("SELECT current_user").fetchone() == (role,)
        finally:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_stop_ends_the_process_and_removes_its_directory():
    with pgbouncer("session") as pooler:
        assert pooler.process.poll() is None
        assert "listening on" in pooler.log().lower() or pooler.log_path.exists()
    assert pooler.process.poll() is not None
    assert not pooler.directory.exists()


def test_unknown_pool_mode_is_refused():
    with pytest.raises(ValueError, match="pool_mode"), pgbouncer("sessions"):
        pass
