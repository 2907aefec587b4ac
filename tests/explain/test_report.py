"""``python -m cfsettings`` / ``manage.py cf_settings``: what was decided, why, and no secret."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from cfsettings.bindings.sources import (
    SERVICE_BINDING_ROOT,
    VCAP_APPLICATION,
    VCAP_SERVICES,
    VCAP_SERVICES_FILE_PATH,
)
from cfsettings.defaults import requested_defaults
from cfsettings.explain.cfenv import parse_vcap_text, read_vcap_file
from cfsettings.explain.cli import run
from cfsettings.explain.render import render_text
from cfsettings.explain.report import WIDTH, build_report
from cfsettings.masking import MASK
from tests.fixtures import CA_PEM, HOSTILE, HOSTILE_QUOTED, document, names, service, vcap
from tests.storage.fixtures import storage_document

CFENV = Path(__file__).resolve().parents[1] / "cfenv"
APPLICATION = json.dumps(
    {"application_name": "guestbook", "application_uris": ["guestbook.apps.example.com"]}
)


def secrets_in(value: Any, key: str = "") -> set[str]:
    """The secrets of a credentials structure, found independently of ``cfsettings.masking``:
    values under password/key/secret/token/cert keys, and URI passwords via ``urlsplit``."""
    found: set[str] = set()
    if isinstance(value, dict):
        for child_key, child in value.items():
            found |= secrets_in(child, child_key)
    elif isinstance(value, list):
        for item in value:
            found |= secrets_in(item, key)
    elif isinstance(value, str):
        if any(word in key.lower() for word in ("pass", "key", "secret", "token", "cert")):
            found.add(value)
        for word in value.split():
            if "://" in word:
                password = urlsplit(word.removeprefix("jdbc:")).password
                if password:
                    found |= {password, unquote(password)}
            for part in word.replace("?", "&").split("&"):
                if part.lower().startswith("password="):
                    found |= {part[9:], unquote(part[9:])}
    return {secret for secret in found if len(secret) >= 6}


def explain(environ: dict[str, str], *options: str, **kwargs: Any) -> tuple[int, str]:
    stdout = io.StringIO()
    status = run(
        {"json": "--json" in options, "vcap_file": kwargs.pop("vcap_file", None)},
        stdout,
        environ=environ,
        **kwargs,
    )
    return status, stdout.getvalue()


def assert_fits(text: str) -> None:
    """Lines fit in 80 columns, except where one unbreakable word (a host name) is longer."""
    for line in text.splitlines():
        if len(line) > WIDTH:
            words = line.split()
            assert len(words) <= 2 and len(words[-1]) > WIDTH - 30, line


# --- every broker fixture ---------------------------------------------------------------------


@pytest.mark.parametrize("fixture", names())
def test_every_fixture_is_explained_without_a_secret(tmp_path, fixture):
    doc = document(fixture)
    environ = {VCAP_SERVICES: json.dumps(doc), VCAP_APPLICATION: APPLICATION}
    status, text = explain(environ)
    assert status == 0, text
    status, raw = explain(environ, "--json")
    assert status == 0
    report = json.loads(raw)
    secrets = secrets_in(doc)
    for secret in secrets:
        assert secret not in text, f"{secret!r} leaked"
        assert secret not in raw, f"{secret!r} leaked into JSON"
    assert (MASK in text) == bool(secrets)
    assert_fits(text)
    assert [entry["name"] for entry in report["services"]] == [
        instance["name"] for instances in doc.values() for instance in instances
    ]
    for entry in report["services"]:
        assert entry["kind"] in ("mysql", "postgresql", "redis", "memcached")
        assert entry["rule"] and entry["aliases"]
        assert f"  {entry['name']}\n" in text
        assert f"by {entry['rule']}" in " ".join(text.split())


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


# --- what each service became ------------------------------------------------------------------


def test_several_databases_name_the_default_and_why():
    environ = vcap(document("elephantsql"), document("p.mysql"), document("p.redis"))
    report = build_report(environ)
    assert report["defaults"]["DATABASES"] == {
        "service": "elephantsql-c6c60",
        "why": "first by name of 'elephantsql-c6c60', 'orders-db'; "
        "set CFSETTINGS_DEFAULT_DATABASE to choose",
        "DATABASE_URL": "not set",
    }
    by_name = {entry["name"]: entry for entry in report["services"]}
    assert by_name["orders-db"]["aliases"] == ["DATABASES['orders-db']"]
    assert by_name["elephantsql-c6c60"]["aliases"] == [
        "DATABASES['default']",
        "DATABASES['elephantsql-c6c60']",
    ]
    chosen = build_report({**environ, "CFSETTINGS_DEFAULT_DATABASE": "orders-db"})
    assert chosen["defaults"]["DATABASES"]["service"] == "orders-db"
    assert chosen["defaults"]["DATABASES"]["why"] == "named by CFSETTINGS_DEFAULT_DATABASE"


def test_a_default_naming_no_bound_service_is_a_problem_not_a_crash():
    environ = vcap(document("elephantsql"), CFSETTINGS_DEFAULT_DATABASE="nope")
    status, text = explain(environ)
    assert status == 1
    assert "CFSETTINGS_DEFAULT_DATABASE (or default=) names 'nope'" in text
    assert "DATABASES (cfsettings defaults)\n  not built: CFSETTINGS_DEFAULT_DATABASE" in text
    assert "Problems (1)" in text


def test_a_broken_service_is_reported_and_the_others_still_explained():
    environ = vcap(
        document("p.redis"),
        service("both", {"uri": "postgres://u:p@h/d"}, tags=["mysql"]),
        service("odd", {"uri": "ftp://files.example.com"}, tags=["mysql"]),
        service("hostless", {"password": HOSTILE}, tags=["postgres"]),
    )
    status, text = explain(environ)
    assert status == 1
    report = build_report(environ)
    by_name = {entry["name"]: entry for entry in report["services"]}
    assert by_name["sessions"]["kind"] == "redis" and by_name["sessions"]["error"] is None
    assert "cannot tell how to connect" in by_name["odd"]["error"]
    assert "the credentials have no host" in by_name["hostless"]["error"]
    assert by_name["both"]["kind"] == "postgresql"  # the URI scheme is the stronger evidence
    assert "error: Service 'hostless' (postgresql): the credentials have no host" in text
    assert HOSTILE not in text and HOSTILE_QUOTED not in text


def test_database_url_and_redis_url_when_nothing_is_bound():
    environ = {
        "DATABASE_URL": f"postgres://u:{HOSTILE_QUOTED}@db.example.com/app",
        "REDIS_URL": f"redis://:{HOSTILE_QUOTED}@cache.example.com:6379/1",
    }
    status, text = explain(environ)
    assert status == 0
    assert "Default database: no database service is bound; DATABASE_URL is used" in text
    assert "Default cache: no cache service is bound; REDIS_URL is used" in text
    assert "HOST: db.example.com" in text and "LOCATION: redis://cache.example.com:6379/1" in text
    assert HOSTILE not in text and HOSTILE_QUOTED not in text
    assert "Bindings: none (VCAP_SERVICES_FILE_PATH, VCAP_SERVICES," in text
    assert "Cloud Foundry: no (VCAP_APPLICATION is not set)" in text


def test_unreadable_bindings_and_application_are_reported():
    environ = {VCAP_SERVICES: '{"p.mysql": [{"password": "' + HOSTILE, VCAP_APPLICATION: "[]"}
    status, text = explain(environ)
    assert status == 1
    assert "  error: VCAP_SERVICES is not valid JSON at line 1 column" in text
    assert "Cloud Foundry: VCAP_APPLICATION must be a JSON object, not a list." in text
    assert "ALLOWED_HOSTS (cfsettings defaults)\n  not built: VCAP_APPLICATION" in text
    assert HOSTILE not in text


def test_binding_sources_are_shown_with_their_precedence(tmp_path):
    path = tmp_path / "vcap.json"
    path.write_text(json.dumps(document("p.redis")))
    environ = {
        VCAP_SERVICES_FILE_PATH: str(path),
        VCAP_SERVICES: "{}",
        SERVICE_BINDING_ROOT: str(tmp_path),
    }
    status, text = explain(environ)
    assert status == 0
    assert f"Bindings: read from VCAP_SERVICES_FILE_PATH ({path})" in text
    assert (
        "  ignored: VCAP_SERVICES, SERVICE_BINDING_ROOT (precedence: VCAP_SERVICES_FILE_PATH >"
        in text
    )
    report = build_report(environ)
    assert report["bindings"]["precedence"] == [
        VCAP_SERVICES_FILE_PATH,
        VCAP_SERVICES,
        SERVICE_BINDING_ROOT,
        "CNB_BINDINGS",
    ]
    assert report["services"][0]["source"] == VCAP_SERVICES_FILE_PATH


def test_certificates_are_shown_where_the_app_writes_them_but_not_written(tmp_path):
    cert_dir = tmp_path / "certs"
    environ = vcap(
        service("db", {"uri": "postgres://u:p@h/d", "sslrootcert": CA_PEM}, tags=["postgres"]),
        CFSETTINGS_CERT_DIR=str(cert_dir),
    )
    report = build_report(environ)
    root_cert = report["settings"]["DATABASES"]["db"]["OPTIONS"]["sslrootcert"]
    assert root_cert.startswith(f"{cert_dir}{os.sep}") and root_cert.endswith(".pem")
    assert report["settings"]["DATABASES"]["db"]["OPTIONS"]["sslmode"] == "verify-full"
    assert not cert_dir.exists()  # explain has no side effects on disk
    text = render_text(report)
    assert "BEGIN CERTIFICATE" not in text and CA_PEM.splitlines()[1] not in text


def test_hostile_names_cannot_drive_the_terminal():
    environ = vcap(service("evil\x1b[2J\nname", {"uri": "redis://h"}, label="lab\rel"))
    _, text = explain(environ)
    assert "\x1b" not in text and "\r" not in text
    assert "evil\\x1b[2J\\nname" in text and "lab\\rel" in text


def test_json_output_is_for_machines():
    environ = vcap(document("p.mysql"), VCAP_APPLICATION=APPLICATION)
    status, raw = explain(environ, "--json")
    report = json.loads(raw)
    assert status == 0
    assert set(report) == {
        "cfsettings",
        "origin",
        "bindings",
        "cloud_foundry",
        "services",
        "defaults",
        "settings",
        "platform",
        "errors",
    }
    assert report["cloud_foundry"] == {"running": True, "application": "guestbook", "error": None}
    (entry,) = report["services"]
    connections = entry.pop("connections")  # tests/explain/test_connections.py
    assert (connections["pooler"], connections["limit"], connections["pool"]) == (None,) * 3
    assert entry == {
        "name": "orders-db",
        "label": "p.mysql",
        "tags": ["mysql"],
        "plan": "db-small",
        "source": VCAP_SERVICES,
        "kind": "mysql",
        "rule": "URI scheme 'mysql' in 'uri'",
        "ignored": None,
        "error": None,
        "aliases": ["DATABASES['default']", "DATABASES['orders-db']"],
    }
    assert report["settings"]["DATABASES"]["default"]["PASSWORD"] == MASK
    assert report["errors"] == []


def test_explain_leaves_the_record_of_chosen_defaults_alone():
    requested_defaults["CFSETTINGS_DEFAULT_DATABASE"] = "kept"
    try:
        build_report(vcap(document("elephantsql"), document("p.mysql")))
        assert requested_defaults["CFSETTINGS_DEFAULT_DATABASE"] == "kept"
    finally:
        requested_defaults.pop("CFSETTINGS_DEFAULT_DATABASE")


# --- --vcap-file -------------------------------------------------------------------------------


def test_vcap_file_reads_cf_env_of_cli_v6(tmp_path):
    environ = read_vcap_file(str(CFENV / "guestbook-v6.txt"))
    assert set(environ) == {VCAP_SERVICES, VCAP_APPLICATION, "CFSETTINGS_DEFAULT_DATABASE"}
    assert json.loads(environ[VCAP_APPLICATION])["name"] == "guestbook"
    status, text = explain({}, vcap_file=str(CFENV / "guestbook-v6.txt"))
    assert status == 0
    assert "'guestbook-pg' (named by CFSETTINGS_DEFAULT_DATABASE)" in text
    assert "Q2w" not in text


def test_vcap_file_reads_cf_env_of_cli_v7():
    environ = read_vcap_file(str(CFENV / "guestbook-v7.txt"))
    # SECRET_KEY is read (explain says where the key comes from) and never shown.
    assert set(environ) == {VCAP_SERVICES, VCAP_APPLICATION, "DATABASE_URL", "SECRET_KEY"}
    assert sorted(json.loads(environ[VCAP_SERVICES])) == ["p.mysql", "p.redis", "user-provided"]


@pytest.mark.parametrize(
    "content",
    [
        json.dumps(document("p.mysql")),
        json.dumps({VCAP_SERVICES: document("p.mysql"), VCAP_APPLICATION: json.loads(APPLICATION)}),
        json.dumps({VCAP_SERVICES: json.dumps(document("p.mysql")), VCAP_APPLICATION: APPLICATION}),
        json.dumps(  # cf curl /v3/apps/GUID/env
            {
                "staging_env_json": {},
                "running_env_json": {},
                "environment_variables": {"WEB_CONCURRENCY": "2"},
                "system_env_json": {VCAP_SERVICES: document("p.mysql")},
                "application_env_json": {VCAP_APPLICATION: json.loads(APPLICATION)},
            }
        ),
    ],
    ids=["vcap-services", "both-objects", "both-strings", "cf-curl-v3-env"],
)
def test_vcap_file_accepts_json_documents(tmp_path, content):
    path = tmp_path / "env.json"
    path.write_text(content)
    status, text = explain({}, vcap_file=str(path))
    assert status == 0
    assert "is MySQL, by URI scheme 'mysql' in 'uri'" in text


def test_vcap_file_from_standard_input():
    stdin = io.StringIO("\ufeff" + json.dumps(document("p.redis")))
    status, text = explain({}, vcap_file="-", stdin=stdin)
    assert status == 0
    assert "settings from --vcap-file '-'" in text and "is Redis" in text


def test_vcap_file_from_standard_input_is_bounded():
    class Endless(io.TextIOBase):
        def read(self, size=-1):
            assert size > 0, "an unbounded read"
            return "x" * size

    status, text = explain({}, vcap_file="-", stdin=Endless())
    assert status == 1
    assert text == (
        "cfsettings: --vcap-file - (standard input) is larger than 10 MiB; "
        "cfsettings refuses to read it.\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'System-Provided:\nVCAP_SERVICES: {\n  "p.mysql": [{"password": "' + HOSTILE,
            "--vcap-file '{path}': VCAP_SERVICES on line 2 is not valid JSON.",
        ),
        (
            'Getting env...\n{\n "VCAP_SERVICES": ' + "[" * 5000,
            "--vcap-file '{path}': a JSON object on line 2 is not valid JSON.",
        ),
        (
            "VCAP_SERVICES: " + "[" * 100 + "]" * 100,
            "--vcap-file '{path}': VCAP_SERVICES is nested more than 64 levels deep; "
            "cfsettings refuses to read it.",
        ),
        (
            '{"VCAP_SERVICES": ' + "[" * 100 + "]" * 100 + "}",
            "--vcap-file '{path}': VCAP_SERVICES is nested more than 64 levels deep; "
            "cfsettings refuses to read it.",
        ),
        (
            "password: " + HOSTILE,
            "--vcap-file '{path}' holds neither JSON nor the output of `cf env`.",
        ),
    ],
)
def test_vcap_file_problems_name_the_file_never_its_content(tmp_path, content, message):
    path = tmp_path / "env.txt"
    path.write_text(content)
    status, text = explain({}, vcap_file=str(path))
    assert status == 1
    assert text == f"cfsettings: {message.format(path=path)}\n"


def test_vcap_file_with_nothing_bound_or_not_json_at_all(tmp_path):
    path = tmp_path / "env.txt"
    path.write_text("Getting env...\nNo system-provided env variables have been set\n")
    assert read_vcap_file(str(path)) == {}
    assert parse_vcap_text("[1, 2]", "x") == {VCAP_SERVICES: "[1, 2]"}  # read_services says why
    assert parse_vcap_text('{"p.mysql": []}', "x") == {VCAP_SERVICES: '{"p.mysql": []}'}
    status, text = explain({}, vcap_file=str(tmp_path / "missing.txt"))
    assert status == 1
    assert "cannot be read: No such file or directory." in text


# --- the two commands --------------------------------------------------------------------------


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

    saved = dict(requested_defaults)
    try:
        project_settings(DATABASES=databases("orders-db"))
        stdout = io.StringIO()
        call_command("cf_settings", stdout=stdout)
    finally:
        requested_defaults.clear()
        requested_defaults.update(saved)
    text = stdout.getvalue()
    assert "Default database: 'orders-db' (named by databases(default=...) in" in text
    assert "becomes DATABASES['default'] and DATABASES['orders-db']" in text


def test_settings_that_are_not_dicts_are_shown_as_they_are():
    from types import SimpleNamespace

    from cfsettings import databases

    report = build_report({}, settings=SimpleNamespace(DATABASES=None, ALLOWED_HOSTS=("a", "b")))
    text = render_text(report)
    assert "DATABASES (settings.py)\n  None\n" in text
    assert "CACHES (settings.py)\n  None\n" in text
    assert "ALLOWED_HOSTS (settings.py)\n  a, b\n" in text
    bound = vcap(document("elephantsql"))
    no_default = SimpleNamespace(DATABASES=databases(environ=bound))
    del no_default.DATABASES["default"]
    (entry,) = build_report(bound, settings=no_default)["services"]
    assert entry["aliases"] == ["DATABASES['elephantsql-c6c60']"]


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
