"""The guard that proves the suite leaves other projects' data alone can itself fail."""

from __future__ import annotations

import pytest

from tests import servers


def test_a_changed_foreign_database_fails_the_run():
    import MySQLdb

    changed = pytest.raises(pytest.fail.Exception, match=r"another project's data on \['MariaDB'\]")
    with changed, servers.foreign_data() as names:
        conn = MySQLdb.connect(
                host=servers.HOST, port=servers.MARIADB_PORT, user="root", passwd="",
                db=names["MariaDB"],
            )  # fmt: skip
        try:
            conn.cursor().execute("DELETE FROM django_migrations")
            conn.commit()
        finally:
            conn.close()


def test_foreign_data_is_there_during_the_run_and_gone_after():
    import redis

    client = redis.Redis(host=servers.HOST, port=servers.REDIS_PORT)
    try:
        with servers.foreign_data() as names:
            assert client.get(names["Redis"]) == b"foreign"
        assert client.get(names["Redis"]) is None
    finally:
        client.close()
