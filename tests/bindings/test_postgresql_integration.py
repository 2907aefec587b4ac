"""What the PostgreSQL server decides: host lists, target_session_attrs and sslmode, for real."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db.utils import ConnectionHandler, OperationalError

from cfsettings import databases
from cfsettings.bindings.service import SERVICE_BINDING_ROOT
from tests.fixtures import env, write_binding
from tests.servers import HOST, POSTGRES_PORT, postgres_database


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def connected(entry: dict[str, Any]) -> Iterator[Any]:
    """A Django connection made from one ``DATABASES`` entry, closed afterwards."""
    handler = ConnectionHandler({"default": {**entry, "CONN_MAX_AGE": 0}})
    connection = handler["default"]
    try:
        connection.ensure_connection()
        yield connection
    finally:
        connection.close()


def test_a_host_list_whose_first_host_is_down_reaches_the_second():
    down = closed_port()
    with postgres_database("cfsl") as name:
        uri = f"postgres://postgres@{HOST}:{down},{HOST}:{POSTGRES_PORT}/{name}"
        entry = databases(environ=env("pg", {"uri": uri}, tags=["postgresql"]))["default"]
        assert (entry["HOST"], entry["PORT"]) == (f"{HOST},{HOST}", f"{down},{POSTGRES_PORT}")
        with connected(entry) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT current_database(), inet_server_port()")
            assert cursor.fetchone() == (name, POSTGRES_PORT)


def test_target_session_attrs_read_write_refuses_read_only_servers():
    """Both hosts serve a database whose sessions are read-only, as a standby's are: with
    the HA pair's ``target_session_attrs=read-write`` libpq refuses both; one host alone
    (no list, no attribute) connects, so the attribute is what refused them."""
    import psycopg

    with postgres_database("cfsl") as name:
        with psycopg.connect(host=HOST, port=POSTGRES_PORT, user="postgres", autocommit=True) as c:
            c.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        pair = {"hosts": [f"{HOST}:{POSTGRES_PORT}", f"localhost:{POSTGRES_PORT}"]}
        credentials = {**pair, "username": "postgres", "dbname": name}
        entry = databases(environ=env("pg", credentials, tags=["postgresql"]))["default"]
        assert entry["OPTIONS"] == {"target_session_attrs": "read-write"}
        with pytest.raises(OperationalError, match="read-only"), connected(entry):
            pass
        single = {"host": HOST, "port": POSTGRES_PORT, "username": "postgres", "dbname": name}
        entry = databases(environ=env("pg", single, tags=["postgresql"]))["default"]
        with connected(entry) as connection, connection.cursor() as cursor:
            cursor.execute("SHOW transaction_read_only")
            assert cursor.fetchone() == ("on",)


def test_target_session_attrs_reaches_the_writable_server():
    with postgres_database("cfsl") as name:
        uri = f"postgres://postgres@{HOST}:{POSTGRES_PORT},localhost:{POSTGRES_PORT}/{name}"
        entry = databases(environ=env("pg", {"uri": uri}, tags=["postgresql"]))["default"]
        with connected(entry) as connection, connection.cursor() as cursor:
            cursor.execute("SHOW transaction_read_only")
            assert cursor.fetchone() == ("off",)


@pytest.mark.parametrize("mode", ["require", "verify-full"])
def test_an_sslmode_entry_is_enforced_against_a_server_without_tls(tmp_path, mode):
    """The loopback server has no TLS: a binding's ``sslmode=require`` (or ``verify-full``,
    which takes the system's CA bundle) must make the connection fail, proving it is used."""
    with postgres_database("cfsl") as name:
        files = {
            "type": "postgresql",
            "host": HOST,
            "port": str(POSTGRES_PORT),
            "username": "postgres",
            "database": name,
            "sslmode": mode,
        }
        write_binding(tmp_path / "bindings", "db", files)
        entry = databases(environ={SERVICE_BINDING_ROOT: str(tmp_path / "bindings")})["db"]
        assert entry["OPTIONS"]["sslmode"] == mode
        with pytest.raises(OperationalError, match="SSL"), connected(entry):
            pass
        files["sslmode"] = "prefer"  # the same binding without the demand connects
        write_binding(tmp_path / "plain", "db", files)
        entry = databases(environ={SERVICE_BINDING_ROOT: str(tmp_path / "plain")})["db"]
        with connected(entry) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            assert cursor.fetchone() == (name,)
