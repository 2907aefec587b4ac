"""The checks of bound services: E002, E003, W001, W002, W003, I001."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core import checks

import cfsettings
from cfsettings import caches, databases
from cfsettings.bindings.sources import SERVICE_BINDING_ROOT, VCAP_SERVICES
from tests.checks import ids, run
from tests.fixtures import HOSTILE, HOSTILE_QUOTED, document, names, service, vcap

# --- E002: drivers -----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", names())
def test_every_fixture_passes_the_checks_with_its_drivers_installed(fixture):
    """Every driver of the ``cfsettings[...]`` extras is installed here; only pylibmc, which
    Memcached with a login needs and no extra installs, is missing."""
    environ = {VCAP_SERVICES: json.dumps(document(fixture))}
    found = run(environ)
    login_memcached = fixture in ("memcachier", "memcachedcloud")
    assert ids(found) == (["cfsettings.E002"] if login_memcached else [])
    if login_memcached:
        assert found[0].hint.startswith("pip install pylibmc")
        assert "driver (pylibmc) is not installed" in found[0].msg


def test_memcached_backend_in_settings_decides_the_driver():
    environ = vcap(document("memcachier"))
    name = "memcachier-9c1b"
    pymemcache = {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache"}
    assert run(environ, CACHES={"default": pymemcache, name: pymemcache}) == []
    assert ids(run(environ, CACHES=caches(environ=environ))) == ["cfsettings.E002"]


def test_memcached_without_login_needs_pymemcache_only():
    environ = vcap(document("user-provided-memcached"))
    assert run(environ) == []
    broken = vcap(service("mc", {"servers": ["h:notaport"]}, tags=["memcached"]))
    assert run(broken) == []  # settings.py reports the bad port; the check does not guess


def test_missing_drivers_in_an_environment_without_them(tmp_path):
    """A real interpreter whose path holds Django and cfsettings but no database driver."""
    site = tmp_path / "site"
    site.mkdir()
    for module in ("django", "asgiref", "sqlparse", "dj_database_url"):
        source = Path(__import__(module).__file__).parent
        (site / module).symlink_to(source)
    (site / "cfsettings").symlink_to(Path(cfsettings.__file__).parent)
    environ = vcap(
        document("p.mysql"),
        document("elephantsql"),
        document("p.redis"),
        document("user-provided-memcached"),
    )
    script = textwrap.dedent(
        """
        import importlib.util, json, os, sys
        import django
        from django.conf import settings
        settings.configure(DATABASES={})
        django.setup()
        from cfsettings.checks import check_cfsettings
        assert importlib.util.find_spec("psycopg") is None
        messages = check_cfsettings(None, environ=json.loads(sys.argv[1]))
        print(json.dumps([[m.id, m.msg, m.hint] for m in messages]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", script, json.dumps(environ)],
        env={"PYTHONPATH": str(site), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [(m[0], m[2]) for m in found] == [
        ("cfsettings.E002", f'pip install "cfsettings[{extra}]", and add it to requirements.txt.')
        for extra in ("mysql", "postgres", "redis", "memcached")
    ]
    assert found[0][1] == (
        "Bound service 'orders-db' is MySQL, but its driver (MySQLdb) is not installed."
    )
    assert "(psycopg or psycopg2)" in found[1][1]


# --- E003: unreadable bindings -----------------------------------------------------------------


def test_unreadable_bindings_are_one_error_without_content():
    (message,) = run({VCAP_SERVICES: '{"x": [{"password": "' + HOSTILE})
    assert message.id == "cfsettings.E003"
    assert message.msg.startswith("The service bindings cannot be read: VCAP_SERVICES is not")
    assert HOSTILE not in message.msg


def test_an_ambiguous_service_is_left_to_settings_py():
    environ = vcap(service("odd", {"uri": "ftp://h"}, tags=["mysql"]))
    assert run(environ) == []


# --- W001: several, no default -----------------------------------------------------------------


def test_several_databases_without_a_chosen_default_warn():
    environ = vcap(document("elephantsql"), document("p.mysql"))
    assert run(environ) == []  # settings.py did not use databases(): nothing to say
    (message,) = run(environ, DATABASES=databases(environ=environ))
    assert message.id == "cfsettings.W001" and message.level == checks.WARNING
    assert message.msg == (
        "Several database services are bound ('elephantsql-c6c60', 'orders-db') and none is "
        "chosen as the default: 'elephantsql-c6c60' is used because its name sorts first."
    )
    assert "CFSETTINGS_DEFAULT_DATABASE" in message.hint


def test_a_default_chosen_by_argument_or_variable_silences_w001():
    environ = vcap(document("elephantsql"), document("p.mysql"))
    assert run(environ, DATABASES=databases("orders-db", environ=environ)) == []
    chosen = {**environ, "CFSETTINGS_DEFAULT_DATABASE": "orders-db"}
    assert run(chosen, DATABASES=databases(environ=chosen)) == []
    # The variable naming the first by name: chosen, even though the result is the same.
    first = {**environ, "CFSETTINGS_DEFAULT_DATABASE": "elephantsql-c6c60"}
    assert run(first, DATABASES=databases(environ=first)) == []


def test_an_argument_naming_the_first_by_name_cannot_be_seen_and_warns():
    """What W001 sees is the settings: default= naming the service that sorts first builds the
    very setting that no choice builds (documented in the check)."""
    environ = vcap(document("elephantsql"), document("p.mysql"))
    assert ids(run(environ, DATABASES=databases("elephantsql-c6c60", environ=environ))) == [
        "cfsettings.W001"
    ]


def test_a_service_named_default_is_a_choice():
    environ = vcap(
        service("default", {"uri": "postgres://u:p@h/d"}, tags=["postgres"]),
        service("other", {"uri": "postgres://u:p@h/e"}, tags=["postgres"]),
    )
    assert run(environ, DATABASES=databases(environ=environ)) == []


def test_several_caches_warn_too():
    environ = vcap(document("p.redis"), document("rediscloud"))
    assert run(environ) == []  # the test settings' CACHES do not come from caches()
    (message,) = run(environ, CACHES=caches(environ=environ))
    assert message.id == "cfsettings.W001"
    assert "Several cache services are bound" in message.msg
    assert "CFSETTINGS_DEFAULT_CACHE" in message.hint


# --- W002: DATABASE_URL or REDIS_URL ignored ---------------------------------------------------


def test_database_url_beside_a_bound_database_warns_without_showing_it():
    environ = vcap(
        document("elephantsql"),
        document("p.redis"),
        DATABASE_URL=f"postgres://u:{HOSTILE_QUOTED}@elsewhere/db",
        REDIS_URL="redis://elsewhere:6379/0",
    )
    found = run(environ)
    assert ids(found) == ["cfsettings.W002", "cfsettings.W002"]
    assert found[0].msg == (
        "DATABASE_URL is set but ignored: the bound database service 'elephantsql-c6c60' is "
        "used instead."
    )
    assert found[1].msg.startswith("REDIS_URL is set but ignored: the bound cache service")
    for message in found:
        assert "elsewhere" not in message.msg and HOSTILE_QUOTED not in message.msg
    assert run(vcap(DATABASE_URL="postgres://u:p@h/d")) == []


def test_w002_names_all_bound_databases():
    environ = vcap(document("elephantsql"), document("p.mysql"), DATABASE_URL="postgres://h/d")
    (message,) = run(environ, DATABASES=databases("orders-db", environ=environ))
    assert "services 'elephantsql-c6c60', 'orders-db' are used instead" in message.msg


# --- W003: several binding sources -------------------------------------------------------------


def test_several_binding_sources_warn(tmp_path):
    environ = {VCAP_SERVICES: "{}", SERVICE_BINDING_ROOT: str(tmp_path)}
    (message,) = run(environ)
    assert message.id == "cfsettings.W003"
    assert message.msg == (
        "Several binding sources are set: VCAP_SERVICES is read, SERVICE_BINDING_ROOT is ignored."
    )
    environ["VCAP_SERVICES_FILE_PATH"] = str(tmp_path / "missing")
    found = run(environ)
    assert ids(found) == ["cfsettings.W003", "cfsettings.E003"]
    assert "VCAP_SERVICES, SERVICE_BINDING_ROOT are ignored" in found[0].msg


# --- I001: unmatched services ------------------------------------------------------------------


def test_a_service_that_matched_nothing_is_info():
    environ = vcap(
        service("dir", {"ldap_host": "ldap.example.com", "password": HOSTILE}, tags=["ldap"]),
        service("typo", {"hostname": "db.example.com"}, tags=["postgress"]),
    )
    found = run(environ)
    assert ids(found) == ["cfsettings.I001", "cfsettings.I001"]
    assert found[1].level == checks.INFO
    assert found[1].msg == (
        "Bound service 'typo' (label 'user-provided', tags ['postgress']) is not used: no tag, "
        "label, URI scheme or credential matched a known kind."
    )
    assert "cf update-user-provided-service -t" in found[1].hint
    assert all(HOSTILE not in str(message) for message in found)
