"""System checks: catch at deploy time what would otherwise fail later, or silently.

Registered by the ``cfsettings`` app (tag ``cfsettings``), so ``manage.py check``,
``migrate`` and ``runserver`` run them. The environment is read once per run, and a check
never raises: bad bindings already stopped ``settings.py``, or are reported as E003.

=================  =======  =========================================================
id                 level    when
=================  =======  =========================================================
cfsettings.E001    Error    SQLite on Cloud Foundry: the container disk is wiped on
                            every restart, so the data will be lost
cfsettings.E002    Error    a bound service's driver is not installed
cfsettings.E003    Error    the service bindings cannot be read
cfsettings.E004    Error    a bound Redis CA fails strict verification, which this Python
                            uses (3.13+): every TLS connection to it fails
cfsettings.E005    Error    a bucket is bound but django-storages or boto3 is missing
cfsettings.W001    Warning  several databases (or caches) bound, none chosen as default
cfsettings.W002    Warning  DATABASE_URL (or REDIS_URL) set but a bound service wins
cfsettings.W003    Warning  several binding sources set: only the first is read
cfsettings.W004    Warning  as E004, on a Python that does not verify strictly yet
cfsettings.W005    Warning  DEBUG is on on Cloud Foundry
cfsettings.W006    Warning  on Cloud Foundry, a file field stores on the container's disk
cfsettings.W007    Warning  workers x threads (or pool size) exceed the connections a
                            bound database allows (checks/connections.py)
cfsettings.I001    Info     a bound service matched no database or cache
cfsettings.I002    Info     an SMTP relay is bound but names no sender address
=================  =======  =========================================================

Each family lives in a module of its own: ``strict_ca``, ``platform``, ``storage`` (W006,
E005, I002) and ``connections`` beside this one.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.classify import (
    CACHE_KINDS,
    DATABASE_KINDS,
    MEMCACHED,
    MYSQL,
    POSTGRESQL,
    REDIS,
    Ignored,
    Match,
    classify,
)
from cfsettings.bindings.endpoint import read_endpoint
from cfsettings.bindings.sources import VCAP_APPLICATION, binding_source, read_services
from cfsettings.caches import DEFAULT_CACHE_VARIABLE, PYLIBMC_BACKEND, REDIS_URL
from cfsettings.checks.connections import check_connection_limits
from cfsettings.checks.platform import check_platform
from cfsettings.checks.strict_ca import check_strict_cas
from cfsettings.databases import DATABASE_URL, DEFAULT_DATABASE_VARIABLE
from cfsettings.defaults import requested_defaults
from cfsettings.masking import Masker

TAG = "cfsettings"

#: For each kind: the modules any of which is its driver, and how to install one.
DRIVERS: dict[str, tuple[tuple[str, ...], str]] = {
    MYSQL: (("MySQLdb",), 'pip install "cfsettings[mysql]"'),
    POSTGRESQL: (("psycopg", "psycopg2"), 'pip install "cfsettings[postgres]"'),
    REDIS: (("redis",), 'pip install "cfsettings[redis]"'),
    MEMCACHED: (("pymemcache",), 'pip install "cfsettings[memcached]"'),
}
#: Memcached with a login (MemCachier, Memcached Cloud) goes through pylibmc's SASL support.
PYLIBMC = (("pylibmc",), "pip install pylibmc (it builds against libmemcached)")
KIND_NAMES = {MYSQL: "MySQL", POSTGRESQL: "PostgreSQL", REDIS: "Redis", MEMCACHED: "Memcached"}
SQLITE_ENGINES = ("django.db.backends.sqlite3", "django.contrib.gis.db.backends.spatialite")


def check_cfsettings(
    app_configs: Any = None, environ: Mapping[str, str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Every cfsettings check, from one reading of the environment, secrets masked."""
    env = os.environ if environ is None else environ
    masker = Masker()
    for variable in (DATABASE_URL, REDIS_URL):
        masker.learn(env.get(variable, ""))
    messages = _check(env, masker)
    messages.extend(check_connection_limits(env))
    for message in messages:
        message.msg = masker.scrub(message.msg)
        message.hint = masker.scrub(message.hint) if message.hint else message.hint
    return messages


