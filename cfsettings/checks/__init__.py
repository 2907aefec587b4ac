"""System checks: catch at deploy time what would otherwise fail later, or silently.

Registered by the ``cfsettings`` app (tag ``cfsettings``), so ``manage.py check``,
``migrate`` and ``runserver`` run them. The environment is resolved once per run (the same
:func:`cfsettings.resolve.resolve` that ``databases()`` and ``caches()`` use), and a check
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
cfsettings.W001    Warning  several databases (or caches) bound, none chosen: the
                            default entry copies the first by name (services.py)
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

Each family lives in a module of its own beside this one (``IDS`` says which); secrets are
masked here, once, for all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import AppConfig
from django.core import checks

from cfsettings.checks import connections, platform, services, sqlite, storage, strict_ca
from cfsettings.masking import Masker
from cfsettings.resolve import URL_FAMILIES, resolve

TAG = "cfsettings"

#: Every id, and the module of this package that emits it.
IDS = {
    "cfsettings.E001": "sqlite",
    "cfsettings.E002": "services",
    "cfsettings.E003": "services",
    "cfsettings.E004": "strict_ca",
    "cfsettings.E005": "storage",
    "cfsettings.W001": "services",
    "cfsettings.W002": "services",
    "cfsettings.W003": "services",
    "cfsettings.W004": "strict_ca",
    "cfsettings.W005": "platform",
    "cfsettings.W006": "storage",
    "cfsettings.W007": "connections",
    "cfsettings.I001": "services",
    "cfsettings.I002": "storage",
}


def check_cfsettings(
    app_configs: Iterable[AppConfig] | None = None,
    environ: Mapping[str, str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Every cfsettings check, from one resolution of the environment, secrets masked."""
    env = os.environ if environ is None else environ
    resolution = resolve(env)
    masker = Masker()
    for family in URL_FAMILIES:
        masker.learn(env.get(family.url_variable, ""))
    for resolved in resolution.services:
        masker.learn(resolved.service.credentials)
    messages = [
        *sqlite.check(env),
        *platform.check_platform(env),
        *services.check(resolution),
        *strict_ca.check_strict_cas(resolution.caches.services),
        *connections.check_connection_limits(resolution),
        *storage.check_storage(app_configs, resolution=resolution),
    ]
    for message in messages:
        message.msg = masker.scrub(message.msg)
        message.hint = masker.scrub(message.hint) if message.hint else message.hint
    return messages
