"""Cluster-wide locks held by the database itself, so concurrent ``cf_stage`` runs take turns.

Every instance of an app runs ``cf_stage`` at the same moment and they share nothing but the
database, so the database holds the lock (docs/cf_stage-locking.rst argues the design):

- PostgreSQL (``pglock``): a transaction-scoped advisory lock held by an open transaction on a
  connection of its own, kept from idling out, re-checked before every step and proved inside
  the transaction that records each migration. Right directly and through PgBouncer in
  transaction mode, where an open transaction pins one server connection.
- MySQL/MariaDB: ``GET_LOCK`` on the migrating connection itself, so the lock and the work die
  together; re-checked (``IS_USED_LOCK() = CONNECTION_ID()``) before every step.
- SQLite (one machine): an ``fcntl`` lock on a file beside the database.

A lock that is lost raises ``LockLost``; a release the database does not confirm is an error.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

NAMESPACE = "cfsettings.cf_stage"
POLL_SECONDS = 0.1
MYSQL_NAME_LIMIT = 64
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 5.0


class LockTimeout(Exception):
    """Another instance kept the lock longer than the caller would wait."""


class LockLost(Exception):
    """The lock is no longer ours (its session ended, or it cannot be confirmed)."""


class NoClusterLock(Exception):
    """The database vendor offers no lock cf_stage knows how to take."""


class ClusterLock(ABC):
    """A named lock that at most one process in the cluster holds at a time."""

    description: str
    #: Whether the lock lives on a connection of its own (the migrating one may then be closed
    #: while waiting, so a waiting instance holds a single connection).
    separate = True

    @abstractmethod
    def try_acquire(self) -> bool:
        """Take the lock if it is free, without waiting; DatabaseError if the session is gone."""

    @abstractmethod
    def verify(self) -> None:
        """Raise LockLost unless the database confirms the lock is still ours."""

    @abstractmethod
    def release(self) -> None:
        """Give the lock back; LockLost unless the database confirms it was ours until now."""

    @abstractmethod
    def close(self) -> None:
        """Drop the lock's connection or file, which frees the lock if still held."""

    def lost(self) -> str | None:
        """Why the lock is no longer ours, or None while it is (to explain a failed step)."""
        try:
            self.verify()
        except LockLost as exc:
            return str(exc)
        return None

    def reset(self) -> None:
        """Forget a session the server dropped, so the next try connects afresh."""
        self.close()

    def settle(self, connection: BaseDatabaseWrapper) -> None:
        """Once acquired: wait until a previous holder's last step has committed or failed."""
        return None

    @contextmanager
    def guard(self, connection: BaseDatabaseWrapper) -> Iterator[None]:
        """While migrating on ``connection``: refuse to record a migration without the lock."""
        yield

    def acquire(
        self,
        timeout: float,
        wait: float = 0.0,
        on_wait: Callable[[], None] | None = None,
        on_drop: Callable[[DatabaseError, float], None] | None = None,
        poll: float = POLL_SECONDS,
    ) -> float:
        """Poll until the lock is ours; return the seconds waited.

        Polling (rather than a blocking call) keeps the process responsive to SIGTERM and lets
        the caller say once that it is waiting. When the server drops the session (a restart,
        ``KILL``), the waiter reconnects with backoff for up to ``wait`` seconds per outage.
        """
        start = time.monotonic()
        deadline = start + timeout
        told = False
        outage: float | None = None
        backoff = FIRST_BACKOFF
        while True:
            try:
                if self.try_acquire():
                    return time.monotonic() - start
                outage, backoff = None, FIRST_BACKOFF
                pause = poll
            except DatabaseError as exc:
                self.reset()
                now = time.monotonic()
                outage = now if outage is None else outage
                if now - outage >= wait:
                    raise
                pause = min(backoff, outage + wait - now)
                backoff = min(backoff * 2, MAX_BACKOFF)
                if on_drop is not None:
                    on_drop(exc, pause)
            now = time.monotonic()
            if now >= deadline:
                raise LockTimeout(f"{self.description} still taken after {timeout:g}s")
            if not told and on_wait is not None and outage is None:
                on_wait()
                told = True
            time.sleep(max(0.0, min(pause, deadline - now)))


