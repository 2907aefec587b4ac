"""``LOGGING`` that says why, where ``cf logs`` collects it.

With ``DEBUG`` off, Django's default logging prints nothing: a 403 from the CSRF check or a
500 leaves no trace in ``cf logs``. This configuration sends every record at ``INFO`` and up
(``django.request`` and ``django.security`` included) to stdout, and those at ``WARNING`` and
up to stderr instead, so that ``cf logs`` marks them ``ERR``. Admins still get error mails
where ``ADMINS`` is set, as with Django's default.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cfsettings.errors import improperly_configured
from cfsettings.platform.detect import on_cloud_foundry

if TYPE_CHECKING:
    from collections.abc import Mapping
    from logging import LogRecord
    from typing import Any

LOG_LEVEL_VARIABLE = "DJANGO_LOG_LEVEL"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
WARNING = 30  # logging.WARNING, without importing logging into every settings module


class BelowLevel:
    """A logging filter passing records below ``level``: stdout takes what stderr does not."""

    def __init__(self, level: int = WARNING) -> None:
        self.level = level

    def filter(self, record: LogRecord) -> bool:
        return record.levelno < self.level


def logging_config(
    *, environ: Mapping[str, str] | None = None, level: str | None = None
) -> dict[str, Any]:
    """A ``LOGGING`` dict for Cloud Foundry; ``{}`` (Django's default logging) elsewhere.

    ``level`` (or ``DJANGO_LOG_LEVEL``) is the lowest level shown, ``INFO`` by default.
    """
    env = os.environ if environ is None else environ
    if not on_cloud_foundry(env):
        return {}
    chosen = (level or env.get(LOG_LEVEL_VARIABLE, "")).strip().upper() or "INFO"
    if chosen not in LEVELS:
        source = "logging_config(level=...)" if level else LOG_LEVEL_VARIABLE
        raise improperly_configured(f"{source} must be one of {', '.join(LEVELS)}.")
    handlers = ["stdout", "stderr"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "below_warning": {"()": f"{__name__}.BelowLevel", "level": WARNING},
            "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        },
        "formatters": {"plain": {"format": "{levelname} {name}: {message}", "style": "{"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["below_warning"],
                "formatter": "plain",
            },
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "level": "WARNING",
                "formatter": "plain",
            },
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
                "filters": ["require_debug_false"],
            },
        },
        "root": {"handlers": handlers, "level": chosen},
        "loggers": {
            # Replaces Django's own "django" logger (console only with DEBUG on).
            "django": {
                "handlers": [*handlers, "mail_admins"],
                "level": chosen,
                "propagate": False,
            },
        },
    }
