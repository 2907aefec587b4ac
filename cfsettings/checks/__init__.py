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
cfsettings.W001    Warning  several databases (or caches) bound, none chosen as default
cfsettings.W002    Warning  DATABASE_URL (or REDIS_URL) set but a bound service wins
cfsettings.W003    Warning  several binding sources set: only the first is read
cfsettings.I001    Info     a bound service matched no database or cache
=================  =======  =========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.core import checks

from cfsettings.checks import services, sqlite
from cfsettings.masking import Masker
from cfsettings.resolve import FAMILIES, resolve

TAG = "cfsettings"

#: Every id, and the module of this package that emits it.
IDS = {
    "cfsettings.E001": "sqlite",
    "cfsettings.E002": "services",
    "cfsettings.E003": "services",
    "cfsettings.W001": "services",
    "cfsettings.W002": "services",
    "cfsettings.W003": "services",
    "cfsettings.I001": "services",
}


def check_cfsettings(
    app_configs: Any = None, environ: Mapping[str, str] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Every cfsettings check, from one resolution of the environment, secrets masked."""
    env = os.environ if environ is None else environ
    resolution = resolve(env)
    masker = Masker()
    for family in FAMILIES:
        masker.learn(env.get(family.url_variable, ""))
    for resolved in resolution.services:
        masker.learn(resolved.service.credentials)
    messages = [*sqlite.check(env), *services.check(resolution)]
    for message in messages:
        message.msg = masker.scrub(message.msg)
        message.hint = masker.scrub(message.hint) if message.hint else message.hint
    return messages
