"""Staging one alias in this process (SQLite file): steps, failures and what they print."""

from __future__ import annotations

import io
from urllib.parse import quote, quote_plus

import pytest
from django.conf import settings
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db.migrations import Migration
from django.db.models.signals import post_migrate
from django.db.utils import ConnectionHandler
from django.test import override_settings

from cfsettings.masking import MASK, Masker
from cfsettings.stage.locks import FileLock, lock_for
from cfsettings.stage.migrating import MigrationTracker, check_summary
from cfsettings.stage.output import reason, settings_masker, staging_masker
from cfsettings.stage.run import AliasStager, StageOptions
from tests.stagekit import HOSTILE_PASSWORD, default_database, postgres


@pytest.fixture
def db(tmp_path):
    with default_database(tmp_path / "db.sqlite3") as connection:
        yield connection


def stage(*args: str, **options) -> str:
    out = io.StringIO()
    call_command("cf_stage", *args, stdout=out, **options)
    return out.getvalue()


def test_the_masker_learns_databases_caches_and_the_superuser():
    databases = {
        "a": {"PASSWORD": HOSTILE_PASSWORD, "OPTIONS": {"passwd": "mysql-pw", "port": 1}},
        "b": {"PASSWORD": "", "OPTIONS": {"sslpassword": "key-pw", "password": 7777}},
        "c": {},
    }
    caches = {
        "redis": {"LOCATION": "redis://:cache-uri-pw@host:6379/0"},
        "other": {"LOCATION": ["redis://h:1"], "OPTIONS": {"password": "cache-opt-pw"}},
    }
    masker = staging_masker(databases, caches, {"DJANGO_SUPERUSER_PASSWORD": "su-secret"})
    for value in [
        HOSTILE_PASSWORD,
        "mysql-pw",
        "key-pw",
        "7777",
        "cache-uri-pw",
        "cache-opt-pw",
        "su-secret",
    ]:
        for spelled in (value, quote(value, safe=""), quote_plus(value)):
            assert masker.scrub(f"said {spelled}!") == f"said {MASK}!"
    assert masker.scrub("port 1, nothing else") == "port 1, nothing else"
    assert repr(staging_masker({}, {}, {})) == "Masker(0 secrets)"


def test_a_reason_is_one_short_masked_line(monkeypatch):
    masker = Masker()
    masker.add(HOSTILE_PASSWORD)
    error = RuntimeError(f"bad {HOSTILE_PASSWORD} or {quote(HOSTILE_PASSWORD)}\nline two")
    assert reason(error, masker) == f"RuntimeError: bad {MASK} or {MASK}"
    assert reason(CommandError("already a sentence"), masker) == "already a sentence"
    assert reason(KeyError(), masker) == "KeyError"
    long = reason(ValueError("x" * 1000), masker)
    assert len(long) == 300 and long.endswith("...")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "superuser-secret")
    assert reason(ValueError("superuser-secret"), settings_masker()) == f"ValueError: {MASK}"


