"""LOGGING: INFO and up to stdout, WARNING and up to stderr instead, only on Cloud Foundry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import logging_config
from cfsettings.platform.logging import BelowLevel
from tests.platform.helpers import on_cf

REPO = Path(__file__).resolve().parents[2]
#: Configures Django with the LOGGING of this environment, then logs as Django does.
SCRIPT = textwrap.dedent(
    """
    import json, logging, os, sys
    import django
    from django.conf import settings
    from cfsettings import logging_config

    settings.configure(DEBUG=False, LOGGING=logging_config(environ=json.loads(sys.argv[1])))
    django.setup()
    logging.getLogger("django.security.csrf").warning("Forbidden (Origin checking failed)")
    logging.getLogger("django.request").error("Internal Server Error: /")
    logging.getLogger("django.db.backends").debug("SELECT 1")
    logging.getLogger("django").info("django info")
    logging.getLogger("guestbook.views").info("app info")
    logging.getLogger("guestbook.views").debug("app debug")
    """
)


def run(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(environ)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_off_cloud_foundry_django_default_logging():
    assert logging_config(environ={}) == {}
    result = run({})
    assert result.returncode == 0, result.stderr
    # Django's default with DEBUG off: errors only, and those go to the admins' mail.
    assert "django info" not in result.stdout + result.stderr
    assert "Forbidden" not in result.stdout + result.stderr


def test_on_cloud_foundry_stdout_and_stderr():
    result = run(on_cf())
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "INFO django: django info",
        "INFO guestbook.views: app info",
    ]
    assert result.stderr.splitlines() == [
        "WARNING django.security.csrf: Forbidden (Origin checking failed)",
        "ERROR django.request: Internal Server Error: /",
    ]


def test_the_level_from_the_environment_or_the_argument():
    result = run(on_cf(DJANGO_LOG_LEVEL=" debug "))
    assert "DEBUG guestbook.views: app debug" in result.stdout
    assert "DEBUG django.db.backends: SELECT 1" in result.stdout
    config = logging_config(environ=on_cf(DJANGO_LOG_LEVEL="debug"), level="error")
    assert config["root"]["level"] == config["loggers"]["django"]["level"] == "ERROR"


def test_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("VCAP_APPLICATION", "{}")
    monkeypatch.delenv("DJANGO_LOG_LEVEL", raising=False)
    assert logging_config()["root"]["level"] == "INFO"


def test_a_bad_level_names_its_source():
    with pytest.raises(ImproperlyConfigured, match=r"^DJANGO_LOG_LEVEL must be one of DEBUG"):
        logging_config(environ=on_cf(DJANGO_LOG_LEVEL="verbose"))
    with pytest.raises(ImproperlyConfigured, match=r"^logging_config\(level=...\) must be"):
        logging_config(environ=on_cf(), level="loud")


def test_below_level_filter():
    class Record:
        levelno = 30

    assert BelowLevel().filter(Record()) is False  # type: ignore[arg-type]
    assert BelowLevel(40).filter(Record()) is True  # type: ignore[arg-type]
