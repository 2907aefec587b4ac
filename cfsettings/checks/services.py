"""Checks of the bound services, read from the same resolution ``databases()`` uses.

E002 (driver missing), E003 (bindings unreadable), W001 (several bound, none chosen),
W002 (``DATABASE_URL``/``REDIS_URL`` shadowed), W003 (several binding sources), I001 (a
service matched nothing).

W001 decides from the settings, not from the ``default=`` argument: see ``_no_default``.
"""

from __future__ import annotations

import importlib.util

from django.conf import settings
from django.core import checks

from cfsettings.bindings.classify import MEMCACHED, MYSQL, POSTGRESQL, REDIS, Match
from cfsettings.caches import PYLIBMC_BACKEND
from cfsettings.defaults import FIRST_BY_NAME, copied_service
from cfsettings.resolution import Bound, Resolution, Resolved
from cfsettings.resolve import KIND_NAMES

#: For each kind: the modules any of which is its driver, and how to install one.
DRIVERS: dict[str, tuple[tuple[str, ...], str]] = {
    MYSQL: (("MySQLdb",), 'pip install "cfsettings[mysql]"'),
    POSTGRESQL: (("psycopg", "psycopg2"), 'pip install "cfsettings[postgres]"'),
    REDIS: (("redis",), 'pip install "cfsettings[redis]"'),
    MEMCACHED: (("pymemcache",), 'pip install "cfsettings[memcached]"'),
}
#: Memcached with a login (MemCachier, Memcached Cloud) goes through pylibmc's SASL support.
PYLIBMC = (("pylibmc",), "pip install pylibmc (it builds against libmemcached)")


def check(resolution: Resolution) -> list[checks.CheckMessage]:
    messages = _several_sources(resolution)
    if resolution.error is not None:
        messages.append(
            checks.Error(
                f"The service bindings cannot be read: {resolution.error}",
                hint="`python -m cfsettings` shows what cfsettings sees.",
                id="cfsettings.E003",
            )
        )
        return messages
    for resolved in resolution.services:
        ignored = resolved.ignored
        if ignored is not None:
            service = resolved.service
            messages.append(
                checks.Info(
                    f"Bound service {service.name!r} (label {service.label!r}, tags "
                    f"{service.tags!r}) is not used: {ignored.reason}.",
                    hint="If it is a database or cache, give it a tag such as mysql, "
                    "postgres, redis or memcached (cf update-user-provided-service -t). "
                    "Otherwise silence cfsettings.I001.",
                    id="cfsettings.I001",
                )
            )
    # A service that cannot be classified is left out: settings.py has raised for it already.
    messages.extend(_missing_drivers(resolution.services))
    for bound in (resolution.databases, resolution.caches):
        messages.extend(_no_default(bound))
        messages.extend(_shadowed_url(bound))
    return messages


def _several_sources(resolution: Resolution) -> list[checks.CheckMessage]:
    ignored = resolution.ignored_sources
    if not ignored:
        return []
    return [
        checks.Warning(
            f"Several binding sources are set: {resolution.source} is read, "
            f"{', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} ignored.",
            hint="Unset the ones you do not mean; on Cloud Foundry only one is ever set.",
            id="cfsettings.W003",
        )
    ]


def _missing_drivers(services: tuple[Resolved, ...]) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for resolved in services:
        match = resolved.match
        if match is None or match.kind not in DRIVERS:  # buckets and relays: storage.py
            continue
        modules, install = DRIVERS[match.kind]
        if match.kind == MEMCACHED and _needs_pylibmc(resolved, match):
            modules, install = PYLIBMC
        if any(importlib.util.find_spec(module) is not None for module in modules):
            continue
        messages.append(
            checks.Error(
                f"Bound service {match.service.name!r} is {KIND_NAMES[match.kind]}, but its "
                f"driver ({' or '.join(modules)}) is not installed.",
                hint=f"{install}, and add it to requirements.txt.",
                id="cfsettings.E002",
            )
        )
    return messages


def _needs_pylibmc(resolved: Resolved, match: Match) -> bool:
    """Whether a Memcached service has a login, which only ``PyLibMCCache`` can use."""
    configured = getattr(settings, "CACHES", None) or {}
    entry = configured.get(match.service.name)
    if isinstance(entry, dict) and "BACKEND" in entry:
        return bool(entry["BACKEND"] == PYLIBMC_BACKEND)
    endpoint = resolved.endpoint  # None: settings.py reports the bad credentials
    return endpoint is not None and bool(endpoint.username or endpoint.password)


def _no_default(bound: Bound) -> list[checks.CheckMessage]:
    """W001: several bound, none chosen, and the project's setting uses the pick by name.

    Nothing is recorded while settings load, so the ``default=`` argument of ``databases()``
    / ``caches()`` cannot be seen; what is visible decides. Warn when the family's
    ``CFSETTINGS_DEFAULT_*`` variable is unset, no bound service is named ``default`` (both
    make ``choice.how`` other than first-by-name), and the setting's ``default`` entry is a
    copy of the entry of the service whose name sorts first. A hand-written setting, or
    ``default=`` naming another service, is quiet; ``default=`` naming the very service that
    sorts first builds the same setting as no choice and warns (set the variable instead, or
    silence cfsettings.W001). See docs/resolve.rst.
    """
    family, choice = bound.family, bound.default
    if choice is None or choice.how != FIRST_BY_NAME:
        return []
    if copied_service(getattr(settings, family.setting, None), [choice.name]) is None:
        return []  # chosen with default=..., or the setting does not come from cfsettings
    return [
        checks.Warning(
            f"Several {family.noun} services are bound ({_names(bound.names)}) and none is "
            f"chosen as the default: {choice.name!r} is used because its name sorts first.",
            hint=f"Set {family.variable} to the one you mean, or pass {family.noun}s(default=...).",
            id="cfsettings.W001",
        )
    ]


def _shadowed_url(bound: Bound) -> list[checks.CheckMessage]:
    """W002: the family's URL variable is set, but a bound service wins over it."""
    family, names = bound.family, bound.names
    if not names or not bound.url:
        return []
    one = len(names) == 1
    return [
        checks.Warning(
            f"{family.url_variable} is set but ignored: the bound {family.noun} "
            f"{'service' if one else 'services'} {_names(names)} "
            f"{'is' if one else 'are'} used instead.",
            hint=f"Unset {family.url_variable}, or unbind the service, so that one source "
            f"of {family.noun} settings is left.",
            id="cfsettings.W002",
        )
    ]


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in sorted(names))
