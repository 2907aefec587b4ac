"""The public surface: the functions, their signatures, and what importing costs."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import textwrap

import pytest

import cfsettings
from tests.fixtures import document

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: Modules cfsettings must never import by itself: the drivers are optional extras, and Django
#: is imported by the settings module that calls cfsettings, not by cfsettings.
DRIVERS = ("MySQLdb", "psycopg", "psycopg2", "redis", "pymemcache", "pylibmc", "dj_database_url")


def test_exports():
    assert cfsettings.__all__ == [
        "CacheConfig",
        "DatabaseConfig",
        "allowed_hosts",
        "caches",
        "configure",
        "csrf_trusted_origins",
        "databases",
        "email_settings",
        "https_settings",
        "logging_config",
        "on_cloud_foundry",
        "secret_key",
        "static_settings",
        "storages",
    ]
    assert cfsettings.__version__ == "0.1.0"


def test_entries_are_typed_for_type_checkers():
    """The entries are ``TypedDict``s whose keys are the ones cfsettings builds (that
    ``DATABASES: dict[str, DatabaseConfig] = databases()`` type-checks is checked by mypy:
    tests/typecheck/public_api.py)."""
    assert cfsettings.databases.__annotations__["return"] == "dict[str, DatabaseConfig]"
    assert cfsettings.caches.__annotations__["return"] == "dict[str, CacheConfig]"
    database_keys = set(cfsettings.DatabaseConfig.__optional_keys__)
    assert {
        "ENGINE",
        "NAME",
        "USER",
        "PASSWORD",
        "HOST",
        "PORT",
        "OPTIONS",
        "TEST",
    } <= database_keys
    cache_keys = set(cfsettings.CacheConfig.__optional_keys__)
    assert {"BACKEND", "LOCATION", "OPTIONS", "KEY_PREFIX", "TIMEOUT"} <= cache_keys
    for environ in (
        {"DATABASE_URL": "mysql://u:p@h/d", "REDIS_URL": "redis://h"},
        {"VCAP_SERVICES": json.dumps({**document("p.mysql"), **document("memcachier")})},
        {},
    ):
        for entry in cfsettings.databases(environ=environ).values():
            assert set(entry) <= database_keys
        for entry in cfsettings.caches(environ=environ).values():
            assert set(entry) <= cache_keys


def parameters(function):
    return [
        (p.name, p.kind.name, p.default) for p in inspect.signature(function).parameters.values()
    ]


def test_databases_signature():
    assert parameters(cfsettings.databases)[:2] == [
        ("default", "POSITIONAL_OR_KEYWORD", None),
        ("environ", "KEYWORD_ONLY", None),
    ]
    assert {kind for _, kind, _ in parameters(cfsettings.databases)[1:]} == {"KEYWORD_ONLY"}


def test_caches_signature():
    assert parameters(cfsettings.caches)[:2] == [
        ("default", "POSITIONAL_OR_KEYWORD", None),
        ("environ", "KEYWORD_ONLY", None),
    ]
    assert {kind for _, kind, _ in parameters(cfsettings.caches)[1:]} == {"KEYWORD_ONLY"}


def test_allowed_hosts_signature():
    assert parameters(cfsettings.allowed_hosts) == [
        ("extra", "VAR_POSITIONAL", inspect.Parameter.empty),
        ("environ", "KEYWORD_ONLY", None),
    ]


def test_default_environ_is_os_environ(monkeypatch):
    monkeypatch.setenv("VCAP_SERVICES", json.dumps(document("elephantsql")))
    monkeypatch.setenv("VCAP_APPLICATION", json.dumps({"application_uris": ["a.example.com"]}))
    monkeypatch.setenv("REDIS_URL", "redis://r.example.com")
    monkeypatch.delenv("CF_INSTANCE_INTERNAL_IP", raising=False)
    assert cfsettings.databases()["default"]["HOST"] == "babar.elephantsql.com"
    assert cfsettings.caches()["default"]["LOCATION"] == "redis://r.example.com"
    assert cfsettings.allowed_hosts() == ["a.example.com"]


def test_rarely_used_exports_are_imported_on_first_use():
    """Every worker imports cfsettings: it loads what databases(), caches() and
    allowed_hosts() need, and configure(), storage, mail and the platform settings on first
    use, as the same functions (and types) an eager import would give."""
    code = """
        import importlib, json, sys
        import cfsettings
        before = sorted(set(cfsettings.LAZY.values()) & set(sys.modules))
        same = [
            getattr(cfsettings, name) is getattr(importlib.import_module(module), name)
            for name, module in cfsettings.LAZY.items()
        ]
        print(json.dumps([before, same, "storages" in vars(cfsettings)]))
    """
    before, same, kept = json.loads(run_python(code))
    assert before == []
    assert same == [True] * len(cfsettings.LAZY)
    assert kept  # looked up once, then a plain attribute
    assert set(cfsettings.LAZY) == set(cfsettings.__all__) - {
        "allowed_hosts",
        "caches",
        "databases",
    }


def test_lazy_lookup_in_process():
    for name, module in cfsettings.LAZY.items():
        function = cfsettings.__getattr__(name)
        assert function is getattr(importlib.import_module(module), name)
        assert function is getattr(cfsettings, name)
    with pytest.raises(AttributeError, match="no attribute 'no_such_setting'"):
        cfsettings.__getattr__("no_such_setting")
    assert not hasattr(cfsettings, "no_such_setting")
    assert set(cfsettings.__all__) <= set(dir(cfsettings))


def test_configure_is_the_function_after_its_module_is_imported():
    """``configure`` is defined in ``cfsettings.appliers``: a module named after the function
    would take its place in the package when imported first."""
    out = run_python(
        "import cfsettings.appliers, cfsettings, json; "
        "print(json.dumps(callable(cfsettings.configure)))"
    )
    assert json.loads(out) is True


def test_errors_are_djangos_improperly_configured():
    from django.core.exceptions import ImproperlyConfigured

    from cfsettings.errors import improperly_configured

    error = improperly_configured("message")
    assert type(error) is ImproperlyConfigured
    assert str(error) == "message"


def run_python(code, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("VCAP_", "DJANGO_"))}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


CHECK_MODULES = f"""
    import json, sys
    names = ("django", *{DRIVERS!r})
    loaded = sorted(n for n in names for m in sys.modules if m == n or m.startswith(n + "."))
    print(json.dumps(sorted(set(loaded))))
