"""Run ``migrate`` (and ``collectstatic``) for staging, with the lock checked at every step.

The project's own ``migrate`` command does the migrating (an app may override Django's); its
progress callback is wrapped to name the migration in progress and to re-check the cluster
lock before each one starts, so an instance that lost the lock stops before the next step.
"""

from __future__ import annotations

import re
import time
from typing import Any

from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError, SystemCheckError
from django.db.migrations import Migration

from cfsettings.masking import Masker
from cfsettings.stage.locks import ClusterLock
from cfsettings.stage.output import Output, reason


class MigrationTracker:
    """Remembers which migration ``migrate`` is applying, and checks the lock before each."""

    def __init__(self, lock: ClusterLock | None = None) -> None:
        self.running: str | None = None
        self.lock = lock

    def command(self) -> BaseCommand:
        app = get_commands()["migrate"]
        command = app if isinstance(app, BaseCommand) else load_command_class(app, "migrate")
        original = getattr(command, "migration_progress_callback", _ignore)

        def callback(action: str, migration: Migration | None = None, fake: bool = False) -> None:
            if action == "apply_start" and migration is not None:
                self.running = f"{migration.app_label}.{migration.name}"
                if self.lock is not None:
                    self.lock.verify()
            elif action == "apply_success":
                self.running = None
            original(action, migration, fake)

        setattr(command, "migration_progress_callback", callback)  # noqa: B010
        return command


def check_summary(exc: SystemCheckError, masker: Masker) -> str:
    """The failed checks' ids and the first one's message, on one line, masked."""
    issues = re.findall(r"^\S.*?: \(([\w.]+)\) (.+)$", str(exc), flags=re.MULTILINE)
    if not issues:
        return "run manage.py check"
    first_id, first_message = issues[0]
    others = "".join(f", {issue_id}" for issue_id, _ in issues[1:])
    return reason(
        CommandError(f"({first_id}) {first_message}{others} (run manage.py check)"), masker
    )


def _ignore(*args: Any) -> None:
    """The progress callback of a ``migrate`` that has none."""


def since(start: float) -> str:
    return f"{time.monotonic() - start:.2f}s"


def collectstatic(verbosity: int, stdout: Output, masker: Masker) -> None:
    """``collectstatic --noinput``, after every lock is released; one line, or a one-line error."""
    start = time.monotonic()
    try:
        call_command(
            "collectstatic", interactive=False, verbosity=max(verbosity - 1, 0), stdout=stdout
        )
    except Exception as exc:
        raise CommandError(f"cf_stage: collectstatic failed: {reason(exc, masker)}") from None
    if verbosity >= 1:
        stdout.write(f"cf_stage: static files collected ({since(start)})\n")
        stdout.flush()
