"""The superuser that Django's own ``DJANGO_SUPERUSER_*`` variables ask for.

A Cloud Foundry app cannot answer ``createsuperuser``'s prompts, so staging creates the user
non-interactively from the environment, once, and never touches an existing one (its password
may have been changed since). ``createsuperuser`` itself does the creating, so custom user
models, their validation and their ``REQUIRED_FIELDS`` behave exactly as Django documents.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import cast

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import router
from django.db.backends.base.base import BaseDatabaseWrapper

PREFIX = "DJANGO_SUPERUSER_"


@dataclass(frozen=True)
class SuperuserRequest:
    """A superuser the environment asks for, and the database alias it belongs in."""

    username: str
    database: str


def requested() -> SuperuserRequest | None:
    """The environment's superuser, or None when no username is set (or auth is not installed)."""
    if not apps.is_installed("django.contrib.auth"):
        return None
    user_model = get_user_model()
    username = os.environ.get(PREFIX + cast(str, user_model.USERNAME_FIELD).upper())
    if not username:
        return None
    return SuperuserRequest(username, router.db_for_write(user_model))


def missing(connection: BaseDatabaseWrapper, tables: set[str]) -> str | None:
    """The username to create on this connection's alias, or None when there is nothing to do."""
    request = requested()
    if request is None or request.database != connection.alias:
        return None
    user_model = get_user_model()
    converter = connection.introspection.identifier_converter
    if converter(user_model._meta.db_table) not in tables:
        return request.username
    manager = user_model._default_manager.db_manager(connection.alias)
    try:
        manager.get_by_natural_key(request.username)  # type: ignore[attr-defined]
    except user_model.DoesNotExist:
        return request.username
    return None


def create(alias: str) -> None:
    """Create the requested superuser on ``alias`` with ``createsuperuser --noinput``."""
    user_model = get_user_model()
    for field in user_model.REQUIRED_FIELDS:
        variable = PREFIX + field.upper()
        if variable not in os.environ:
            raise CommandError(f"{variable} is not set ({user_model._meta.label} requires {field})")
    call_command("createsuperuser", interactive=False, database=alias, verbosity=0)
