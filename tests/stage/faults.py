"""Fault injection for the ``cf_stage`` process tests: a slow app, idle timeouts, kills.

Every fault is scoped to the test's own database and role (``ALTER ROLE`` on a role the test
created, ``SET SESSION`` through ``init_command``): nothing server-wide changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests import servers
from tests.stagekit import Process, write_app

INITIAL = """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            name="Row",
            fields=[
                ("id", models.AutoField(primary_key=True)),
                ("name", models.CharField(max_length=20)),
            ],
        )
    ]
"""
# Busy on the server (not idle): the migrating session works while a lock session would idle.
SLOW = """import os
from pathlib import Path

from django.db import migrations


def slow(apps, schema_editor):
    Path(os.environ["STAGE_SLOW_MARKER"]).write_text("slow")
    connection = schema_editor.connection
    sql = "SELECT pg_sleep(%s)" if connection.vendor == "postgresql" else "SELECT SLEEP(%s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [float(os.environ.get("STAGE_SLOW", "0"))])


class Migration(migrations.Migration):
    dependencies = [("slow", "0001_initial")]
    operations = [migrations.RunPython(slow, migrations.RunPython.noop)]
"""
ROWS = """from django.db import migrations


def rows(apps, schema_editor):
    Row = apps.get_model("slow", "Row")
    for name in {names!r}:
        Row.objects.using(schema_editor.connection.alias).create(name=name)


class Migration(migrations.Migration):
    dependencies = [("slow", "{previous}")]
    operations = [migrations.RunPython(rows, migrations.RunPython.noop)]
"""
ROW = "class Row(models.Model):\n    name = models.CharField(max_length=20)\n"
#: The data migrations' rows: each must appear exactly once.
ROW_NAMES = ("one", "two", "three", "last")
MIGRATIONS = ("0001_initial", "0002_slow", "0003_rows", "0004_last")


def write_slow_app(root: Path) -> None:
    """``slow``: a table, a server-side sleep, then two data migrations (rows once each)."""
    write_app(
        root,
        "slow",
        {
            "0001_initial": INITIAL,
            "0002_slow": SLOW,
            "0003_rows": ROWS.format(names=list(ROW_NAMES[:3]), previous="0002_slow"),
            "0004_last": ROWS.format(names=[ROW_NAMES[3]], previous="0003_rows"),
        },
        ROW,
    )


def assert_applied_once(query: Callable[[str], list[tuple]]) -> None:
    """Each migration recorded once and each data row written once, in this database only."""
    recorded = query(
        "SELECT name, COUNT(*) FROM django_migrations WHERE app = 'slow' GROUP BY name"
    )
    assert sorted(recorded) == [(name, 1) for name in MIGRATIONS], recorded
    rows = query("SELECT name, COUNT(*) FROM slow_row GROUP BY name")
    assert sorted(rows) == sorted((name, 1) for name in ROW_NAMES), rows


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def wait_for_path(path: Path, process: Process, timeout: float = 60) -> None:
    def there() -> bool:
        assert process.popen.poll() is None, process.stdout + process.stderr
        return path.exists()

    wait_until(there, f"{path.name} (the slow migration to start)", timeout)


def postgres_admin(database: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Run ``sql`` as the superuser, connected to ``database``."""
    import psycopg

    with psycopg.connect(
        host=servers.HOST,
        port=servers.POSTGRES_PORT,
        user="postgres",
        dbname=database,
        autocommit=True,
    ) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def mariadb_admin(sql: str, params: tuple | None = None) -> list[tuple]:
    """Run ``sql`` as root, connected to no database (so never killed as one of ours)."""
    import MySQLdb

    conn = MySQLdb.connect(host=servers.HOST, port=servers.MARIADB_PORT, user="root", passwd="")
    try:
        cursor = conn.cursor()
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        conn.close()


def mariadb_sessions(database: str, where: str = "TRUE") -> list[int]:
    """The ids of the sessions using ``database`` (and matching ``where``)."""
    rows = mariadb_admin(
        f"SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND {where}", (database,)
    )
    return [row[0] for row in rows]


def kill_mariadb(ids: list[int]) -> None:
    for session in ids:
        try:
            mariadb_admin(f"KILL CONNECTION {int(session)}")
        except Exception as exc:  # already gone
            if "Unknown thread id" not in str(exc):
                raise


def end_sessions_of(database: str) -> int:
    """End every PostgreSQL session on ``database`` but the caller's."""
    return len(
        postgres_admin(
            database,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
    )
