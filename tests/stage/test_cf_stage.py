"""``manage.py cf_stage`` as Cloud Foundry runs it: real processes against real servers."""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from tests import servers
from tests.stagekit import (
    HOSTILE_PASSWORD,
    Process,
    assert_no_secret,
    closed_port,
    environment,
    manage,
    mariadb,
    postgres,
    sqlite,
    write_app,
)

INSTANCES = 8
SEEDED_CATEGORIES = 3
# contenttypes 2, auth 12, admin 3, sessions 1, accounts 1, catalog 3, orders 2 (one squashed)
PLANNED_MIGRATIONS = 24


@contextmanager
def postgres_server() -> Iterator[tuple[dict, Callable[[str], list[tuple]]]]:
    """A fresh database on the real server, used through a role with a hostile password."""
    import psycopg

    with servers.postgres_database_as(HOSTILE_PASSWORD) as (name, role):

        def query(sql: str) -> list[tuple]:
            with psycopg.connect(
                host=servers.HOST, port=servers.POSTGRES_PORT, user="postgres", dbname=name
            ) as conn:
                return conn.execute(sql).fetchall()

        yield postgres(name, role, HOSTILE_PASSWORD), query


@contextmanager
def mariadb_server() -> Iterator[tuple[dict, Callable[[str], list[tuple]]]]:
    import MySQLdb

    with servers.mariadb_database_as(HOSTILE_PASSWORD) as (name, user):

        def query(sql: str) -> list[tuple]:
            conn = MySQLdb.connect(
                host=servers.HOST, port=servers.MARIADB_PORT, user="root", passwd="", db=name
            )
            try:
                cursor = conn.cursor()
                cursor.execute(sql)
                return list(cursor.fetchall())
            finally:
                conn.close()

        yield mariadb(name, user, HOSTILE_PASSWORD), query


SERVERS = {"postgres": postgres_server, "mariadb": mariadb_server}


@pytest.fixture(params=sorted(SERVERS))
def server(request):
    with SERVERS[request.param]() as found:
        yield found


@pytest.mark.slow
def test_every_instance_at_once_on_a_fresh_database(server):
    database, query = server
    env = environment({"default": database})

    before = manage(env, "cf_stage", "--check")
    assert before.returncode == 1, before.stdout + before.stderr
    planned = int(re.search(r"pending: (\d+) migrations to apply", before.stdout)[1])
    assert planned == PLANNED_MIGRATIONS
    assert "superuser 'admin' to create" in before.stdout
    # Only this test's own database: the server may hold other projects' Django databases.
    schema = "current_schema()" if "postgresql" in database["ENGINE"] else "DATABASE()"
    assert query(
        "SELECT COUNT(*) FROM information_schema.tables "
        f"WHERE table_name = 'django_migrations' AND table_schema = {schema}"
    ) == [(0,)]

    processes = [Process(env, "cf_stage") for _ in range(INSTANCES)]
    codes = [process.finish() for process in processes]
    outputs = [process.stdout + process.stderr for process in processes]
    assert codes == [0] * INSTANCES, "\n".join(outputs)
    assert_no_secret(*outputs)

    migrated = [out for out in outputs if f"{planned} migrations applied" in out]
    assert len(migrated) == 1, "\n".join(outputs)
    assert sum("superuser 'admin' created" in out for out in outputs) == 1
    assert sum("cache table stage_cache created" in out for out in outputs) == 1
    assert all("lock released" in out for out in migrated)

    duplicates = query(
        "SELECT app, name FROM django_migrations GROUP BY app, name HAVING COUNT(*) > 1"
    )
    assert duplicates == []
    recorded = {(app, name) for app, name in query("SELECT app, name FROM django_migrations")}
    assert ("catalog", "0002_seed_categories") in recorded
    assert ("catalog", "0003_product_sku") in recorded
    assert {("orders", "0001_initial"), ("orders", "0002_order_note")} <= recorded
    assert query("SELECT COUNT(*) FROM catalog_category") == [(SEEDED_CATEGORIES,)]
    assert query("SELECT COUNT(*) FROM catalog_product WHERE sku IS NOT NULL") == [
        (SEEDED_CATEGORIES,)
    ]
    assert query("SELECT COUNT(*) FROM accounts_user WHERE is_superuser") == [(1,)]
    assert query("SELECT COUNT(*) FROM legacy_note") == [(0,)]
    assert query("SELECT COUNT(*) FROM stage_cache") == [(0,)]

    after = manage(env, "cf_stage", "--check")
    assert after.returncode == 0, after.stdout + after.stderr
    assert "up to date" in after.stdout
    assert_no_secret(before.stdout, before.stderr, after.stdout, after.stderr)