def test_staging_in_process_then_nothing_to_do(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    with pytest.raises(CommandError) as pending:
        stage("--check")
    assert pending.value.returncode == 1
    out = stage("-v", "2")
    assert "lock acquired" in out and "14 migrations applied" in out
    assert "Applying auth.0001_initial" in out  # migrate's own lines at -v 2
    assert "superuser 'root' created" in out and "lock released" in out
    assert "nothing to do" in stage()
    assert "up to date" in stage("--check")
    assert stage("--verbosity", "0") == ""


def test_a_failing_post_migrate_handler_fails_migrate_not_a_migration(db):
    def explode(**kwargs):
        raise RuntimeError("post_migrate handler broke")

    post_migrate.connect(explode, dispatch_uid="test_stager_explode")
    try:
        with pytest.raises(CommandError) as raised:
            stage()
    finally:
        post_migrate.disconnect(dispatch_uid="test_stager_explode")
    assert str(raised.value) == (
        "cf_stage: default (sqlite): migrate failed: RuntimeError: post_migrate handler broke"
    )


def failing_check(app_configs, **kwargs):
    return [
        checks.Error(f"broken on purpose, said {HOSTILE_PASSWORD}", id="tests.E001"),
        checks.Error("broken too", hint="a hint", id="tests.E002"),
    ]


def test_system_checks_run_only_when_there_is_work(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", HOSTILE_PASSWORD)
    checks.register(failing_check)
    try:
        with pytest.raises(CommandError) as raised:
            stage()
        assert str(raised.value) == (
            "cf_stage: default (sqlite): system checks failed: "
            f"(tests.E001) broken on purpose, said {MASK}, tests.E002 (run manage.py check)"
        )
        checks.registry.registry.registered_checks.discard(failing_check)
        stage()
        checks.register(failing_check)
        assert "nothing to do" in stage()  # the no-op path does not pay for checks
    finally:
        checks.registry.registry.registered_checks.discard(failing_check)


def test_collectstatic_failure_is_one_line(db):
    with pytest.raises(CommandError) as raised:
        stage("--collectstatic")  # the unit-test settings have no staticfiles app
    assert str(raised.value).startswith("cf_stage: collectstatic failed: ")


def test_a_release_that_cannot_be_confirmed_is_said_when_abandoning(db):
    out = io.StringIO()
    stager = AliasStager("default", StageOptions(), out)
    idle = lock_for(ConnectionHandler({"default": postgres("postgres")})["default"])
    try:
        stager._abandon(idle)  # never taken: the server cannot confirm a release
    finally:
        idle.close()
    assert "lock not confirmed released (LockLost: " in out.getvalue()
    assert "it goes with its session" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--database", "nope"], "--database 'nope' is not in DATABASES (known: default)"),
        (["--wait", "-1"], "argument --wait: '-1' must be a number of seconds >= 0"),
        (["--wait", "nan"], "argument --wait: 'nan' must be a number of seconds >= 0"),
        (["--lock-timeout", "soon"], "argument --lock-timeout: 'soon' is not a number of seconds"),
    ],
)
def test_bad_options_name_themselves(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        stage(*args)


def test_an_alias_given_twice_is_staged_once(db):
    out = stage("--database", "default", "--database", "default")
    assert out.count("waited") == 1


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_an_alias_for_the_same_database_is_staged_once(db):
    same = dict(settings.DATABASES["default"])
    twin = dict(same, CONN_MAX_AGE=0, OPTIONS={"timeout": 5})
    with override_settings(DATABASES={"default": same, "twin": twin}):
        out = stage()
        assert stage("-v", "0") == ""
    assert out.count("waited") == 1
    assert "cf_stage: twin: same staging target as 'default', staged once" in out


def test_tables_for_apps_without_migrations_alone(db):
    with override_settings(MIGRATION_MODULES={"auth": None}):
        stage()
        with db.cursor() as cursor:
            cursor.execute("DROP TABLE auth_group_permissions")
            cursor.execute("DROP TABLE auth_group")
        out = stage()
    assert "1 table created for apps without migrations in" in out
    assert "migrations applied" not in out


def test_the_tracker_names_only_the_migration_in_progress():
    tracker = MigrationTracker()
    command = tracker.command()
    command.verbosity = 0  # set by handle() when migrate runs for real
    migration = Migration("0001_initial", "shop")
    command.migration_progress_callback("apply_start", migration)
    assert tracker.running == "shop.0001_initial"
    command.migration_progress_callback("render_start")
    assert tracker.running == "shop.0001_initial"
    command.migration_progress_callback("apply_success", migration)
    assert tracker.running is None


def test_collectstatic_quietly(db, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "site.css").write_text("body {}")
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "django.contrib.staticfiles"],
        STATIC_URL="static/",
        STATIC_ROOT=str(tmp_path / "static"),
        STATICFILES_DIRS=[str(tmp_path / "assets")],
    ):
        assert stage("--collectstatic", "--verbosity", "0") == ""
    assert (tmp_path / "static" / "site.css").read_text() == "body {}"


def test_a_check_report_it_cannot_read_still_says_what_to_do():
    assert check_summary(SystemCheckError("something else"), Masker()) == "run manage.py check"


def test_a_lost_lock_inside_a_step_stops_that_step(db, tmp_path):
    stager = AliasStager("default", StageOptions(), io.StringIO())
    never_taken = FileLock(str(tmp_path / "db.sqlite3"))
    with pytest.raises(CommandError) as raised, stager.step("createcachetable"):
        never_taken.verify()
    assert str(raised.value) == (
        "cf_stage: default (sqlite): stopped before createcachetable: "
        f"file lock {never_taken.path} lost: its file was closed"
    )


def test_a_release_the_lock_cannot_confirm_fails_the_run(db, tmp_path):
    """The work succeeded, but the lock went before its release: that is an error, not 0."""
    out = io.StringIO()
    stager = AliasStager("default", StageOptions(), out)
    lock = FileLock(str(tmp_path / "db.sqlite3"))

    def lose_the_lock(**kwargs):
        lock.close()

    post_migrate.connect(lose_the_lock, dispatch_uid="test_run_lose_the_lock")
    try:
        with pytest.raises(CommandError) as raised:
            stager._under_lock(lock)
    finally:
        post_migrate.disconnect(dispatch_uid="test_run_lose_the_lock")
        lock.close()
    assert str(raised.value) == (
        f"cf_stage: default (sqlite): file lock {lock.path} lost: its file was closed"
    )
    assert "migrations applied" in out.getvalue() and "lock released" not in out.getvalue()
