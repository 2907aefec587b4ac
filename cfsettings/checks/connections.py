"""W007: the app may open more connections than its database binding allows.

The failure ("too many connections") appears only under load, on the instance that opens one
too many; the arithmetic is known at deploy time. Per instance, each worker process opens at
most its pool's ``max_size`` (one pool serves all of a process's threads), or without a pool
one connection per thread. Several aliases of the same database (``default`` and the
service's own name) are counted once, by their largest: projects use one of them. The worker
and thread counts come from the environment the web process also gets (``WEB_CONCURRENCY``,
``GUNICORN_CMD_ARGS``, ``GUNICORN_THREADS``), the instance count from
``CFSETTINGS_INSTANCES`` when set (see :mod:`cfsettings.concurrency`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from cfsettings.concurrency import INSTANCES_VARIABLE, Process, read_process
from cfsettings.connections import stated_limit

if TYPE_CHECKING:
    from cfsettings.resolution import Resolution

#: psycopg_pool's size when ``OPTIONS["pool"]`` is ``True`` (min_size 4, max_size = min_size).
PSYCOPG_POOL_DEFAULT = 4


def check_connection_limits(resolution: Resolution) -> list[checks.CheckMessage]:
    """W007 for each bound database whose stated limit the configured concurrency exceeds."""
    try:
        # The web process's environment, not manage.py's.
        process = read_process(resolution.environ, argv=[])
    except ImproperlyConfigured:
        return []  # settings.py has already raised this
    configured = getattr(settings, "DATABASES", None) or {}
    messages: list[checks.CheckMessage] = []
    for resolved in resolution.databases.services:
        service, endpoint = resolved.service, resolved.endpoint
        try:
            limit, reason = stated_limit(service.name, service.credentials, "")
        except ImproperlyConfigured:
            continue  # reported where the settings are built
        if limit is None or endpoint is None:
            continue
        address = (endpoint.host, str(endpoint.port), endpoint.database)
        per_process = [
            _per_process(entry, process)
            for entry in configured.values()
            if isinstance(entry, dict)
            and (str(entry.get("HOST")), str(entry.get("PORT")), entry.get("NAME")) == address
        ]
        if per_process:
            messages.extend(_over_limit(service.name, limit, reason, max(per_process), process))
    return messages


def _per_process(entry: dict[str, Any], process: Process) -> tuple[int, str]:
    """The most connections one worker process opens to this entry's database, and why."""
    options = entry.get("OPTIONS") or {}
    pool = options.get("pool") if isinstance(options, dict) else None
    if pool:
        sizes = pool if isinstance(pool, dict) else {}  # True: psycopg_pool's defaults
        count = int(sizes.get("max_size") or sizes.get("min_size") or PSYCOPG_POOL_DEFAULT)
        return count, f"a pool of up to {count}"
    return process.threads, f"{process.threads} thread{'s' if process.threads > 1 else ''}"


def _over_limit(
    name: str, limit: int, reason: str, per_process: tuple[int, str], process: Process
) -> list[checks.CheckMessage]:
    count, why = per_process
    total = count * process.workers * (process.instances or 1)
    if total <= limit:
        return []
    instances = (
        f" x {process.instances} instances ({INSTANCES_VARIABLE})"
        if process.instances
        else " per instance"
    )
    return [
        checks.Warning(
            f"Bound database {name!r} allows {limit} connections ({reason}), but the app may "
            f"open {total}: {process.workers} worker{'s' if process.workers > 1 else ''} x "
            f"{why}{instances}. Under load the extra ones fail with 'too many connections'.",
            hint="Lower WEB_CONCURRENCY, the threads or OPTIONS['pool']['max_size'], bind a "
            "plan with more connections, or reach the database through a transaction "
            "pooler (see the connections page of cfsettings' docs).",
            id="cfsettings.W007",
        )
    ]
