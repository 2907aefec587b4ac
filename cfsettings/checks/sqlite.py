"""cfsettings.E001: SQLite on Cloud Foundry, whose container disk is wiped on every restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import checks

from cfsettings.bindings.sources import VCAP_APPLICATION

SQLITE_ENGINES = ("django.db.backends.sqlite3", "django.contrib.gis.db.backends.spatialite")


def check(environ: Mapping[str, str]) -> list[checks.CheckMessage]:
    """E001 when ``VCAP_APPLICATION`` says the app runs on Cloud Foundry and a ``DATABASES``
    entry is an SQLite file."""
    if not environ.get(VCAP_APPLICATION, "").strip():
        return []
    configured = getattr(settings, "DATABASES", None) or {}
    aliases = [
        alias
        for alias, entry in configured.items()
        if isinstance(entry, dict)
        and entry.get("ENGINE") in SQLITE_ENGINES
        and not _in_memory(entry.get("NAME"))
    ]
    if not aliases:
        return []
    return [
        checks.Error(
            f"DATABASES {', '.join(repr(alias) for alias in aliases)} "
            f"{'uses' if len(aliases) == 1 else 'use'} SQLite on "
            "Cloud Foundry: the container's disk is wiped on every restart, restage and scale, "
            "so the data will be lost.",
            hint="Bind a database service (cf create-service, cf bind-service) or set "
            "DATABASE_URL. If losing the data is fine, add 'cfsettings.E001' to "
            "SILENCED_SYSTEM_CHECKS.",
            id="cfsettings.E001",
        )
    ]


def _in_memory(name: Any) -> bool:
    """An in-memory database is meant to vanish; only files are lost by surprise."""
    text = str(name or "")
    return text == ":memory:" or "mode=memory" in text
