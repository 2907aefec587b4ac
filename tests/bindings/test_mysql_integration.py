"""p-mysql's CA bundle, named only in its jdbcUrl, is enforced by the real client library."""

from __future__ import annotations

import ssl

import pytest
from django.db.utils import ConnectionHandler, OperationalError

from cfsettings import databases
from tests.fixtures import env
from tests.servers import HOST, MARIADB_PORT, mariadb_database

SYSTEM_CA = ssl.get_default_verify_paths().cafile


def connect(entry):
    connection = ConnectionHandler({"default": {**entry, "CONN_MAX_AGE": 0}})["default"]
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT DATABASE()")
            return cursor.fetchone()[0]
    finally:
        connection.close()


@pytest.mark.skipif(SYSTEM_CA is None, reason="this system has no CA bundle")
def test_server_ssl_cert_makes_mariadb_refuse_a_server_without_tls():
    """The loopback MariaDB has no TLS: with the CA bundle taken from ``serverSslCert`` the
    connection must fail; the same binding without it connects, so the CA is what refused."""
    with mariadb_database("cfsl") as name:
        jdbc = (
            f"jdbc:mysql://{HOST}:{MARIADB_PORT}/{name}?user=root&password="
            f"&useSSL=true&serverSslCert={SYSTEM_CA}"
        )
        entry = databases(environ=env("m", {"jdbcUrl": jdbc}, tags=["mysql"]))["default"]
        assert entry["OPTIONS"]["ssl"] == {"ca": SYSTEM_CA}
        assert entry["OPTIONS"]["ssl_mode"] == "VERIFY_CA"
        with pytest.raises(OperationalError):
            connect(entry)
        plain = jdbc.split("&useSSL")[0]
        entry = databases(environ=env("m", {"jdbcUrl": plain}, tags=["mysql"]))["default"]
        assert connect(entry) == name