def _check(env: Mapping[str, str], masker: Masker) -> list[checks.CheckMessage]:
    messages = [*_sqlite_on_cloud_foundry(env), *check_platform(env)]
    source, ignored = binding_source(env)
    if ignored:
        messages.append(
            checks.Warning(
                f"Several binding sources are set: {source} is read, "
                f"{', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} ignored.",
                hint="Unset the ones you do not mean; on Cloud Foundry only one is ever set.",
                id="cfsettings.W003",
            )
        )
    try:
        services = read_services(env)
    except ImproperlyConfigured as exc:
        return [
            *messages,
            checks.Error(
                f"The service bindings cannot be read: {exc}",
                hint="`python -m cfsettings` shows what cfsettings sees.",
                id="cfsettings.E003",
            ),
        ]
    matches: list[Match] = []
    for service in services:
        masker.learn(service.credentials)
        try:
            decision = classify(service)
        except ImproperlyConfigured:
            continue  # settings.py has already raised this one
        if isinstance(decision, Ignored):
            messages.append(
                checks.Info(
                    f"Bound service {service.name!r} (label {service.label!r}, tags "
                    f"{service.tags!r}) is not used: {decision.reason}.",
                    hint="If it is a database or cache, give it a tag such as mysql, "
                    "postgres, redis or memcached (cf update-user-provided-service -t). "
                    "Otherwise silence cfsettings.I001.",
                    id="cfsettings.I001",
                )
            )
        else:
            matches.append(decision)
    messages.extend(_missing_drivers(matches))
    messages.extend(check_strict_cas(matches))
    for kinds, variable, url_variable, noun in (
        (DATABASE_KINDS, DEFAULT_DATABASE_VARIABLE, DATABASE_URL, "database"),
        (CACHE_KINDS, DEFAULT_CACHE_VARIABLE, REDIS_URL, "cache"),
    ):
        family = sorted(match.service.name for match in matches if match.kind in kinds)
        messages.extend(_no_default(family, env, variable, noun))
        if family and env.get(url_variable, "").strip():
            messages.append(
                checks.Warning(
                    f"{url_variable} is set but ignored: the bound {noun} "
                    f"{'service' if len(family) == 1 else 'services'} "
                    f"{_names(family)} "
                    f"{'is' if len(family) == 1 else 'are'} used instead.",
                    hint=f"Unset {url_variable}, or unbind the service, so that one source "
                    f"of {noun} settings is left.",
                    id="cfsettings.W002",
                )
            )
    return messages


def _sqlite_on_cloud_foundry(env: Mapping[str, str]) -> list[checks.CheckMessage]:
    if not env.get(VCAP_APPLICATION, "").strip():
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
            f"DATABASES {_names(aliases)} {'uses' if len(aliases) == 1 else 'use'} SQLite on "
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


def _missing_drivers(matches: list[Match]) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for match in matches:
        if match.kind not in DRIVERS:  # buckets and SMTP relays: checks/storage.py
            continue
        modules, install = DRIVERS[match.kind]
        if match.kind == MEMCACHED and _needs_pylibmc(match):
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


def _needs_pylibmc(match: Match) -> bool:
    """Whether a Memcached service has a login, which only ``PyLibMCCache`` can use."""
    configured = getattr(settings, "CACHES", None) or {}
    entry = configured.get(match.service.name)
    if isinstance(entry, dict) and "BACKEND" in entry:
        return bool(entry["BACKEND"] == PYLIBMC_BACKEND)
    try:
        endpoint = read_endpoint(match)
    except ImproperlyConfigured:
        return False
    return bool(endpoint.username or endpoint.password)


def _no_default(
    names: list[str], env: Mapping[str, str], variable: str, noun: str
) -> list[checks.CheckMessage]:
    """W001, when settings.py built the setting (``pick_default`` ran) without a choice."""
    if len(names) < 2 or env.get(variable, "").strip():
        return []
    if variable not in requested_defaults or requested_defaults[variable]:
        return []  # chosen with default=..., or the setting does not come from cfsettings
    return [
        checks.Warning(
            f"Several {noun} services are bound ({_names(names)}) and none is chosen as the "
            f"default: {names[0]!r} is used because its name sorts first.",
            hint=f"Set {variable} to the one you mean, or pass {noun}s(default=...).",
            id="cfsettings.W001",
        )
    ]


def _names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names)
