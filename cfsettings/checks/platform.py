"""Checks of the platform settings: ``cfsettings.W005`` (``DEBUG`` on Cloud Foundry)."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core import checks

from cfsettings.platform.detect import on_cloud_foundry


def check_platform(env: Mapping[str, str]) -> list[checks.CheckMessage]:
    """W005: ``DEBUG`` on a public route shows settings, code and SQL to anyone."""
    if not on_cloud_foundry(env) or not getattr(settings, "DEBUG", False):
        return []
    return [
        checks.Warning(
            "DEBUG is on on Cloud Foundry: every error page shows your settings, source code "
            "and SQL to whoever reaches the route, and every query is kept in memory.",
            hint="Set DEBUG = False for Cloud Foundry, for example "
            "DEBUG = not cfsettings.on_cloud_foundry(), or from a variable you set with "
            "cf set-env.",
            id="cfsettings.W005",
        )
    ]
