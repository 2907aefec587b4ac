"""Stage one database alias: wait for it, take its cluster lock, apply what is pending.

Every step prints one short line with its duration; every failure becomes a one-line
``CommandError`` naming the alias, masked by the one masker (driver messages are not ours to
trust). Losing the lock is a failure, and so is a release the database does not confirm.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import DatabaseError, connections

from cfsettings.masking import Masker
from cfsettings.stage import plan, superuser
from cfsettings.stage.locks import ClusterLock, LockLost, LockTimeout, lock_for
from cfsettings.stage.migrating import MigrationTracker, check_summary, since
from cfsettings.stage.output import MaskedStream, Output, reason, settings_masker

MAX_BACKOFF = 5.0
FIRST_BACKOFF = 0.5


@dataclass(frozen=True)
class StageOptions:
    wait: float = 60.0
    lock_timeout: float = 300.0
    verbosity: int = 1


class AliasStager:
    """Stages (or, with ``check``, inspects) one database alias."""

    def __init__(
        self,
        alias: str,
        options: StageOptions,
        stdout: Output,
        masker: Masker | None = None,
        stderr: Output | None = None,
    ) -> None:
        self.alias = alias
        self.options = options
        self.masker = settings_masker() if masker is None else masker
        self.stdout = stdout
        self.stderr = MaskedStream(sys.stderr, self.masker) if stderr is None else stderr
        try:
            self.connection = connections[alias]
        except Exception as exc:  # a missing driver or a bad ENGINE
            raise CommandError(f"cf_stage: {alias}: {self.reason(exc)}") from None
        self.label = f"{alias} ({self.connection.vendor})"

    def reason(self, exc: BaseException) -> str:
        return reason(exc, self.masker)

    def say(self, message: str) -> None:
        if self.options.verbosity >= 1:
            self.stdout.write(self.masker.scrub(f"cf_stage: {self.label}: {message}\n"))
            self.stdout.flush()

    def fail(self, message: str) -> CommandError:
        return CommandError(self.masker.scrub(f"cf_stage: {self.label}: {message}"))

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        """Turn any error in the block into a one-line CommandError that names the step."""
        try:
            yield
        except CommandError as exc:
            if str(exc).startswith("cf_stage: "):
                raise
            raise self.fail(f"{what} failed: {self.reason(exc)}") from None
        except LockLost as exc:
            raise self.fail(f"stopped before {what}: {exc}") from None
        except Exception as exc:
            raise self.fail(f"{what} failed: {self.reason(exc)}") from None

    def wait_for_database(self) -> None:
        """Connect, retrying with backoff for up to ``--wait`` seconds, one line per retry."""
        start = time.monotonic()
        deadline = start + self.options.wait
        backoff = FIRST_BACKOFF
        while True:
            with self.step("connecting"):
                try:
                    self.connection.ensure_connection()
                    break
                except DatabaseError as exc:
                    error = exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.fail(
                    f"database not reachable after {since(start)} "
                    f"(--wait {self.options.wait:g}): {self.reason(error)}"
                )
            pause = min(backoff, remaining)
            self.say(f"database not ready ({self.reason(error)}); retrying in {pause:.1f}s")
            time.sleep(pause)
            backoff = min(backoff * 2, MAX_BACKOFF)
        self.say(f"waited {time.monotonic() - start:.1f}s for database")

    def check(self) -> bool:
        """Print what staging would do; True when something is pending."""
        self.wait_for_database()
        start = time.monotonic()
        with self.step("reading the migration state"):
            if plan.nothing_to_do(self.connection):
                pending = plan.Pending()
            else:
                pending = plan.pending(self.connection)
        for line in pending.describe():
            self.say(f"pending: {line}")
        if not pending:
            self.say(f"up to date ({since(start)})")
        return bool(pending)

    def stage(self) -> None:
        """Wait, then apply what is pending under the cluster lock (skipped when up to date)."""
        self.wait_for_database()
        start = time.monotonic()
        with self.step("reading the migration state"):
            done = plan.nothing_to_do(self.connection)
        if done:
            self.say(f"nothing to do ({since(start)})")
            return
        with self.step("taking the lock"):
            lock = lock_for(self.connection)
        if lock.separate:
            # While it waits, an instance holds only the lock's connection (small database
            # plans allow few); this one reconnects when the lock is ours.
            self.connection.close()
        try:
            self._under_lock(lock)
        finally:
            lock.close()

    def _acquire(self, lock: ClusterLock) -> None:
        timeout, wait = self.options.lock_timeout, self.options.wait
        try:
            waited = lock.acquire(
                timeout,
                wait,
                on_wait=lambda: self.say(
                    f"waiting for {lock.description} (another instance is staging), "
                    f"up to {timeout:g}s"
                ),
                on_drop=lambda exc, pause: self.say(
                    f"connection lost while waiting for the lock ({self.reason(exc)}); "
                    f"reconnecting in {pause:.1f}s"
                ),
            )
        except LockTimeout as exc:
            raise self.fail(f"{exc} (--lock-timeout {timeout:g})") from None
        except DatabaseError as exc:
            raise self.fail(
                f"database not reachable while waiting for the lock (--wait {wait:g}): "
                f"{self.reason(exc)}"
            ) from None
        self.say(f"lock acquired in {waited:.1f}s")

    def _under_lock(self, lock: ClusterLock) -> None:
        with self.step("taking the lock"):
            self._acquire(lock)
        try:
            with self.step("taking over from the previous holder"):
                lock.settle(self.connection)
            self._apply(lock)
        except BaseException:
            self._abandon(lock)
            raise
        try:
            lock.release()
        except LockLost as exc:
            raise self.fail(str(exc)) from None
        self.say("lock released")

    def _abandon(self, lock: ClusterLock) -> None:
        """After a failure: abort our transaction, then free the lock (the error stands)."""
        if lock.separate:
            self._close_quietly()
        try:
            lock.release()
        except Exception as exc:
            self.say(f"lock not confirmed released ({self.reason(exc)}); it goes with its session")
        else:
            self.say("lock released")
        self._close_quietly()

    def _close_quietly(self) -> None:
        with suppress(Exception):
            self.connection.close()

    def _apply(self, lock: ClusterLock) -> None:
        start = time.monotonic()
        with self.step("reading the migration state"):
            if plan.nothing_to_do(self.connection):
                self.say(f"nothing to do: another instance staged it ({since(start)})")
                return
            pending = plan.pending(self.connection)
        if pending.needs_migrate:
            self._migrate(pending, lock)
        else:
            self.say(f"nothing to migrate ({since(start)})")
        with self.step("reading the migration state"):
            tables = plan.table_names(self.connection)
            cache_tables = plan.missing_cache_tables(self.connection, tables)
            username = superuser.missing(self.connection, tables)
        if cache_tables:
            start = time.monotonic()
            with self.step("createcachetable"):
                lock.verify()
                call_command("createcachetable", database=self.alias, verbosity=0)
            self.say(f"cache table {', '.join(cache_tables)} created ({since(start)})")
        if username:
            start = time.monotonic()
            with self.step(f"creating superuser {username!r}"):
                lock.verify()
                superuser.create(self.alias)
            self.say(f"superuser {username!r} created ({since(start)})")

    def _migrate(self, pending: plan.Pending, lock: ClusterLock) -> None:
        start = time.monotonic()
        tracker = MigrationTracker(lock)
        try:
            lock.verify()
            with lock.guard(self.connection):
                call_command(
                    tracker.command(),
                    database=self.alias,
                    interactive=False,
                    run_syncdb=True,
                    skip_checks=False,
                    verbosity=max(self.options.verbosity - 1, 0),
                    stdout=self.stdout,
                    stderr=self.stderr,
                )
        except SystemCheckError as exc:
            raise self.fail(f"system checks failed: {check_summary(exc, self.masker)}") from None
        except LockLost as exc:
            where = f"migration {tracker.running}" if tracker.running else "migrate"
            raise self.fail(f"stopped at {where}: {exc}") from None
        except Exception as exc:
            where = f"migration {tracker.running}" if tracker.running else "migrate"
            lost = lock.lost()  # a session that ended mid-step took the lock with it
            if lost is not None:
                raise self.fail(f"stopped at {where}: {lost}") from None
            raise self.fail(f"{where} failed: {self.reason(exc)}") from None
        parts = []
        if pending.migrations:
            parts.append(plan.plural(len(pending.migrations), "migration") + " applied")
        if pending.syncdb_tables:
            count = len(pending.syncdb_tables)
            parts.append(plan.plural(count, "table") + " created for apps without migrations")
        self.say(f"{', '.join(parts)} in {time.monotonic() - start:.1f}s")
