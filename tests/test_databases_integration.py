"""``databases()`` against real MariaDB and PostgreSQL servers, through Django.

Each test binds a fresh database and a fresh login whose name has an ``@`` (Azure style) and
whose password is ``HOSTILE``, delivered percent-encoded in ``uri`` only, as discrete fields
only, or as fields beside a URI holding a wrong password, and connects with the ``DATABASES``
dict ``databases()`` built. No driver or server is mocked.

The loopback PostgreSQL trusts every connection, so it never asks for the password; the tests
prove the password anyway by deriving, from the one libpq actually holds, the SCRAM verifier
the server stored for the role.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from django.db import DataError, OperationalError
from django.db.utils import ConnectionHandler

from cfsettings import databases
from tests.fixtures import CA_PEM, HOSTILE, HOSTILE_QUOTED, env, service, vcap
from tests.servers import (
    HOST,
    MARIADB_PORT,
    POSTGRES_PORT,
    mariadb_database,
    postgres_database,
    require_port,
    unique_name,
)

VARIANTS = ["uri", "fields", "fields-beat-uri"]
TEXT = "naïve 🐘 ünïcødé"  # four-byte UTF-8: needs utf8mb4 on MySQL


def credentials(variant, engine, user, database, port):
    if variant == "uri":
        return {
            "uri": f"{engine}://{quote(user, safe='')}:{HOSTILE_QUOTED}@{HOST}:{port}/{database}"
        }
    fields = {
        "hostname": HOST,
        "port": str(port),
        "name": database,
        "username": user,
        "password": HOSTILE,
    }
    if variant == "fields":
        return fields
    wrong = f"{engine}://{quote(user, safe='')}:wrong-password@{HOST}:{port}/{database}"
    return {"uri": wrong, "password": HOSTILE}


@contextmanager
def connected(settings):
    handler = ConnectionHandler(settings)
    try:
        yield handler["default"]
    finally:
        handler.close_all()


# --- MariaDB -------------------------------------------------------------------------------


@contextmanager
def mariadb_login(database):
    import MySQLdb

    user = unique_name("cfs") + "@srv"
    admin = MySQLdb.connect(host=HOST, port=MARIADB_PORT, user="root", passwd="", charset="utf8mb4")
    try:
        cursor = admin.cursor()
        cursor.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, HOSTILE))
        cursor.execute(f"GRANT ALL PRIVILEGES ON `{database}`.* TO %s@'%%'", (user,))
        yield user
    finally:
        admin.cursor().execute("DROP USER IF EXISTS %s@'%%'", (user,))
        admin.close()


@pytest.fixture
def mariadb():
    require_port("MariaDB", MARIADB_PORT)
    with mariadb_database() as database, mariadb_login(database) as user:
        yield database, user


@pytest.mark.parametrize("variant", VARIANTS)
def test_mariadb_connects_queries_and_is_strict(mariadb, variant):
    database, user = mariadb
    creds = credentials(variant, "mysql", user, database, MARIADB_PORT)
    settings = databases(environ=env("orders-db", creds, label="p.mysql", tags=["mysql"]))
    assert settings["default"]["PASSWORD"] == HOSTILE
    with connected(settings) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT CURRENT_USER(), DATABASE(), @@SESSION.sql_mode, @@character_set_connection"
        )
        current_user, current_database, sql_mode, charset = cursor.fetchone()
        assert current_user == f"{user}@%"
        assert current_database == database
        # exactly cfsettings' mode: the server's default adds NO_AUTO_CREATE_USER
        assert sorted(sql_mode.split(",")) == [
            "ERROR_FOR_DIVISION_BY_ZERO",
            "NO_ENGINE_SUBSTITUTION",
            "STRICT_TRANS_TABLES",
        ]
        assert charset == "utf8mb4"
        cursor.execute("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(20)) CHARACTER SET utf8mb4")
        cursor.execute("INSERT INTO t VALUES (%s, %s)", [1, TEXT])
        cursor.execute("SELECT s FROM t WHERE id = 1")
        assert cursor.fetchone() == (TEXT,)
        with pytest.raises(DataError):  # strict: refused, not truncated
            cursor.execute("INSERT INTO t VALUES (%s, %s)", [2, "x" * 21])
        assert "mysql.W002" not in [issue.id for issue in connection.validation.check()]


def test_mariadb_w002_fires_without_strict_mode(mariadb):
    """The W002 check above is live: it fires once cfsettings' init_command is replaced."""
    database, user = mariadb
    creds = credentials("fields", "mysql", user, database, MARIADB_PORT)
    settings = databases(
        environ=env("orders-db", creds, tags=["mysql"]),
        mysql_options={"init_command": "SET sql_mode=''"},
    )
    with connected(settings) as connection:
        assert "mysql.W002" in [issue.id for issue in connection.validation.check()]


def test_mariadb_every_alias_connects(mariadb):
    database, user = mariadb
    creds = credentials("uri", "mysql", user, database, MARIADB_PORT)
    settings = databases(environ=env("orders-db", creds, tags=["mysql"]))
    handler = ConnectionHandler(settings)
    try:
        for alias in ("default", "orders-db"):
            with handler[alias].cursor() as cursor:
                cursor.execute("SELECT DATABASE()")
                assert cursor.fetchone() == (database,)
    finally:
        handler.close_all()


