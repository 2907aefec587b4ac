"""``cf_stage`` through a real PgBouncer: in transaction mode a session advisory lock is not a
lock at all (lock and unlock may reach different server connections); the transaction-scoped
lock held by an open transaction is, and session mode keeps working."""

from __future__ import annotations

import psycopg
import pytest
from django.db.utils import ConnectionHandler

from cfsettings.stage.locks import LockLost, lock_for
from cfsettings.stage.pglock import halves
from tests import servers
from tests.pooler import pgbouncer
from tests.stage.test_cf_stage import PLANNED_MIGRATIONS, SEEDED_CATEGORIES
from tests.stagekit import Process, environment, manage


def count(name: str, sql: str) -> list[tuple]:
    """Read this test's database directly (not through the pooler)."""
    with psycopg.connect(
        host=servers.HOST, port=servers.POSTGRES_PORT, user="postgres", dbname=name
    ) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "instances"), [("transaction", 8), ("session", 4)])
def test_every_instance_at_once_through_pgbouncer(mode, instances):
    with servers.postgres_database() as name, pgbouncer(mode) as pooler:
        env = environment({"default": pooler.settings(name)})
        processes = [Process(env, "cf_stage", "--lock-timeout", "120") for _ in range(instances)]
        codes = [process.finish(timeout=180) for process in processes]
        outputs = [process.stdout + process.stderr for process in processes]
        assert codes == [0] * instances, "\n".join(outputs) + pooler.log()[-3000:]
        applied = [out for out in outputs if f"{PLANNED_MIGRATIONS} migrations applied" in out]
        assert len(applied) == 1, "\n".join(outputs)
        assert (
            count(
                name,
                "SELECT app, name FROM django_migrations GROUP BY app, name HAVING COUNT(*) > 1",
            )
            == []
        )
        # The squashed orders migration is recorded with the two it replaces.
        assert count(name, "SELECT COUNT(*) FROM django_migrations") == [(PLANNED_MIGRATIONS + 2,)]
        assert count(name, "SELECT COUNT(*) FROM catalog_category") == [(SEEDED_CATEGORIES,)]
        assert count(name, "SELECT COUNT(*) FROM accounts_user") == [(1,)]
        again = manage(env, "cf_stage", "--check")
        assert again.returncode == 0, again.stdout + again.stderr


def test_the_lock_excludes_and_notices_its_loss_through_a_transaction_pooler():
    with (
        servers.postgres_database() as name,
        pgbouncer("transaction", default_pool_size=4) as pooler,
    ):
        settings = pooler.settings(name)
        first = lock_for(ConnectionHandler({"default": settings})["default"])
        second = lock_for(ConnectionHandler({"default": settings})["default"])
        try:
            assert first.try_acquire()
            for _ in range(20):  # many transactions in between: the lock stays pinned
                assert not second.try_acquire()
                first.verify()
            high, low = halves(first.key)  # type: ignore[attr-defined]
            ended = count(
                name,
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                f" AND granted AND classid::bigint = {high} AND objid::bigint = {low}",
            )
            assert len(ended) == 1
            with pytest.raises(LockLost, match="lost"):
                first.verify()
            assert second.try_acquire()
            second.release()
        finally:
            first.close()
            second.close()
