"""Stage one database alias: wait for it, take its cluster lock, apply what is pending.

Every step prints one short line with its duration; every failure becomes a one-line
``CommandError`` naming the alias, with any configured password scrubbed from it (driver
messages are not ours to trust).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, quote_plus

from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError, SystemCheckError
from django.db import DatabaseError, connections
from django.db.migrations import Migration

from cfsettings.stage import plan, superuser
from cfsettings.stage.locks import ClusterLock, LockTimeout, lock_for

MAX_BACKOFF = 5.0
FIRST_BACKOFF = 0.5
REASON_LIMIT = 300


class Output(Protocol):
    """Where step lines go: a management command's stdout, or any text stream."""

    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


@dataclass(frozen=True)
class StageOptions:
    wait: float = 60.0
    lock_timeout: float = 300.0
    verbosity: int = 1


def secrets(databases: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Every password in DATABASES (and the superuser's), as written and as URL-quoted."""
    found = [os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")]
    for database in (settings.DATABASES if databases is None else databases).values():
        found.append(str(database.get("PASSWORD") or ""))
        for key, value in (database.get("OPTIONS") or {}).items():
            if "pass" in key.lower() and isinstance(value, str):
                found.append(value)
    variants = {
        form for value in found if value for form in (value, quote(value), quote_plus(value))
    }
    return sorted(variants, key=len, reverse=True)


def reason(exc: BaseException) -> str:
    """An exception as one short line without secrets: the type, then the first message line."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else ""
    if not isinstance(exc, CommandError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    for secret in secrets():
        text = text.replace(secret, "***")
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 3] + "..."


class AliasStager:
    """Stages (or, with ``check``, inspects) one database alias."""

    def __init__(self, alias: str, options: StageOptions, stdout: Output) -> None:
        self.alias = alias
        self.options = options
        self.stdout = stdout
        try:
            self.connection = connections[alias]
        except Exception as exc:  # a missing driver or a bad ENGINE
            raise CommandError(f"cf_stage: {alias}: {reason(exc)}") from None
        self.label = f"{alias} ({self.connection.vendor})"

    def say(self, message: str) -> None:
        if self.options.verbosity >= 1:
            self.stdout.write(f"cf_stage: {self.label}: {message}\n")
            self.stdout.flush()

    def fail(self, message: str) -> CommandError:
        return CommandError(f"cf_stage: {self.label}: {message}")

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        """Turn any error in the block into a one-line CommandError that names the step."""
        try:
            yield
        except CommandError as exc:
            if str(exc).startswith("cf_stage: "):
                raise
            raise self.fail(f"{what} failed: {reason(exc)}") from None
        except Exception as exc:
            raise self.fail(f"{what} failed: {reason(exc)}") from None

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
                    f"database not reachable after {_since(start)} "
                    f"(--wait {self.options.wait:g}): {reason(error)}"
                )
            pause = min(backoff, remaining)
            self.say(f"database not ready ({reason(error)}); retrying in {pause:.1f}s")
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
            self.say(f"up to date ({time.monotonic() - start:.2f}s)")
        return bool(pending)

    def stage(self) -> None:
        """Wait, then apply what is pending under the cluster lock (skipped when up to date)."""
        self.wait_for_database()
        start = time.monotonic()
        with self.step("reading the migration state"):
            done = plan.nothing_to_do(self.connection)
        if done:
            self.say(f"nothing to do ({time.monotonic() - start:.2f}s)")
            return
        with self.step("taking the lock"):
            lock = lock_for(self.connection)
        # While it waits, an instance holds only the lock's connection (small database plans
        # allow few); this one reconnects when the lock is ours.
        self.connection.close()
        try:
            self._under_lock(lock)
        finally:
            lock.close()

    def _under_lock(self, lock: ClusterLock) -> None:
        timeout = self.options.lock_timeout
        with self.step("taking the lock"):
            try:
                waited = lock.acquire(
                    timeout,
                    on_wait=lambda: self.say(
                        f"waiting for {lock.description} (another instance is staging), "
                        f"up to {timeout:g}s"
                    ),
                )
            except LockTimeout as exc:
                raise self.fail(f"{exc} (--lock-timeout {timeout:g})") from None
        self.say(f"lock acquired in {waited:.1f}s")
        try:
            self._apply()
        except BaseException:
            # Abort our transaction before the next instance gets the lock.
            self._close_quietly()
            raise
        finally:
            self._release(lock)

    def _release(self, lock: ClusterLock) -> None:
        try:
            released = lock.release()
        except Exception:
            released = False
        if released:
            self.say("lock released")
        else:
            self.say("lock not confirmed released; it goes with its connection")

    def _close_quietly(self) -> None:
        with suppress(Exception):
            self.connection.close()

    def _apply(self) -> None:
        start = time.monotonic()
        with self.step("reading the migration state"):
            if plan.nothing_to_do(self.connection):
                self.say(f"nothing to do: another instance staged it ({_since(start)})")
                return
            pending = plan.pending(self.connection)
        if pending.needs_migrate:
            self._migrate(pending)
        else:
            self.say(f"nothing to migrate ({_since(start)})")
        with self.step("reading the migration state"):
            tables = plan.table_names(self.connection)
            cache_tables = plan.missing_cache_tables(self.connection, tables)
            username = superuser.missing(self.connection, tables)
        if cache_tables:
            start = time.monotonic()
            with self.step("createcachetable"):
                call_command("createcachetable", database=self.alias, verbosity=0)
            self.say(f"cache table {', '.join(cache_tables)} created ({_since(start)})")
        if username:
            start = time.monotonic()
            with self.step(f"creating superuser {username!r}"):
                superuser.create(self.alias)
            self.say(f"superuser {username!r} created ({_since(start)})")

    def _migrate(self, pending: plan.Pending) -> None:
        start = time.monotonic()
        tracker = MigrationTracker()
        try:
            call_command(
                tracker.command(),
                database=self.alias,
                interactive=False,
                run_syncdb=True,
                skip_checks=False,
                verbosity=max(self.options.verbosity - 1, 0),
                stdout=self.stdout,
            )
        except SystemCheckError as exc:
            raise self.fail(f"system checks failed: {check_summary(exc)}") from None
        except Exception as exc:
            where = f"migration {tracker.running}" if tracker.running else "migrate"
            raise self.fail(f"{where} failed: {reason(exc)}") from None
        parts = []
        if pending.migrations:
            parts.append(plan.plural(len(pending.migrations), "migration") + " applied")
        if pending.syncdb_tables:
            count = len(pending.syncdb_tables)
            parts.append(plan.plural(count, "table") + " created for apps without migrations")
        self.say(f"{', '.join(parts)} in {time.monotonic() - start:.1f}s")


class MigrationTracker:
    """Remembers which migration ``migrate`` is applying, to name it if it fails.

    It wraps the progress callback of whichever ``migrate`` command the project uses (an app
    may override Django's), so that command still does the migrating.
    """

    def __init__(self) -> None:
        self.running: str | None = None

    def command(self) -> BaseCommand:
        app = get_commands()["migrate"]
        command = app if isinstance(app, BaseCommand) else load_command_class(app, "migrate")
        original = getattr(command, "migration_progress_callback", _ignore)

        def callback(action: str, migration: Migration | None = None, fake: bool = False) -> None:
            if action == "apply_start" and migration is not None:
                self.running = f"{migration.app_label}.{migration.name}"
            elif action == "apply_success":
                self.running = None
            original(action, migration, fake)

        setattr(command, "migration_progress_callback", callback)  # noqa: B010
        return command


def check_summary(exc: SystemCheckError) -> str:
    """The failed checks' ids and the first one's message, on one line, without secrets."""
    issues = re.findall(r"^\S.*?: \(([\w.]+)\) (.+)$", str(exc), flags=re.MULTILINE)
    if not issues:
        return "run manage.py check"
    first_id, first_message = issues[0]
    others = "".join(f", {issue_id}" for issue_id, _ in issues[1:])
    return reason(CommandError(f"({first_id}) {first_message}{others} (run manage.py check)"))


def _ignore(*args: Any) -> None:
    """The progress callback of a ``migrate`` that has none."""


def _since(start: float) -> str:
    return f"{time.monotonic() - start:.2f}s"


def collectstatic(verbosity: int, stdout: Output) -> None:
    """``collectstatic --noinput``, after every lock is released; one line, or a one-line error."""
    start = time.monotonic()
    try:
        call_command(
            "collectstatic", interactive=False, verbosity=max(verbosity - 1, 0), stdout=stdout
        )
    except Exception as exc:
        raise CommandError(f"cf_stage: collectstatic failed: {reason(exc)}") from None
    if verbosity >= 1:
        stdout.write(f"cf_stage: static files collected ({_since(start)})\n")
        stdout.flush()