def test_mariadb_wrong_password_is_refused(mariadb):
    """The server checks MariaDB passwords: the successes above are not a lenient server."""
    database, user = mariadb
    creds = {**credentials("fields", "mysql", user, database, MARIADB_PORT), "password": "x"}
    with (
        connected(databases(environ=env("db", creds, tags=["mysql"]))) as connection,
        pytest.raises(OperationalError, match="Access denied"),
    ):
        connection.ensure_connection()


def test_mariadb_with_a_ca_refuses_a_server_without_tls(mariadb, tmp_path):
    """The CA makes the driver demand TLS; this server has none, so the connection fails."""
    database, user = mariadb
    creds = credentials("fields", "mysql", user, database, MARIADB_PORT)
    creds["tls"] = {"cert": {"ca": CA_PEM}}  # Tanzu MySQL's layout
    settings = databases(environ=env("db", creds, label="p.mysql"), cert_dir=str(tmp_path))
    with connected(settings) as connection, pytest.raises(OperationalError, match=r"SSL|TLS"):
        connection.ensure_connection()


# --- PostgreSQL ----------------------------------------------------------------------------


@contextmanager
def postgres_role():
    import psycopg
    from psycopg import sql

    role = unique_name("cfs") + "@srv"
    with psycopg.connect(host=HOST, port=POSTGRES_PORT, user="postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(HOSTILE)
            )
        )
        try:
            yield admin, role
        finally:
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def postgres():
    from psycopg import sql

    require_port("PostgreSQL", POSTGRES_PORT)
    with postgres_role() as (admin, role), postgres_database() as database:
        admin.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(database), sql.Identifier(role)
            )
        )
        verifier = admin.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", [role]
        ).fetchone()[0]
        yield database, role, verifier


def scram_verifier_matches(verifier, password):
    """Whether ``password`` is the one PostgreSQL stored as ``verifier`` (RFC 5802, 7677)."""
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    params, keys = rest.split("$")
    iterations, salt = params.split(":")
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return (
        hashlib.sha256(client_key).digest() == stored_key
        and hmac.new(salted, b"Server Key", "sha256").digest() == server_key
    )


def test_scram_check_is_live(postgres):
    _, _, verifier = postgres
    assert scram_verifier_matches(verifier, HOSTILE)
    assert not scram_verifier_matches(verifier, HOSTILE_QUOTED)
    assert not scram_verifier_matches(verifier, "wrong-password")


@pytest.mark.parametrize("variant", VARIANTS)
def test_postgres_connects_and_queries(postgres, variant):
    database, role, verifier = postgres
    creds = credentials(variant, "postgres", role, database, POSTGRES_PORT)
    settings = databases(environ=env("orders-db", creds, label="elephantsql"))
    with connected(settings) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database()")
        assert cursor.fetchone() == (role, database)
        cursor.execute("CREATE TABLE t (id INT PRIMARY KEY, s TEXT)")
        cursor.execute("INSERT INTO t VALUES (%s, %s)", [1, TEXT])
        cursor.execute("SELECT s FROM t WHERE id = 1")
        assert cursor.fetchone() == (TEXT,)
        # the password libpq holds for this live connection is the one the role has
        assert connection.connection.info.password == HOSTILE
        assert scram_verifier_matches(verifier, connection.connection.info.password)


def test_postgres_options_reach_libpq(postgres):
    database, role, _ = postgres
    creds = credentials("uri", "postgres", role, database, POSTGRES_PORT)
    creds["uri"] += "?application_name=cfs%20test&connect_timeout=5&useSSL=false&pool=1"
    settings = databases(environ=env("db", creds, tags=["postgresql"]))
    with connected(settings) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('application_name')")
        assert cursor.fetchone() == ("cfs test",)


@pytest.mark.parametrize(
    "extra",
    [{"sslRequired": True}, {"ca_certificate": CA_PEM}],
    ids=["sslRequired", "inline-ca"],
)
def test_postgres_tls_settings_refuse_a_server_without_tls(postgres, extra, tmp_path):
    database, role, _ = postgres
    creds = {**credentials("fields", "postgres", role, database, POSTGRES_PORT), **extra}
    settings = databases(environ=env("db", creds, tags=["postgresql"]), cert_dir=str(tmp_path))
    with connected(settings) as connection, pytest.raises(OperationalError, match="SSL"):
        connection.ensure_connection()


def test_several_databases_at_once(mariadb, postgres):
    my_database, my_user = mariadb
    pg_database, pg_role, _ = postgres
    environ = vcap(
        service(
            "orders",
            credentials("uri", "mysql", my_user, my_database, MARIADB_PORT),
            label="p.mysql",
        ),
        service(
            "reports",
            credentials("fields", "postgres", pg_role, pg_database, POSTGRES_PORT),
            label="elephantsql",
        ),
    )
    settings = databases(environ=environ)
    handler = ConnectionHandler(settings)
    try:
        for alias, query, expected in [
            ("default", "SELECT DATABASE()", my_database),  # "orders" < "reports"
            ("orders", "SELECT DATABASE()", my_database),
            ("reports", "SELECT current_database()", pg_database),
        ]:
            with handler[alias].cursor() as cursor:
                cursor.execute(query)
                assert cursor.fetchone() == (expected,)
    finally:
        handler.close_all()
