"""The two commands, ``python -m cfsettings`` and ``manage.py cf_settings``, and the docs'
transcript."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from cfsettings.bindings.sources import (
    SERVICE_BINDING_ROOT,
    VCAP_APPLICATION,
    VCAP_SERVICES,
)
from cfsettings.explain.report import WIDTH
from cfsettings.masking import MASK
from tests.explain import APPLICATION, CFENV, explain
from tests.fixtures import document, vcap
from tests.storage.fixtures import storage_document


def docs_transcript() -> str:
    """The explain output docs/explain.rst shows, after its ``$ python -m cfsettings`` line."""
    repo = next(path for path in Path(__file__).resolve().parents if (path / "setup.cfg").exists())
    lines = (repo / "docs" / "explain.rst").read_text().splitlines()
    start = lines.index("    $ python -m cfsettings --vcap-file env.txt") + 1
    shown = []
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        shown.append(line[4:])
    return "\n".join(shown).strip("\n") + "\n"


def test_the_docs_transcript_is_what_explain_prints(tmp_path, monkeypatch):
    (tmp_path / "env.txt").write_text((CFENV / "guestbook-v7.txt").read_text())
    monkeypatch.chdir(tmp_path)
    status, text = explain({}, vcap_file="env.txt")
    assert status == 0
    assert text == docs_transcript()


def test_explain_of_the_docs_fixture(tmp_path):
    """The transcript in docs/explain.rst: cf env output of an app with MySQL, Redis and a mail
    service, plus a DATABASE_URL left over from before the service was bound."""
    status, text = explain({}, vcap_file=str(CFENV / "guestbook-v7.txt"))
    assert status == 0
    for line in text.splitlines():
        assert len(line) <= WIDTH, line
    assert "Bindings: read from VCAP_SERVICES" in text
    assert "Cloud Foundry: yes (VCAP_APPLICATION is set, app 'guestbook')" in text
    assert "is MySQL, by URI scheme 'mysql' in 'uri'" in text
    assert "becomes DATABASES['default'] and DATABASES['guestbook-db']" in text
    assert "is Redis, by tag 'redis'" in text
    assert "ignored: no tag, label, URI scheme or credential matched a known kind" in text
    assert "DATABASE_URL: set, but ignored: bound database services come first" in text
    assert "LOCATION: rediss://q-s0.redis-instance.services.bosh:16379/0" in text
    assert "ALLOWED_HOSTS (cfsettings defaults)\n  guestbook.apps.example.com\n" in text
    for secret in (
        "Xk9#pL2@vQ7z",
        "Xk9%23pL2%40vQ7z",
        "r7Tq2Wm9Zp4Ks8Lx",
        "SG.mail-api-key-2f9c7e1b",
        "0ld-Passw0rd-2023",
        "not-read-by-cfsettings",
    ):
        assert secret not in text


def test_python_dash_m_cfsettings(tmp_path):
    """The real entry point, in a process of its own with only a VCAP_SERVICES variable."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VCAP_", "CFSETTINGS_", "DJANGO_")) and key != "SERVICE_BINDING_ROOT"
    }
    environ[VCAP_SERVICES] = json.dumps(document("p.mysql"))
    result = subprocess.run(
        [sys.executable, "-m", "cfsettings", "--json"],
        env=environ,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["services"][0]["aliases"] == ["DATABASES['default']", "DATABASES['orders-db']"]
    failed = subprocess.run(
        [sys.executable, "-m", "cfsettings"],
        env={**environ, VCAP_SERVICES: "{"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert failed.returncode == 1
    assert "VCAP_SERVICES is not valid JSON at line 1 column 2." in failed.stdout


@pytest.fixture
def project_settings():
    """Override settings as a project's settings.py would set them (DATABASES included, which
    Django warns about in general but is what this command reads)."""
    overrides = []

    def apply(**values: Any) -> None:
        override = override_settings(**values)
        with pytest.warns(UserWarning) if "DATABASES" in values else _nothing():
            override.enable()
        overrides.append(override)

    yield apply
    for override in reversed(overrides):
        override.disable()


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_manage_py_cf_settings_shows_the_projects_settings(project_settings, monkeypatch):
    environ = vcap(document("p.mysql"), document("p.redis"))
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    from cfsettings import caches, databases

    project_settings(
        DATABASES=databases(sqlite_path="unused.sqlite3"),
        CACHES=caches(key_prefix="guestbook"),
        ALLOWED_HOSTS=["example.com"],
    )
    stdout = io.StringIO()
    call_command("cf_settings", stdout=stdout)
    text = stdout.getvalue()
    assert text.startswith("cfsettings 0.1.0: settings from settings.py\n")
    assert "DATABASES (settings.py)\n  default: same as 'orders-db'\n" in text
    assert "KEY_PREFIX: guestbook" in text
    assert "ALLOWED_HOSTS (settings.py)\n  example.com\n" in text
    assert "becomes CACHES['default'] and CACHES['sessions']" in text
    assert "Vq3xZ9kP2mL8rT5w" not in text


def test_manage_py_cf_settings_when_settings_do_not_come_from_cfsettings(
    project_settings, monkeypatch
):
    monkeypatch.setenv(VCAP_SERVICES, json.dumps(document("elephantsql")))
    project_settings(
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
            "extra": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": "handwritten-pw"},
        }
    )
    stdout = io.StringIO()
    call_command("cf_settings", "--json", stdout=stdout)
    report = json.loads(stdout.getvalue())
    assert report["services"][0]["aliases"] == []  # not in settings.DATABASES
    assert report["settings"]["DATABASES"]["extra"]["PASSWORD"] == MASK
    assert "handwritten-pw" not in stdout.getvalue()


def test_manage_py_cf_settings_vcap_file_and_failure(tmp_path):
    path = tmp_path / "env.json"
    path.write_text(json.dumps({"p.mysql": [{"name": "db", "credentials": {"host": "h"}}]}))
    stdout = io.StringIO()
    with pytest.raises(CommandError, match="cfsettings found problems") as caught:
        call_command("cf_settings", "--vcap-file", str(path), stdout=stdout)
    assert caught.value.returncode == 1
    assert f"settings from --vcap-file '{path}'" in " ".join(stdout.getvalue().split())
    assert "the credentials have no database name" in stdout.getvalue()
    stdout = io.StringIO()
    stdin = io.StringIO(json.dumps(document("memcachier")))
    call_command("cf_settings", "--vcap-file", "-", stdout=stdout, stdin=stdin)
    assert "is Memcached, by label 'memcachier'" in stdout.getvalue()


def test_manage_py_cf_settings_names_a_default_chosen_in_settings_py(project_settings, monkeypatch):
    environ = vcap(document("elephantsql"), document("p.mysql"))
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    from cfsettings import databases

    project_settings(DATABASES=databases("orders-db"))
    stdout = io.StringIO()
    call_command("cf_settings", stdout=stdout)
    text = stdout.getvalue()
    assert "Default database: 'orders-db' (named by databases(default=...) in" in text
    assert "becomes DATABASES['default'] and DATABASES['orders-db']" in text


def test_explain_and_checks_on_the_example_project(tmp_path):
    """The guestbook as Cloud Foundry runs it, bound to MySQL and Redis: both commands work,
    the checks find nothing to say, and no password is printed."""
    site = Path(__file__).resolve().parents[2] / "example_project"
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VCAP_", "CFSETTINGS_", "DJANGO_"))
        and key not in ("DATABASE_URL", "REDIS_URL", SERVICE_BINDING_ROOT)
    }
    environ.update(
        # With a bucket for the guestbook's attachments (else cfsettings.W006 warns).
        vcap(document("p.mysql"), document("p.redis"), storage_document("csb-aws-s3-bucket")),
        VCAP_APPLICATION=APPLICATION,
        SECRET_KEY="example-project-test-key-" + "x" * 40,
        CFSETTINGS_CERT_DIR=str(tmp_path / "certs"),
        PYTHONDONTWRITEBYTECODE="1",
    )

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=site,
            env=environ,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    explained = manage("cf_settings")
    assert explained.returncode == 0, explained.stderr
    assert "becomes DATABASES['default'] and DATABASES['orders-db']" in explained.stdout
    assert "KEY_PREFIX: guestbook" in explained.stdout
    assert "Vq3xZ9kP2mL8rT5w" not in explained.stdout
    assert "becomes STORAGES['default'] and STORAGES['uploads']" in explained.stdout
    assert "wJalrXUtnFEMI" not in explained.stdout
    checked = manage("check", "--tag", "cfsettings")
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_platform_settings_with_bad_routes_and_no_key():
    application = json.dumps({"application_name": "shop", "application_uris": ["*", "a.b.c"]})
    status, text = explain({VCAP_APPLICATION: application, "DJANGO_LOG_LEVEL": "loud"})
    assert status == 0  # the services are fine; the platform's problems are listed with it
    assert "Platform settings (on Cloud Foundry)" in text
    assert '  CSRF_TRUSTED_ORIGINS: ["https://a.b.c"] (the routes)' in text
    assert "  routes left out of CSRF_TRUSTED_ORIGINS: '*'" in text
    assert "  problem: SECRET_KEY is not set." in text
    assert "  problem: DJANGO_LOG_LEVEL must be one of" in text