# Apps the tests write on the fly (into tmp_path, on PYTHONPATH) for failures and signals.
INITIAL = """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Widget",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=10)),
            ],
        )
    ]
"""
WIDGET = "class Widget(models.Model):\n    name = models.CharField(max_length=10)\n"
SECOND = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("fragile", "0001_initial")]
    operations = [migrations.RunSQL({sql!r})]
"""
NAP = """import os
import time
from pathlib import Path

from django.db import migrations, models


def nap(apps, schema_editor):
    Path(os.environ["STAGE_NAP_MARKER"]).write_text("napping")
    deadline = time.monotonic() + float(os.environ.get("STAGE_NAP", "0"))
    while time.monotonic() < deadline:
        time.sleep(0.05)


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.RunPython(nap, migrations.RunPython.noop),
        migrations.CreateModel(
            name="Widget",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=10)),
            ],
        ),
    ]
"""


def app_environment(database: dict, root: Path, app: str, **variables: str) -> dict[str, str]:
    """The test project reduced to one written app: fast, and enough to exercise the lock."""
    return environment(
        {"default": database},
        paths=(root,),
        superuser=False,
        STAGE_INSTALLED_APPS=f"{app},cfsettings",
        PYTHONDONTWRITEBYTECODE="1",
        **variables,
    )


def lock_on(database: dict):
    """The cluster lock cf_stage takes for this database, taken from this test process."""
    from django.db.utils import ConnectionHandler

    from cfsettings.stage.locks import lock_for

    return lock_for(ConnectionHandler({"default": database})["default"])


def assert_free(database: dict) -> None:
    lock = lock_on(database)
    try:
        assert lock.try_acquire(), "the lock is still held"
        lock.release()
    finally:
        lock.close()


def last_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line reason, got: {text}"
    return lines[0]


@pytest.mark.slow
def test_a_failing_migration_is_named_the_lock_released_and_a_fix_completes(server, tmp_path):
    database, query = server
    write_app(
        tmp_path,
        "fragile",
        {
            "0001_initial": INITIAL,
            "0002_break": SECOND.format(sql="INSERT INTO nowhere VALUES (1)"),
        },
        WIDGET,
    )
    env = app_environment(database, tmp_path, "fragile")

    failed = manage(env, "cf_stage")
    assert failed.returncode == 1
    reason = last_line(failed.stderr)
    assert "migration fragile.0002_break failed" in reason
    assert "nowhere" in reason
    assert "lock released" in failed.stdout
    assert_no_secret(failed.stdout, failed.stderr)
    assert_free(database)
    assert query("SELECT name FROM django_migrations WHERE app = 'fragile'") == [("0001_initial",)]

    write_app(
        tmp_path,
        "fragile",
        {"0002_break": SECOND.format(sql="UPDATE fragile_widget SET name = 'fixed'")},
    )
    fixed = manage(env, "cf_stage")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "1 migration applied" in fixed.stdout
    assert sorted(query("SELECT name FROM django_migrations WHERE app = 'fragile'")) == [
        ("0001_initial",),
        ("0002_break",),
    ]
    assert_no_secret(fixed.stdout, fixed.stderr)


@pytest.mark.slow
def test_sigterm_during_a_migration_releases_the_lock(server, tmp_path):
    database, query = server
    write_app(tmp_path, "sleepy", {"0001_initial": NAP.replace('"fragile"', '"sleepy"')}, WIDGET)
    marker = tmp_path / "napping"
    env = app_environment(
        database, tmp_path, "sleepy", STAGE_NAP="60", STAGE_NAP_MARKER=str(marker)
    )

    process = Process(env, "cf_stage")
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.popen.poll() is None, process.stdout + process.stderr
        assert time.monotonic() < deadline, "the migration never started"
        time.sleep(0.05)
    started = time.monotonic()
    process.popen.send_signal(signal.SIGTERM)
    assert process.finish(timeout=30) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 10
    assert last_line(process.stderr) == "CommandError: cf_stage: interrupted by SIGTERM"
    assert "lock released" in process.stdout
    assert_no_secret(process.stdout, process.stderr)
    assert_free(database)
    assert query("SELECT COUNT(*) FROM django_migrations WHERE app = 'sleepy'") == [(0,)]

    env["STAGE_NAP"] = "0"
    again = manage(env, "cf_stage")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 migration applied" in again.stdout


@pytest.fixture(params=["sqlite", *sorted(SERVERS)])
def any_database(request, tmp_path):
    """A fresh database of each kind cf_stage locks: a SQLite file or a real server."""
    if request.param == "sqlite":
        yield sqlite(tmp_path / "db.sqlite3")
    else:
        with SERVERS[request.param]() as (database, _):
            yield database


def test_sigterm_while_waiting_for_the_lock(any_database, tmp_path):
    write_app(tmp_path, "fragile", {"0001_initial": INITIAL}, WIDGET)
    env = app_environment(any_database, tmp_path, "fragile")
    holder = lock_on(any_database)
    assert holder.try_acquire()
    try:
        process = Process(env, "cf_stage")
        process.wait_for("waiting for")
        process.popen.send_signal(signal.SIGTERM)
        assert process.finish(timeout=10) == 128 + signal.SIGTERM
    finally:
        holder.release()
        holder.close()
    assert last_line(process.stderr) == "CommandError: cf_stage: interrupted by SIGTERM"
    assert "lock acquired" not in process.stdout
    assert_free(any_database)
    check = manage(env, "cf_stage", "--check")
    assert check.returncode == 1 and "1 migration to apply" in check.stdout


def test_lock_timeout_bounds_the_wait(any_database, tmp_path):
    write_app(tmp_path, "fragile", {"0001_initial": INITIAL}, WIDGET)
    env = app_environment(any_database, tmp_path, "fragile")
    holder = lock_on(any_database)
    assert holder.try_acquire()
    try:
        started = time.monotonic()
        waited = manage(env, "cf_stage", "--lock-timeout", "0.5")
        elapsed = time.monotonic() - started
    finally:
        holder.release()
        holder.close()
    assert waited.returncode == 1
    reason = last_line(waited.stderr)
    assert "still taken after 0.5s (--lock-timeout 0.5)" in reason
    assert elapsed < 10
    assert_no_secret(waited.stdout, waited.stderr)


def test_database_down_waits_then_fails_within_wait():
    database = postgres("nowhere", "nobody", HOSTILE_PASSWORD)
    database["PORT"] = str(closed_port())
    env = environment({"default": database})
    started = time.monotonic()
    down = manage(env, "cf_stage", "--wait", "2")
    elapsed = time.monotonic() - started
    assert down.returncode == 1
    assert 2 <= elapsed < 2 + 8
    retries = [line for line in down.stdout.splitlines() if "database not ready" in line]
    assert len(retries) >= 2, down.stdout
    assert all("retrying in" in line for line in retries)
    reason = last_line(down.stderr)
    assert "default (postgresql): database not reachable after 2." in reason
    assert "(--wait 2)" in reason
    assert_no_secret(down.stdout, down.stderr)


def test_a_refused_password_never_shows():
    with servers.mariadb_database_as(HOSTILE_PASSWORD + "!") as (name, user):
        env = environment({"default": mariadb(name, user, HOSTILE_PASSWORD)})
        refused = manage(env, "cf_stage", "--wait", "0")
    assert refused.returncode == 1
    assert "Access denied" in last_line(refused.stderr)
    assert_no_secret(refused.stdout, refused.stderr)


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("django.db.backends.oracle", "cf_stage: other: "),  # no Oracle driver installed
        ("django.db.backends.dummy", "other (unknown): connecting failed: ImproperlyConfigured"),
    ],
)
def test_an_unusable_engine_is_one_clear_line(engine, expected, tmp_path):
    other = {"ENGINE": engine, "NAME": "x", "PASSWORD": HOSTILE_PASSWORD}
    env = environment({"default": sqlite(tmp_path / "db.sqlite3"), "other": other})
    result = manage(env, "cf_stage", "--database", "other", "--wait", "0")
    assert result.returncode == 1
    reason = last_line(result.stderr)
    assert reason.startswith("CommandError: ") and expected in reason
    assert_no_secret(result.stdout, result.stderr)


def sqlite_tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_sqlite_instances_at_once(tmp_path):
    path = tmp_path / "db.sqlite3"
    env = environment({"default": sqlite(path)})
    processes = [Process(env, "cf_stage") for _ in range(4)]
    codes = [process.finish() for process in processes]
    outputs = [process.stdout + process.stderr for process in processes]
    assert codes == [0] * 4, "\n".join(outputs)
    assert sum(f"{PLANNED_MIGRATIONS} migrations applied" in out for out in outputs) == 1
    with closing(sqlite3.connect(path)) as conn:
        duplicates = conn.execute(
            "SELECT app, name FROM django_migrations GROUP BY app, name HAVING COUNT(*) > 1"
        ).fetchall()
        assert duplicates == []
        assert conn.execute("SELECT COUNT(*) FROM catalog_category").fetchone() == (
            SEEDED_CATEGORIES,
        )
        assert conn.execute("SELECT COUNT(*) FROM accounts_user").fetchone() == (1,)


def test_routers_choose_where_each_app_goes(tmp_path):
    default, archive = tmp_path / "default.sqlite3", tmp_path / "archive.sqlite3"
    log = tmp_path / "post_migrate.log"
    static = tmp_path / "static"
    env = environment(
        {"default": sqlite(default), "archive": sqlite(archive)},
        STAGE_POST_MIGRATE_LOG=str(log),
        STAGE_STATIC_ROOT=str(static),
    )

    only_archive = manage(env, "cf_stage", "--database", "archive", "--check")
    assert only_archive.returncode == 1
    assert "archive (sqlite)" in only_archive.stdout and "default (" not in only_archive.stdout
    assert "pending: 3 tables to create (apps without migrations)" not in only_archive.stdout

    staged = manage(env, "cf_stage", "--collectstatic")
    assert staged.returncode == 0, staged.stdout + staged.stderr
    assert "static files collected" in staged.stdout
    assert (static / "admin" / "css" / "base.css").is_file()

    default_tables, archive_tables = sqlite_tables(default), sqlite_tables(archive)
    assert {"legacy_note", "legacy_tag", "legacy_note_tags"} <= archive_tables
    assert not {name for name in default_tables if name.startswith("legacy_")}
    assert "legacy_note_summary" not in archive_tables  # unmanaged
    assert {"accounts_user", "stage_cache"} <= default_tables
    assert not {"accounts_user", "stage_cache"} & archive_tables
    assert "superuser 'admin' created" in staged.stdout
    runs = log.read_text().splitlines()
    assert set(runs) == {"default", "archive"}

    again = manage(env, "cf_stage", "--check")
    assert again.returncode == 0, again.stdout + again.stderr
    noop = manage(env, "cf_stage")
    assert noop.returncode == 0
    assert noop.stdout.count("nothing to do") == 2
    assert log.read_text().splitlines() == runs, "a no-op cf_stage ran migrate"


def test_superuser_needs_every_required_field_and_an_existing_one_is_untouched(tmp_path):
    path = tmp_path / "db.sqlite3"
    env = environment({"default": sqlite(path)})
    del env["DJANGO_SUPERUSER_TEAM"]
    missing = manage(env, "cf_stage")
    assert missing.returncode == 1
    assert last_line(missing.stderr) == (
        "CommandError: cf_stage: default (sqlite): creating superuser 'admin' failed: "
        "DJANGO_SUPERUSER_TEAM is not set (accounts.User requires team)"
    )

    env["DJANGO_SUPERUSER_TEAM"] = "ops"
    created = manage(env, "cf_stage")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "nothing to migrate" in created.stdout
    assert "superuser 'admin' created" in created.stdout

    def admin() -> tuple:
        with closing(sqlite3.connect(path)) as conn:
            return conn.execute(
                "SELECT password, email, team, is_superuser FROM accounts_user"
                " WHERE username = 'admin'"
            ).fetchone()

    first = admin()
    assert first[1:] == ("admin@example.com", "ops", 1)
    env.update(
        DJANGO_SUPERUSER_PASSWORD="another-" + HOSTILE_PASSWORD, DJANGO_SUPERUSER_EMAIL="x@y.z"
    )
    untouched = manage(env, "cf_stage")
    assert untouched.returncode == 0
    assert "nothing to do" in untouched.stdout
    assert admin() == first
    assert_no_secret(missing.stdout, missing.stderr, created.stdout, created.stderr)
