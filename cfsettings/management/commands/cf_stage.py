"""``manage.py cf_stage``: stage every database safely, however many instances run it at once."""

from __future__ import annotations

import sys
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cfsettings.masking import Masker
from cfsettings.stage.migrating import collectstatic
from cfsettings.stage.output import mask_process_output, masked, reason, settings_masker
from cfsettings.stage.run import AliasStager, StageOptions
from cfsettings.stage.signals import Interrupted, signals_raise
from cfsettings.stage.targets import distinct_databases


def seconds(value: str) -> float:
    """A non-negative number of seconds, for ``--wait`` and ``--lock-timeout``."""
    try:
        number = float(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not number >= 0:  # also rejects nan
        raise ArgumentTypeError(f"{value!r} must be a number of seconds >= 0")
    return number


class Command(BaseCommand):
    help = (
        "Wait for each database, take a cluster-wide lock, apply pending migrations (with "
        "run_syncdb), create cache tables and the DJANGO_SUPERUSER_* superuser. Safe to run "
        "in every instance at once; does nothing, quickly, when everything is up to date."
    )
    # Skipped for the no-op path, which must cost no more than `check`; when there is work,
    # migrate runs the system checks itself before changing anything.
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--database",
            action="append",
            dest="databases",
            metavar="ALIAS",
            help="Stage only this alias (repeatable); default: every alias in DATABASES.",
        )
        parser.add_argument(
            "--wait",
            type=seconds,
            default=60.0,
            metavar="SECONDS",
            help="How long to wait for a database to accept connections (default 60).",
        )
        parser.add_argument(
            "--lock-timeout",
            type=seconds,
            default=300.0,
            metavar="SECONDS",
            help="How long to wait while another instance stages (default 300).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Print what would be done and change nothing; exit 1 when something is pending.",
        )
        parser.add_argument(
            "--collectstatic",
            action="store_true",
            help="Run collectstatic --noinput afterwards, outside the locks.",
        )

    from_argv = False
    masker: Masker

    def run_from_argv(self, argv: list[str]) -> None:
        """The command line: tracebacks are masked, and a stop signal always exits 128+n."""
        self.from_argv = True
        mask_process_output(settings_masker())
        super().run_from_argv(argv)

    def execute(self, *args: Any, **options: Any) -> Any:
        """Mask every output path: step lines, migrate's output, errors and tracebacks."""
        self.masker = settings_masker()
        options["stdout"] = masked(options.get("stdout") or sys.stdout, self.masker)
        options["stderr"] = masked(options.get("stderr") or sys.stderr, self.masker)
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except Exception as exc:
            raise CommandError(f"cf_stage: {reason(exc, self.masker)}") from None

    def handle(self, *args: Any, **options: Any) -> None:
        aliases = options["databases"] or list(settings.DATABASES)
        for alias in aliases:
            if alias not in settings.DATABASES:
                known = ", ".join(settings.DATABASES)
                raise CommandError(
                    f"cf_stage: --database {alias!r} is not in DATABASES (known: {known})"
                )
        stage_options = StageOptions(
            wait=options["wait"],
            lock_timeout=options["lock_timeout"],
            verbosity=options["verbosity"],
        )
        with signals_raise(linger=self.from_argv):
            try:
                pending = []
                for alias, twin in distinct_databases(aliases, settings.DATABASES):
                    if twin is not None:
                        if options["verbosity"]:
                            self.stdout.write(
                                f"cf_stage: {alias}: same staging target as {twin!r}, staged once"
                            )
                        continue
                    stager = AliasStager(
                        alias, stage_options, self.stdout, self.masker, self.stderr
                    )
                    if options["check"]:
                        if stager.check():
                            pending.append(alias)
                    else:
                        stager.stage()
                if pending:
                    raise CommandError(
                        f"cf_stage --check: work pending on {', '.join(pending)}", returncode=1
                    )
                if options["collectstatic"] and not options["check"]:
                    collectstatic(options["verbosity"], self.stdout, self.masker)
            except Interrupted as exc:
                raise CommandError(
                    f"cf_stage: interrupted by {exc.name}", returncode=128 + exc.signum
                ) from None
