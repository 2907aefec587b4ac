"""Reach the real servers the tests need, or explain why a test cannot run.

On a laptop without a server the test is skipped with the reason; under ``CI=true`` a missing
server is a failure, because CI promises that every integration test ran.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

HOST = "127.0.0.1"
MARIADB_PORT = 3306
POSTGRES_PORT = 5432
REDIS_PORT = 6379
MEMCACHED_PORT = int(os.environ.get("CFSETTINGS_TEST_MEMCACHED_PORT", "11211"))

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, why: str) -> None:
    """Skip on a laptop, fail in CI."""
    message = f"{what} is not reachable ({why})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_port(what: str, port: int) -> None:
    if not port_open(port):
        unavailable(what, f"nothing listens on {HOST}:{port}")


def ensure_memcached() -> None:
    """Start memcached when it is installed but not running (developer laptops, fresh CI)."""
    if port_open(MEMCACHED_PORT):
        return
    binary = shutil.which("memcached")
    if binary is None:
        unavailable("memcached", "not installed: apt-get install memcached")
        return
    user = ["-u", "root"] if os.geteuid() == 0 else []
    subprocess.run(
        [binary, "-d", *user, "-l", HOST, "-p", str(MEMCACHED_PORT), "-m", "64"], check=False
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if port_open(MEMCACHED_PORT):
            return
        time.sleep(0.1)
    unavailable("memcached", f"started {binary} but port {MEMCACHED_PORT} never opened")


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def mariadb_database(prefix: str = "cfs") -> Iterator[str]:
    """A fresh, empty MariaDB database, dropped afterwards."""
    require_port("MariaDB", MARIADB_PORT)
    import MySQLdb

    name = unique_name(prefix)
    conn = MySQLdb.connect(host=HOST, port=MARIADB_PORT, user="root", passwd="")
    try:
        conn.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield name
    finally:
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@contextmanager
def postgres_database(prefix: str = "cfs") -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    require_port("PostgreSQL", POSTGRES_PORT)
    import psycopg

    name = unique_name(prefix)
    with psycopg.connect(host=HOST, port=POSTGRES_PORT, user="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def mariadb_database_as(password: str, prefix: str = "cfs") -> Iterator[tuple[str, str]]:
    """A fresh MariaDB database and a user (with ``password``) allowed everything on it.

    Yields (database, user); both are dropped afterwards.
    """
    import MySQLdb

    with mariadb_database(prefix) as database:
        user = unique_name(f"{prefix}u")
        conn = MySQLdb.connect(
            host=HOST, port=MARIADB_PORT, user="root", passwd="", charset="utf8mb4"
        )
        try:
            cursor = conn.cursor()
            cursor.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
            cursor.execute(f"GRANT ALL PRIVILEGES ON `{database}`.* TO '{user}'@'%'")
            yield database, user
        finally:
            conn.cursor().execute(f"DROP USER IF EXISTS '{user}'@'%'")
            conn.close()


@contextmanager
def postgres_database_as(password: str, prefix: str = "cfs") -> Iterator[tuple[str, str]]:
    """A fresh PostgreSQL database owned by a new role with ``password``.

    Yields (database, role); both are dropped afterwards. (The loopback server may trust every
    connection, so the password is only checked where pg_hba asks for one.)
    """
    require_port("PostgreSQL", POSTGRES_PORT)
    import psycopg
    from psycopg import sql

    database, role = unique_name(prefix), unique_name(f"{prefix}u")
    with psycopg.connect(host=HOST, port=POSTGRES_PORT, user="postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        try:
            conn.execute(f'CREATE DATABASE "{database}" OWNER "{role}"')
            try:
                yield database, role
            finally:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


@contextmanager
def foreign_data() -> Iterator[dict[str, str]]:
    """Another project's Django databases and Redis keys, beside the suite's own for a whole run.

    A test suite must not depend on the servers being empty: every test scopes what it counts
    and changes to its own database or key prefix. This puts a migrated-looking Django database
    (a ``django_migrations`` row) on MariaDB and PostgreSQL and a key on Redis, and afterwards
    fails the run if any of them was changed, before dropping them. Yields their names.
    """
    import MySQLdb
    import psycopg
    import redis

    for what, port in (
        ("MariaDB", MARIADB_PORT),
        ("PostgreSQL", POSTGRES_PORT),
        ("Redis", REDIS_PORT),
    ):
        require_port(what, port)
    key = f"{unique_name('cfs_foreign')}:session"
    table = (
        "CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app VARCHAR(255) NOT NULL, "
        "name VARCHAR(255) NOT NULL, applied TIMESTAMP NOT NULL)"
    )
    row = "INSERT INTO django_migrations VALUES (1, 'contenttypes', '0001_initial', now())"
    count = "SELECT COUNT(*) FROM django_migrations"
    with mariadb_database("cfs_foreign") as maria, postgres_database("cfs_foreign") as pg:
        my = MySQLdb.connect(host=HOST, port=MARIADB_PORT, user="root", passwd="", db=maria)
        cache = redis.Redis(host=HOST, port=REDIS_PORT)
        try:
            for statement in (table, row):
                my.cursor().execute(statement)
            my.commit()
            with psycopg.connect(host=HOST, port=POSTGRES_PORT, user="postgres", dbname=pg) as conn:
                conn.execute(table)
                conn.execute(row)
            cache.set(key, b"foreign")
            yield {"MariaDB": maria, "PostgreSQL": pg, "Redis": key}
            cursor = my.cursor()
            cursor.execute(count)
            with psycopg.connect(host=HOST, port=POSTGRES_PORT, user="postgres", dbname=pg) as conn:
                pg_rows = conn.execute(count).fetchone()
            found = {
                "MariaDB": cursor.fetchone(),
                "PostgreSQL": pg_rows,
                "Redis": cache.get(key),
            }
            expected = {"MariaDB": (1,), "PostgreSQL": (1,), "Redis": b"foreign"}
            changed = [what for what in expected if found[what] != expected[what]]
            if changed:
                pytest.fail(f"the test run changed another project's data on {changed}")
        finally:
            cache.delete(key)
            cache.close()
            my.close()
