"""``cf_stage`` with faults injected into real servers: idle timeouts, killed sessions, signals.

Whatever happens to the lock's session, a migration is applied once, its data rows appear
once, every instance either succeeds or stops with a one-line reason, and a later run
completes.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cfsettings.stage.locks import postgres_key
from cfsettings.stage.pglock import halves
from tests.stage.faults import (
    assert_applied_once,
    kill_mariadb,
    mariadb_admin,
    mariadb_sessions,
    postgres_admin,
    wait_for_path,
    write_slow_app,
)
from tests.stage.test_cf_stage import SERVERS, app_environment, last_line, lock_on
from tests.stagekit import Process, assert_no_secret, manage

Server = tuple[dict, Callable[[str], list[tuple]]]


@pytest.fixture(params=sorted(SERVERS))
def server(request) -> Iterator[Server]:
    with SERVERS[request.param]() as found:
        yield found


def is_postgres(database: dict) -> bool:
    return "postgresql" in database["ENGINE"]


@contextmanager
def idle_timeouts(database: dict, seconds: int) -> Iterator[dict]:
    """The database as reached by sessions that the server ends after ``seconds`` idle.

    PostgreSQL: ``ALTER ROLE`` on the test's own role (idle and idle-in-transaction);
    MariaDB: ``SET SESSION wait_timeout`` in each connection's ``init_command``.
    """
    if is_postgres(database):
        role = database["USER"]
        for setting in ("idle_in_transaction_session_timeout", "idle_session_timeout"):
            postgres_admin("postgres", f"ALTER ROLE \"{role}\" SET {setting} = '{seconds}s'")
        yield database
    else:
        command = f"SET SESSION wait_timeout = {seconds}, interactive_timeout = {seconds}"
        yield {**database, "OPTIONS": {**database["OPTIONS"], "init_command": command}}


def slow_environment(database: dict, root: Path, slow: float) -> dict[str, str]:
    write_slow_app(root)
    return app_environment(
        database,
        root,
        "slow",
        STAGE_SLOW=str(slow),
        STAGE_SLOW_MARKER=str(root / "slow-started"),
    )


def finish_all(processes: list[Process], timeout: float = 90) -> list[int]:
    return [process.finish(timeout=timeout) for process in processes]


@pytest.mark.slow
def test_an_idle_timeout_shorter_than_a_migration_never_lets_two_instances_in(server, tmp_path):
    database, query = server
    instances = 4
    with idle_timeouts(database, 3) as timed:
        env = slow_environment(timed, tmp_path, slow=7)
        processes = [Process(env, "cf_stage", "--lock-timeout", "60") for _ in range(instances)]
        codes = finish_all(processes)
        outputs = [process.stdout + process.stderr for process in processes]
        assert_applied_once(query)
        assert codes == [0] * instances, "\n".join(outputs)
        assert sum("4 migrations applied" in out for out in outputs) == 1, "\n".join(outputs)
        assert all("lock released" in out or "nothing to do" in out for out in outputs)
        assert_no_secret(*outputs)
        later = manage(env, "cf_stage", "--check")
        assert later.returncode == 0 and "up to date" in later.stdout, later.stdout + later.stderr


def kill_the_holder(database: dict) -> None:
    """End the lock's session from outside, as an operator or a server restart would."""
    if is_postgres(database):
        high, low = halves(postgres_key(database["NAME"]))
        ended = postgres_admin(
            database["NAME"],
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
            " AND granted AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (high, low),
        )
    else:  # the lock lives on the migrating session: the one sleeping in the slow migration
        ended = mariadb_sessions(database["NAME"], "INFO LIKE 'SELECT SLEEP%%'")
        kill_mariadb(ended)
    assert len(ended) == 1, ended