def digest_name(database: str, purpose: str = "") -> str:
    return f"{NAMESPACE}{purpose}:{database}"


def postgres_key(database: str, purpose: str = "") -> int:
    """The signed 64-bit advisory-lock key for a database: the same in every instance."""
    digest = hashlib.sha256(digest_name(database, purpose).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def mysql_lock_name(database: str) -> str:
    """A ``GET_LOCK`` name per database (names are server-wide and at most 64 characters)."""
    name = digest_name(database)
    if len(name) <= MYSQL_NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{name[: MYSQL_NAME_LIMIT - len(digest) - 1]}:{digest}"


def select(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> Any:
    """The first column of the first row of one query."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


class MySQLLock(ClusterLock):
    """MySQL / MariaDB ``GET_LOCK`` (zero timeout, polled) on the migrating connection itself.

    A session that ends takes its lock and its statement in flight with it, and Django never
    reconnects a broken connection on its own, so the work stops where the lock did.
    """

    separate = False

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self._connection = connection
        self.name = mysql_lock_name(str(connection.settings_dict["NAME"] or ""))
        self.description = f"MySQL lock {self.name!r}"

    def try_acquire(self) -> bool:
        # 1: ours; 0: someone else's; NULL (an error the server did not raise): not ours.
        return bool(select(self._connection, "SELECT GET_LOCK(%s, 0)", [self.name]) == 1)

    def verify(self) -> None:
        try:
            mine = select(
                self._connection, "SELECT IS_USED_LOCK(%s) = CONNECTION_ID()", [self.name]
            )
        except DatabaseError as exc:
            raise LockLost(f"{self.description} lost: its session ended ({exc})") from None
        if mine != 1:
            raise LockLost(f"{self.description} lost: its session is no longer the holder")

    def release(self) -> None:
        try:
            released = select(self._connection, "SELECT RELEASE_LOCK(%s)", [self.name])
        except DatabaseError as exc:
            raise LockLost(f"{self.description} release not confirmed ({exc})") from None
        if released != 1:
            raise LockLost(f"{self.description} release not confirmed: it was not ours")

    def close(self) -> None:
        with suppress(DatabaseError):  # a session the server ended may fail to close
            self._connection.close()


class FileLock(ClusterLock):
    """An ``fcntl`` lock on ``<database>.cf_stage.lock``: SQLite lives on one machine."""

    def __init__(self, database_path: str) -> None:
        self.path = f"{database_path}.cf_stage.lock"
        self.description = f"file lock {self.path}"
        self._fd: int | None = None

    def _descriptor(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        return self._fd

    def try_acquire(self) -> bool:
        try:
            fcntl.flock(self._descriptor(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def verify(self) -> None:
        """An open descriptor keeps its ``flock`` until closed: nothing can take it away."""
        if self._fd is None:
            raise LockLost(f"{self.description} lost: its file was closed")

    def release(self) -> None:
        self.verify()
        fcntl.flock(self._descriptor(), fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class ProcessLock(ClusterLock):
    """No lock at all, for an in-memory SQLite database that only this process can see."""

    description = "no lock (in-memory database)"

    def try_acquire(self) -> bool:
        return True

    def verify(self) -> None:
        return None

    def release(self) -> None:
        return None

    def close(self) -> None:
        return None


def lock_for(connection: BaseDatabaseWrapper) -> ClusterLock:
    """The cluster lock for a database alias's connection; NoClusterLock for other vendors."""
    vendor = connection.vendor
    if vendor == "postgresql":
        from cfsettings.stage.pglock import PostgresLock

        return PostgresLock(connection)
    if vendor == "mysql":
        return MySQLLock(connection)
    if vendor == "sqlite":
        name = os.fspath(connection.settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return ProcessLock()
        return FileLock(name)
    raise NoClusterLock(f"cf_stage has no cluster lock for {vendor} databases")
