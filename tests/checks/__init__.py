"""Helpers shared by the checks' tests: run the checks with given settings, their ids."""

from __future__ import annotations

import json
import warnings
from typing import Any

from django.core import checks
from django.test import override_settings

from cfsettings.bindings.sources import VCAP_APPLICATION
from cfsettings.checks import check_cfsettings

ON_CF = {VCAP_APPLICATION: json.dumps({"application_name": "app", "application_uris": []})}
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "app"}}


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [message.id for message in messages]


def run(environ: dict[str, str], **settings: Any) -> list[checks.CheckMessage]:
    """The checks for ``environ``, with ``settings`` as the project's (``DATABASES`` a
    hand-written PostgreSQL unless given)."""
    settings.setdefault("DATABASES", POSTGRES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # overriding DATABASES: on purpose
        with override_settings(**settings):
            return check_cfsettings(None, environ=environ)