"""


#: What ``import django`` loads to know ``django.VERSION``: nothing of Django's machinery.
JUST_THE_VERSION = {
    "django.utils",
    "django.utils.functional",
    "django.utils.regex_helper",
    "django.utils.version",
}


def test_importing_imports_no_driver_and_not_django():
    out = run_python("import cfsettings\n" + textwrap.dedent(CHECK_MODULES))
    assert json.loads(out) == []


def test_the_control_check_would_see_django():
    """The subprocess check is live: it does report Django once Django is imported."""
    out = run_python("import cfsettings, django.db\n" + textwrap.dedent(CHECK_MODULES))
    assert json.loads(out) == ["django"]


@pytest.mark.parametrize(
    "fixture", ["p.mysql", "google-cloudsql-postgres", "p.redis", "memcachier"]
)
def test_building_settings_imports_no_driver_and_not_django(fixture, tmp_path):
    code = f"""
        import cfsettings
        cfsettings.databases(cert_dir={str(tmp_path)!r})
        cfsettings.caches(cert_dir={str(tmp_path)!r})
        cfsettings.allowed_hosts()
    """
    environ = {
        "VCAP_SERVICES": json.dumps(document(fixture)),
        "VCAP_APPLICATION": json.dumps({"application_uris": ["a.example.com"]}),
    }
    out = run_python(textwrap.dedent(code) + textwrap.dedent(CHECK_MODULES), **environ)
    assert json.loads(out) == []


@pytest.mark.parametrize("on_cf", [True, False], ids=["cloud-foundry", "laptop"])
def test_configure_imports_no_driver_and_not_django(on_cf, tmp_path):
    """The one line costs a settings module no Django import either, platform settings and
    all (the health-check middleware is named, not imported)."""
    code = f"""
        import cfsettings
        settings = {{"BASE_DIR": {str(tmp_path)!r}, "SECRET_KEY": "k" * 50}}
        applied = cfsettings.configure(settings)
        assert ("SECURE_SSL_REDIRECT" in applied) is {on_cf!r}, applied
    """
    environ = {"VCAP_SERVICES": json.dumps(document("elephantsql"))}
    if on_cf:
        environ["VCAP_APPLICATION"] = json.dumps({"application_uris": ["a.example.com"]})
    # Off the platform the mail settings name Django's console backend, as MAILERS on Django
    # 6.1 or later: that asks django.VERSION, which a settings module (loaded by Django) has.
    loaded = "print(json.dumps(sorted(m for m in sys.modules if m.startswith('django.'))))"
    out, django_modules = run_python(
        textwrap.dedent(code) + textwrap.dedent(CHECK_MODULES) + loaded, **environ
    ).splitlines()
    assert json.loads(out) == ([] if on_cf else ["django"])
    assert set(json.loads(django_modules)) <= JUST_THE_VERSION  # never django.conf, .db, ...
