"""``manage.py cf_settings``: explain the project's cfsettings decisions (see ``explain``).

Shows the project's own ``DATABASES``, ``CACHES`` and ``ALLOWED_HOSTS``, so arguments passed
to ``databases()`` and friends in ``settings.py`` are included; with ``--vcap-file`` the file
is the whole environment and the settings are computed with cfsettings' defaults instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cfsettings.explain.cli import add_arguments, run


class Command(BaseCommand):
    help = (
        "Show which bound services cfsettings recognised and why, and the resulting "
        "DATABASES, CACHES and ALLOWED_HOSTS, with every secret masked."
    )
    # A broken binding is what this command is for: Django's checks must not stop it first.
    requires_system_checks = ()
    stealth_options = ("stdin",)  # for call_command(..., stdin=...) with --vcap-file -

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        status = run(options, self.stdout, settings=settings, stdin=options.get("stdin"))
        if status:
            raise CommandError("cfsettings found problems (listed above).", returncode=status)
