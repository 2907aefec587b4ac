"""The PostgreSQL lock against the real server: keep-alive, loss, fence, cancel, takeover."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import ConnectionHandler
from psycopg import sql

from cfsettings.stage.locks import LockLost, lock_for
from cfsettings.stage.pglock import KEEPALIVE_MAX, PostgresLock, halves
from tests import servers
from tests.stage.faults import postgres_admin
from tests.stagekit import postgres


def wrapper(settings: dict):
    return ConnectionHandler({"default": settings})["default"]


@pytest.fixture
def database() -> Iterator[dict]:
    """A fresh database and role whose idle sessions the server ends after 1 s."""
    with servers.postgres_database_as("pw") as (name, role):
        for setting in ("idle_in_transaction_session_timeout", "idle_session_timeout"):
            postgres_admin("postgres", f"ALTER ROLE \"{role}\" SET {setting} = '1s'")
        yield postgres(name, role, "pw")


def terminate_holder(lock: PostgresLock, name: str) -> None:
    high, low = halves(lock.key)
    ended = postgres_admin(
        name,
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid::bigint = %s AND objid::bigint = %s",
        (high, low),
    )
    assert len(ended) == 1


def lock_on(settings: dict) -> PostgresLock:
    lock = lock_for(wrapper(settings))
    assert isinstance(lock, PostgresLock)
    return lock


def test_the_keepalive_outlives_an_idle_in_transaction_timeout(database):
    lock, other = lock_on(database), lock_on(database)
    try:
        assert lock.try_acquire()
        assert lock.interval == pytest.approx(1 / 3)  # a third of the role's 1 s
        time.sleep(3)  # three timeouts: only the keep-alive keeps it
        lock.verify()
        assert not other.try_acquire()
        state = postgres_admin(
            database["NAME"],
            "SELECT state FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = 'cf_stage lock' ORDER BY state",
        )
        assert state == [("idle",), ("idle in transaction",)]  # a waiter holds no transaction
        lock.release()
        assert other.try_acquire()
        other.release()
    finally:
        lock.close()
        other.close()


def test_without_timeouts_the_keepalive_still_runs_for_proxies():
    with servers.postgres_database() as name:
        lock = lock_on(postgres(name))
        try:
            assert lock.try_acquire()
            assert lock.interval == KEEPALIVE_MAX
            lock.release()
        finally:
            lock.close()


def test_a_terminated_lock_session_is_noticed_and_its_statement_cancelled(database):
    lock = lock_on(database)
    migrating = wrapper(database)
    try:
        assert lock.try_acquire()
        with lock.guard(migrating):
            threading.Timer(0.5, terminate_holder, (lock, database["NAME"])).start()
            started = time.monotonic()
            with pytest.raises(DatabaseError, match="cancel"), migrating.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(30)")
            assert time.monotonic() - started < 10
        assert "lost: its session ended" in (lock.lost() or "")
        with pytest.raises(LockLost, match="lost"):
            lock.release()
    finally:
        migrating.close()
        lock.close()


@contextmanager
def registered(settings: dict, alias: str = "pgfence") -> Iterator[BaseDatabaseWrapper]:
    """The settings as ``connections[alias]`` in this process, so the ORM uses them."""
    from django.db import connections

    connection = ConnectionHandler({"default": settings})["default"].copy(alias)
    connections[alias] = connection
    try:
        yield connection
    finally:
        connection.close()
        del connections[alias]


def test_the_fence_refuses_to_record_a_migration_once_the_lock_is_gone():
    with servers.postgres_database() as name, registered(postgres(name)) as migrating:
        lock, successor = lock_on(postgres(name)), lock_on(postgres(name))
        try:
            assert lock.try_acquire()
            recorder = MigrationRecorder(migrating)
            with lock.guard(migrating):
                recorder.record_applied("shop", "0001_initial")  # held: recorded
                terminate_holder(lock, name)
                assert successor.try_acquire()  # another instance takes over at once
                with (
                    pytest.raises(LockLost, match="the migration was not recorded"),
                    transaction.atomic(using=migrating.alias),
                ):
                    recorder.record_applied("shop", "0002_more")
                with pytest.raises(LockLost, match="not recorded"):
                    recorder.record_applied("shop", "0003_outside_a_transaction")
            assert sorted(recorder.applied_migrations()) == [("shop", "0001_initial")]
            successor.release()
        finally:
            lock.close()
            successor.close()


def test_a_new_holder_waits_for_the_last_recording_transaction():
    with servers.postgres_database() as name:
        settings = postgres(name)
        lock = lock_on(settings)
        migrating = wrapper(settings)
        with psycopg.connect(
            host=servers.HOST, port=servers.POSTGRES_PORT, user="postgres", dbname=name
        ) as previous:
            previous.execute(sql.SQL("SELECT pg_advisory_xact_lock({})").format(lock.fence_key))
            threading.Timer(0.5, previous.commit).start()
            started = time.monotonic()
            try:
                lock.settle(migrating)
            finally:
                migrating.close()
                lock.close()
            assert time.monotonic() - started >= 0.4


def test_verify_and_release_need_the_lock():
    with servers.postgres_database() as name:
        lock = lock_on(postgres(name))
        try:
            with pytest.raises(LockLost, match="is not held"):
                lock.verify()
            assert lock.try_acquire()
            lock.verify()
            lock.release()
            with pytest.raises(LockLost, match="is not held"):
                lock.verify()
            lock.reset()
        finally:
            lock.close()


def test_a_lost_release_cannot_be_confirmed(database):
    lock = lock_on(database)
    try:
        assert lock.try_acquire()
        lock._stop_keepalive()  # as if between two keep-alives
        lock._connection.connection.close()  # the driver connection breaks under it
        with pytest.raises(LockLost, match="release not confirmed"):
            lock.release()
    finally:
        lock.close()


def test_the_lock_connection_is_plain_and_named():
    lock = lock_on({**postgres("x"), "OPTIONS": {"pool": True, "sslmode": "disable"}})
    assert lock._connection.settings_dict["OPTIONS"] == {
        "sslmode": "disable",
        "application_name": "cf_stage lock",
    }


def test_the_keepalive_notices_a_loss_on_its_own(database):
    lock = lock_on(database)
    try:
        assert lock.try_acquire()
        terminate_holder(lock, database["NAME"])
        time.sleep(1.5)  # several keep-alive intervals (1/3 s)
        assert lock._lost is not None and "its session ended" in lock._lost
        with pytest.raises(LockLost, match="its session ended"):
            lock.verify()
    finally:
        lock.close()


def test_a_lock_session_replaced_under_it_is_not_the_holder():
    with servers.postgres_database() as name:
        lock = lock_on(postgres(name))
        try:
            assert lock.try_acquire()
            lock._stop_keepalive()
            lock._connection.close()  # the next query opens a new session: not the holder
            with pytest.raises(LockLost, match="no longer held by its session"):
                lock.verify()
        finally:
            lock.close()
