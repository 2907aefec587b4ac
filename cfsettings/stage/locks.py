"""Cluster-wide locks held by the database itself, so concurrent ``cf_stage`` runs take turns.

Every instance of an app runs ``cf_stage`` at the same moment and they share nothing but the
database, so the database holds the lock: a PostgreSQL advisory lock, a MySQL/MariaDB
``GET_LOCK``, or, for SQLite (one machine), an ``fcntl`` lock on a file beside the database.
Server locks live on a connection of their own: the migrations' connection may be closed or
left in a failed transaction, and the lock must outlive that. Closing that connection (or the
process dying) also drops the lock, so a crash never leaves the cluster locked.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

NAMESPACE = "cfsettings.cf_stage"
POLL_SECONDS = 0.1
MYSQL_NAME_LIMIT = 64


class LockTimeout(Exception):
    """Another instance kept the lock longer than the caller would wait."""


class NoClusterLock(Exception):
    """The database vendor offers no lock cf_stage knows how to take."""


class ClusterLock(ABC):
    """A named lock that at most one process in the cluster holds at a time."""

    description: str

    @abstractmethod
    def try_acquire(self) -> bool:
        """Take the lock if it is free, without waiting."""

    @abstractmethod
    def release(self) -> bool:
        """Give the lock back; True when the database confirms it was held and is now free."""

    @abstractmethod
    def close(self) -> None:
        """Drop the lock's connection or file, which frees the lock if still held."""

    def acquire(
        self, timeout: float, on_wait: Callable[[], None] | None = None, poll: float = POLL_SECONDS
    ) -> float:
        """Poll until the lock is ours; return the seconds waited.

        Polling (rather than a blocking call) keeps the process responsive to SIGTERM and lets
        the caller say once that it is waiting.
        """
        start = time.monotonic()
        deadline = start + timeout
        told = False
        while not self.try_acquire():
            now = time.monotonic()
            if now >= deadline:
                raise LockTimeout(f"{self.description} still taken after {timeout:g}s")
            if not told and on_wait is not None:
                on_wait()
                told = True
            time.sleep(min(poll, deadline - now))
        return time.monotonic() - start


class _ServerLock(ClusterLock):
    """A lock a database server keeps for the session of a dedicated connection."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self._connection = connection.copy()

    def _select(self, sql: str, params: list[Any]) -> Any:
        with self._connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def close(self) -> None:
        self._connection.close()


def postgres_key(database: str) -> int:
    """The signed 64-bit advisory-lock key for a database: the same in every instance."""
    digest = hashlib.sha256(f"{NAMESPACE}:{database}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLock(_ServerLock):
    """``pg_try_advisory_lock`` on a session of its own (advisory locks are per database)."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        super().__init__(connection)
        self.key = postgres_key(str(connection.settings_dict["NAME"] or ""))
        self.description = f"PostgreSQL advisory lock {self.key}"

    def try_acquire(self) -> bool:
        return bool(self._select("SELECT pg_try_advisory_lock(%s)", [self.key]))

    def release(self) -> bool:
        return bool(self._select("SELECT pg_advisory_unlock(%s)", [self.key]))


def mysql_lock_name(database: str) -> str:
    """A ``GET_LOCK`` name per database (names are server-wide and at most 64 characters)."""
    name = f"{NAMESPACE}:{database}"
    if len(name) <= MYSQL_NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{name[: MYSQL_NAME_LIMIT - len(digest) - 1]}:{digest}"


class MySQLLock(_ServerLock):
    """MySQL / MariaDB ``GET_LOCK`` with a zero timeout, polled."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        super().__init__(connection)
        self.name = mysql_lock_name(str(connection.settings_dict["NAME"] or ""))
        self.description = f"MySQL lock {self.name!r}"

    def try_acquire(self) -> bool:
        # 1: ours; 0: someone else's; NULL (an error the server did not raise): not ours.
        return bool(self._select("SELECT GET_LOCK(%s, 0)", [self.name]) == 1)

    def release(self) -> bool:
        return bool(self._select("SELECT RELEASE_LOCK(%s)", [self.name]) == 1)


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

    def release(self) -> bool:
        fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
        return True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class ProcessLock(ClusterLock):
    """No lock at all, for an in-memory SQLite database that only this process can see."""

    description = "no lock (in-memory database)"

    def try_acquire(self) -> bool:
        return True

    def release(self) -> bool:
        return True

    def close(self) -> None:
        return None


def lock_for(connection: BaseDatabaseWrapper) -> ClusterLock:
    """The cluster lock for a database alias's connection; NoClusterLock for other vendors."""
    vendor = connection.vendor
    if vendor == "postgresql":
        return PostgresLock(connection)
    if vendor == "mysql":
        return MySQLLock(connection)
    if vendor == "sqlite":
        name = os.fspath(connection.settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            return ProcessLock()
        return FileLock(name)
    raise NoClusterLock(f"cf_stage has no cluster lock for {vendor} databases")
