"""cfsettings.E001: SQLite on Cloud Foundry."""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from cfsettings.bindings.sources import VCAP_APPLICATION
from cfsettings.checks import TAG
from tests.checks import ON_CF, POSTGRES, run

SQLITE_FILE = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "/app/db.sqlite3"}}


# --- E001: SQLite on Cloud Foundry -------------------------------------------------------------


def test_sqlite_on_cloud_foundry_is_an_error():
    (message,) = run(ON_CF, DATABASES={**SQLITE_FILE, "other": POSTGRES["default"]})
    assert message.id == "cfsettings.E001"
    assert message.level == checks.ERROR
    assert message.msg.startswith("DATABASES 'default' uses SQLite on Cloud Foundry")
    assert "SILENCED_SYSTEM_CHECKS" in message.hint and "cf bind-service" in message.hint


def test_sqlite_elsewhere_or_in_memory_is_fine():
    assert run({}, DATABASES=SQLITE_FILE) == []
    assert run({VCAP_APPLICATION: " "}, DATABASES=SQLITE_FILE) == []
    memory = {
        "a": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
        "b": {"ENGINE": "django.db.backends.sqlite3", "NAME": "file:x?mode=memory&cache=shared"},
    }
    assert run(ON_CF, DATABASES=memory) == []
    assert run(ON_CF, DATABASES=POSTGRES) == []


def test_sqlite_error_names_every_alias():
    spatial = {"ENGINE": "django.contrib.gis.db.backends.spatialite", "NAME": "geo.db"}
    (message,) = run(ON_CF, DATABASES={**SQLITE_FILE, "geo": spatial})
    assert message.msg.startswith("DATABASES 'default', 'geo' use SQLite")


def test_e001_is_silenced_like_any_check(monkeypatch, tmp_path):
    for key, value in ON_CF.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemCheckError, match=r"cfsettings\.E001"):
        call_and_catch(DATABASES=SQLITE_FILE)
    call_and_catch(DATABASES=SQLITE_FILE, SILENCED_SYSTEM_CHECKS=["cfsettings.E001"])


def call_and_catch(**settings: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with override_settings(**settings):
            call_command("check", "--tag", TAG, stdout=open(os.devnull, "w"))  # noqa: SIM115
