"""The PostgreSQL cluster lock: safe directly and through a transaction-mode pooler.

The lock is ``pg_try_advisory_xact_lock`` taken inside a transaction that stays open on a
connection of its own for as long as staging runs. A session-level advisory lock would do
directly, but through PgBouncer in transaction mode lock and unlock can reach different server
connections; an open transaction pins one server connection, so the same lock works both ways.

Three things keep it honest (docs/cf_stage-locking.rst):

1. **Keep-alive.** A thread re-checks the lock on its connection well within the server's
   ``idle_in_transaction_session_timeout`` / ``idle_session_timeout`` (and at least every
   ``KEEPALIVE_MAX`` seconds, for proxies and NAT), so no idle timeout ends it.
2. **Re-check before each step** (``verify``): ``pg_locks`` must show the lock granted to the
   very backend that took it.
3. **Fence.** The transaction that records a migration first takes a second advisory lock
   (the fence) and proves the first is still held by our lock backend; a new holder passes the
   fence (``settle``) before it reads the plan. So an instance that lost the lock can never
   commit a migration, and the next holder sees whatever the last one committed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder

from cfsettings.stage.locks import ClusterLock, LockLost, postgres_key, select

APPLICATION_NAME = "cf_stage lock"
KEEPALIVE_MAX = 10.0
KEEPALIVE_MIN = 0.05

HELD = """
SELECT EXISTS (
    SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.classid::bigint = %s AND l.objid::bigint = %s
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.pid = %s AND a.backend_start = %s
)"""
TIMEOUTS = """
SELECT min(setting::float8) / 1000 FROM pg_settings
WHERE name IN ('idle_in_transaction_session_timeout', 'idle_session_timeout')
  AND setting <> '0'"""


def halves(key: int) -> tuple[int, int]:
    """How ``pg_locks`` shows a bigint advisory key: high and low 32 bits, unsigned."""
    return (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF


class PostgresLock(ClusterLock):
    """``pg_try_advisory_xact_lock`` held by an open transaction on a dedicated connection."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self._connection = connection.copy()
        settings = self._connection.settings_dict
        options = {k: v for k, v in (settings.get("OPTIONS") or {}).items() if k != "pool"}
        settings["OPTIONS"] = {**options, "application_name": APPLICATION_NAME}
        self._connection.inc_thread_sharing()  # the keep-alive thread uses it too
        database = str(settings["NAME"] or "")
        self.key = postgres_key(database)
        self.fence_key = postgres_key(database, ".fence")
        self.description = f"PostgreSQL advisory lock {self.key}"
        self._mutex = threading.Lock()
        self._holder: tuple[int, Any] | None = None
        self._lost: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._victim: Any = None  # the migrating driver connection, while guarded
        self.interval = KEEPALIVE_MAX

    def try_acquire(self) -> bool:
        connection = self._connection
        with self._mutex:
            connection.ensure_connection()
            connection.set_autocommit(False)
            if select(connection, "SELECT pg_try_advisory_xact_lock(%s)", [self.key]):
                pid, started = _row(
                    connection,
                    "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                )
                self._holder = (pid, started)
                timeout = select(connection, TIMEOUTS, [])
                if timeout:
                    self.interval = max(KEEPALIVE_MIN, min(KEEPALIVE_MAX, float(timeout) / 3))
                self._start_keepalive()
                return True
            # Not ours: end the transaction, so a waiter pins no server connection.
            connection.rollback()
            connection.set_autocommit(True)
            return False

    def _held(self, connection: BaseDatabaseWrapper) -> bool:
        assert self._holder is not None
        pid, started = self._holder
        return bool(select(connection, HELD, [*halves(self.key), pid, started]))

    def _check(self) -> None:
        """Raise LockLost unless our lock backend still holds the lock (caller has the mutex)."""
        if self._lost is not None:
            raise LockLost(self._lost)
        if self._holder is None:
            raise LockLost(f"{self.description} is not held")
        try:
            held = self._held(self._connection)
        except DatabaseError as exc:
            self._lost = f"{self.description} lost: its session ended ({_first_line(exc)})"
            raise LockLost(self._lost) from None
        if not held:
            self._lost = f"{self.description} lost: no longer held by its session"
            raise LockLost(self._lost)

    def verify(self) -> None:
        with self._mutex:
            self._check()

    def _start_keepalive(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._keepalive, name="cf_stage lock keep-alive", daemon=True
        )
        self._thread.start()

    def _keepalive(self) -> None:
        """Use the lock's session often enough that no idle timeout ends it; once it is lost,
        cancel the statement the migrating connection runs (the fence stops the rest)."""
        while not self._stop.wait(self.interval):
            with self._mutex:
                try:
                    self._check()
                except LockLost:
                    victim = self._victim
                    if victim is not None:
                        with suppress(Exception):
                            victim.cancel()
                    return

    def _stop_keepalive(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def release(self) -> None:
        """End the lock's transaction, which frees it. A transaction-scoped lock lasts as long
        as its transaction, so a rollback that succeeds confirms it was ours until now."""
        self._stop_keepalive()
        with self._mutex:
            if self._lost is not None:
                raise LockLost(self._lost)
            if self._holder is None:
                raise LockLost(f"{self.description} is not held")
            try:
                self._connection.rollback()
                self._connection.set_autocommit(True)
            except DatabaseError as exc:
                message = f"{self.description} release not confirmed ({_first_line(exc)})"
                raise LockLost(message) from None
            self._holder = None

    def close(self) -> None:
        self._stop_keepalive()
        with self._mutex:
            self._holder = None
            with suppress(DatabaseError):
                self._connection.close()

    def reset(self) -> None:
        self.close()
        self._lost = None

    def settle(self, connection: BaseDatabaseWrapper) -> None:
        """Pass the fence once (autocommit: taken and freed at once), so a previous holder's
        recording transaction has ended before this holder reads what is applied."""
        select(connection, "SELECT pg_advisory_xact_lock(%s)", [self.fence_key])

    @contextmanager
    def guard(self, connection: BaseDatabaseWrapper) -> Iterator[None]:
        table = connection.ops.quote_name(MigrationRecorder.Migration._meta.db_table)
        prefix = f"INSERT INTO {table}".upper()

        def fence(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if not (isinstance(sql, str) and sql.lstrip().upper().startswith(prefix)):
                return execute(sql, params, many, context)
            with transaction.atomic(using=connection.alias, savepoint=False):
                self._prove(connection)
                return execute(sql, params, many, context)

        connection.ensure_connection()
        self._victim = connection.connection
        try:
            with connection.execute_wrapper(fence):
                yield
        finally:
            self._victim = None

    def _prove(self, connection: BaseDatabaseWrapper) -> None:
        """In the recording transaction: take the fence, then see the lock is still ours."""
        select(connection, "SELECT pg_advisory_xact_lock(%s)", [self.fence_key])
        if self._lost is not None or self._holder is None or not self._held(connection):
            reason = self._lost or f"{self.description} lost: no longer held by its session"
            raise LockLost(f"{reason}; the migration was not recorded")


def _row(connection: BaseDatabaseWrapper, sql: str) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return tuple(row)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