@pytest.mark.slow
def test_the_lock_session_killed_mid_migration_stops_its_instance(server, tmp_path):
    database, query = server
    env = slow_environment(database, tmp_path, slow=6)
    first = Process(env, "cf_stage")
    first.wait_for("lock acquired")
    second = Process(env, "cf_stage", "--lock-timeout", "60")
    second.wait_for("waiting for")
    wait_for_path(tmp_path / "slow-started", first)

    kill_the_holder(database)
    assert first.finish(timeout=60) == 1, first.stdout + first.stderr
    reason = last_line(first.stderr)
    assert "stopped at migration slow.0002_slow: " in reason and " lost" in reason, reason
    assert second.finish(timeout=90) == 0, second.stdout + second.stderr
    # The first instance committed 0001_initial under the lock; the rest is the second's.
    assert "3 migrations applied" in second.stdout, second.stdout
    assert_applied_once(query)
    assert_no_secret(first.stdout, first.stderr, second.stdout, second.stderr)
    later = manage(env, "cf_stage", "--check")
    assert later.returncode == 0, later.stdout + later.stderr


def end_sessions(database: dict) -> int:
    """End every session on the test's database, as a server restart would."""
    if is_postgres(database):
        return len(
            postgres_admin(
                database["NAME"],
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
        )
    sessions = mariadb_sessions(database["NAME"])
    kill_mariadb(sessions)
    return len(sessions)


def test_waiting_instances_reconnect_when_the_server_drops_every_session(server, tmp_path):
    database, query = server
    env = slow_environment(database, tmp_path, slow=0)
    holder = lock_on(database)
    assert holder.try_acquire()
    try:
        waiters = [Process(env, "cf_stage", "--wait", "30") for _ in range(3)]
        for waiter in waiters:
            waiter.wait_for("waiting for")
        assert end_sessions(database) >= len(waiters) + 1  # the holder's session too
    finally:
        holder.close()
    codes = finish_all(waiters, timeout=60)
    outputs = [waiter.stdout + waiter.stderr for waiter in waiters]
    assert codes == [0, 0, 0], "\n".join(outputs)
    assert all("connection lost while waiting for the lock" in out for out in outputs)
    assert sum("4 migrations applied" in out for out in outputs) == 1, "\n".join(outputs)
    assert_applied_once(query)


def test_waiting_gives_up_after_wait_when_the_server_stays_away(tmp_path):
    """A waiter whose server never comes back stops within --wait, with one line."""
    with SERVERS["mariadb"]() as (database, _):
        env = slow_environment(database, tmp_path, slow=0)
        holder = lock_on(database)
        assert holder.try_acquire()
        try:
            waiter = Process(env, "cf_stage", "--wait", "1")
            waiter.wait_for("waiting for")
            user = database["USER"]
            mariadb_admin(f"ALTER USER '{user}'@'%' ACCOUNT LOCK")
            try:
                kill_mariadb(mariadb_sessions(database["NAME"], f"USER = '{user}'"))
                started = time.monotonic()
                assert waiter.finish(timeout=30) == 1
                assert time.monotonic() - started < 15
            finally:
                mariadb_admin(f"ALTER USER '{user}'@'%' ACCOUNT UNLOCK")
        finally:
            holder.close()
    reason = last_line(waiter.stderr)
    assert "database not reachable while waiting for the lock (--wait 1): " in reason, reason
    assert_no_secret(waiter.stdout, waiter.stderr)


def test_repeated_stop_signals_while_waiting_exit_128_plus_the_first(tmp_path):
    with SERVERS["postgres"]() as (database, _):
        env = slow_environment(database, tmp_path, slow=0)
        holder = lock_on(database)
        assert holder.try_acquire()
        try:
            results = []
            for first in (signal.SIGINT, signal.SIGHUP):
                process = Process(env, "cf_stage")
                process.wait_for("waiting for")
                process.popen.send_signal(first)
                deadline = time.monotonic() + 20
                while process.popen.poll() is None and time.monotonic() < deadline:
                    process.popen.send_signal(signal.SIGINT)  # Ctrl-C, again and again
                    time.sleep(0.005)
                results.append((process.finish(timeout=10), first, process))
        finally:
            holder.close()
    for code, first, process in results:
        assert code == 128 + first, process.stdout + process.stderr
        name = signal.Signals(first).name
        assert last_line(process.stderr) == f"CommandError: cf_stage: interrupted by {name}"
