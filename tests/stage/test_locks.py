"""Cluster locks against the real servers: exclusion, timeouts, release, and what frees them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from cfsettings.stage.locks import (
    MYSQL_NAME_LIMIT,
    FileLock,
    LockLost,
    LockTimeout,
    MySQLLock,
    NoClusterLock,
    ProcessLock,
    lock_for,
    mysql_lock_name,
    postgres_key,
)
from cfsettings.stage.pglock import PostgresLock
from tests import servers
from tests.stagekit import mariadb, postgres, sqlite


def wrapper(settings: dict):
    """A Django connection for these settings, as the app's ``connections[alias]`` would be."""
    return ConnectionHandler({"default": settings})["default"]


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[dict]:
    if kind == "sqlite":
        yield sqlite(tmp_path / "db.sqlite3")
    elif kind == "postgres":
        with servers.postgres_database() as name:
            yield postgres(name)
    else:
        with servers.mariadb_database() as name:
            yield mariadb(name)


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def locks(request, tmp_path):
    """Two locks on one database, as two instances would take them; closed afterwards."""
    with ExitStack() as stack:
        settings = stack.enter_context(database(request.param, tmp_path))
        pair = [lock_for(wrapper(settings)) for _ in range(2)]
        for lock in pair:
            stack.callback(lock.close)
        yield pair


def test_one_holder_at_a_time(locks):
    first, second = locks
    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()


def test_waiting_is_bounded_and_announced_once(locks):
    first, second = locks
    assert first.try_acquire()
    told = []
    started = time.monotonic()
    with pytest.raises(LockTimeout, match=r"still taken after 0\.5s"):
        second.acquire(0.5, on_wait=lambda: told.append(time.monotonic()), poll=0.05)
    assert 0.5 <= time.monotonic() - started < 3
    assert len(told) == 1


def test_a_waiter_gets_the_lock_once_it_is_free(locks):
    first, second = locks
    assert second.acquire(0) == pytest.approx(0, abs=0.5)
    second.release()
    assert first.acquire(5, poll=0.01) < 1
    first.release()


def test_closing_the_holder_frees_the_lock(locks):
    """A crashed or killed instance must not leave the cluster locked."""
    first, second = locks
    assert first.try_acquire()
    first.close()
    assert second.try_acquire()
    second.release()


def test_postgres_locks_on_a_connection_of_its_own_mysql_on_the_migrating_one():
    with servers.postgres_database() as name:
        connection = wrapper(postgres(name))
        lock = lock_for(connection)
        try:
            assert lock.separate and lock.try_acquire()
            assert connection.connection is None, "the lock used the migrations' connection"
            lock.release()
        finally:
            lock.close()
    with servers.mariadb_database() as name:
        connection = wrapper(mariadb(name))
        lock = lock_for(connection)
        try:
            assert not lock.separate and lock.try_acquire()
            assert connection.connection is not None, "GET_LOCK must share the work's session"
            lock.verify()
            lock.release()
        finally:
            lock.close()


def test_releasing_a_lock_not_held_is_an_error(tmp_path):
    with servers.postgres_database() as name:
        lock = lock_for(wrapper(postgres(name)))
        try:
            with pytest.raises(LockLost, match="is not held"):
                lock.release()
        finally:
            lock.close()
    with servers.mariadb_database() as name:
        lock = lock_for(wrapper(mariadb(name)))
        try:
            with pytest.raises(LockLost, match="release not confirmed: it was not ours"):
                lock.release()
        finally:
            lock.close()


def test_different_databases_on_one_server_do_not_block_each_other():
    with servers.mariadb_database() as one, servers.mariadb_database() as two:
        first, second = lock_for(wrapper(mariadb(one))), lock_for(wrapper(mariadb(two)))
        try:
            assert first.try_acquire()
            assert second.try_acquire()
        finally:
            first.close()
            second.close()
    with servers.postgres_database() as one, servers.postgres_database() as two:
        first, second = lock_for(wrapper(postgres(one))), lock_for(wrapper(postgres(two)))
        try:
            assert first.try_acquire()
            assert second.try_acquire()
        finally:
            first.close()
            second.close()


def test_lock_identities_are_stable_and_fit_the_servers():
    assert postgres_key("shop") == postgres_key("shop") != postgres_key("shop2")
    for name in ["", "shop", "x" * 200, "é" * 63]:
        assert -(2**63) <= postgres_key(name) < 2**63
    assert mysql_lock_name("shop") == "cfsettings.cf_stage:shop"
    long_one, long_two = "d" * 60 + "1", "d" * 60 + "2"
    assert len(mysql_lock_name(long_one)) == MYSQL_NAME_LIMIT
    assert mysql_lock_name(long_one) != mysql_lock_name(long_two)


def test_a_64_character_database_name_locks_on_mariadb():
    with servers.mariadb_database(prefix="c" * 51) as name:
        assert len(name) == 64
        lock = lock_for(wrapper(mariadb(name)))
        try:
            assert lock.try_acquire()
            lock.release()
        finally:
            lock.close()


def test_each_vendor_gets_its_lock(tmp_path):
    assert isinstance(lock_for(wrapper(postgres("x"))), PostgresLock)
    assert isinstance(lock_for(wrapper(mariadb("x"))), MySQLLock)
    file_lock = lock_for(wrapper(sqlite(tmp_path / "db.sqlite3")))
    assert isinstance(file_lock, FileLock)
    assert file_lock.path == f"{tmp_path / 'db.sqlite3'}.cf_stage.lock"
    path_lock = lock_for(wrapper({"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "p"}))
    assert isinstance(path_lock, FileLock)
    for memory in [":memory:", "file:memdb?mode=memory&cache=shared"]:
        lock = lock_for(wrapper({"ENGINE": "django.db.backends.sqlite3", "NAME": memory}))
        assert isinstance(lock, ProcessLock)
        assert lock.try_acquire()
        lock.verify()
        lock.release()
        lock.close()
    with pytest.raises(NoClusterLock, match="no cluster lock for unknown databases"):
        lock_for(wrapper({"ENGINE": "django.db.backends.dummy"}))


def test_a_killed_mysql_session_loses_the_lock_and_cannot_release_it():
    from tests.stage.faults import kill_mariadb

    with servers.mariadb_database() as name:
        connection = wrapper(mariadb(name))
        lock = lock_for(connection)
        try:
            assert lock.try_acquire()
            session = lock_for(wrapper(mariadb(name)))
            assert not session.try_acquire()
            kill_mariadb([connection.connection.thread_id()])
            assert "lost: its session ended" in (lock.lost() or "")
            with pytest.raises(LockLost, match="release not confirmed \\("):
                lock.release()
            lock.close()  # a dead session closes quietly
            assert session.try_acquire()
            session.release()
            session.close()
        finally:
            lock.close()


def test_a_waiter_without_a_callback_reconnects_too():
    from tests.stage.faults import end_sessions_of

    with servers.postgres_database() as name:
        holder, waiter = lock_for(wrapper(postgres(name))), lock_for(wrapper(postgres(name)))
        try:
            assert holder.try_acquire()
            assert not waiter.try_acquire()
            end_sessions_of(name)  # both sessions: the holder's lock goes with it
            assert waiter.acquire(10, wait=5, poll=0.05) < 5
            waiter.release()
        finally:
            holder.close()
            waiter.close()


def test_a_closed_file_lock_is_lost(tmp_path):
    lock = FileLock(str(tmp_path / "db.sqlite3"))
    assert lock.try_acquire()
    lock.verify()
    lock.close()
    with pytest.raises(LockLost, match="lost: its file was closed"):
        lock.release()
