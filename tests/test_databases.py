"""``databases()``: every broker payload, the precedence order, defaults and options.

Each expected entry is written out by hand from its fixture in ``tests/fixtures/vcap``.
"""

from __future__ import annotations

import json
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import caches, databases
from tests.fixtures import (
    CA_PEM,
    CLIENT_CERT_PEM,
    CLIENT_KEY_PEM,
    HOSTILE,
    HOSTILE_QUOTED,
    MYSQL_ENGINE,
    MYSQL_OPTIONS,
    POSTGRESQL_ENGINE,
    PemFile,
    assert_no_secret,
    document,
    env,
    service,
    vcap,
)

TUNING = {"CONN_MAX_AGE": 600, "CONN_HEALTH_CHECKS": True}


def mysql(name, user, password, host, port=3306, **options):
    return {
        "ENGINE": MYSQL_ENGINE,
        "NAME": name,
        "USER": user,
        "PASSWORD": password,
        "HOST": host,
        "PORT": port,
        **TUNING,
        "OPTIONS": {**MYSQL_OPTIONS, **options},
    }


def postgresql(name, user, password, host, port=5432, **options):
    return {
        "ENGINE": POSTGRESQL_ENGINE,
        "NAME": name,
        "USER": user,
        "PASSWORD": password,
        "HOST": host,
        "PORT": port,
        **TUNING,
        "OPTIONS": options,
    }


AZURE_MYSQL = "2f4d6c1c-2b5e-4a8b-9c3d-7e6f5a4b3c2d"
AZURE_PG = "d6b3f8a1-4c2e-4b7d-8e9f-1a2b3c4d5e6f"
GOOGLE_PASSWORD = "N-JPz7h2RHPZ81jB5gDHdnluddnIFMWG4nd5rKjR_8A="
IBM_HOST = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d.c1ogj3sd0tgtu0lqde00.databases.appdomain.cloud"

#: fixture -> (service name, the DATABASES entry it must produce)
BROKERS = {
    "p.mysql": (
        "orders-db",
        mysql(
            "service_instance_db",
            "7c4e1f2a9b3d4e5f8a6b",
            "Vq3xZ9kP2mL8rT5w",
            "q-n3s3y1.q-g693.bosh",
            ssl={"ca": PemFile(CA_PEM)},
            ssl_mode="VERIFY_CA",
        ),
    ),
    "p-mysql": (
        "legacy-db",
        mysql(
            "cf_2e23d10a_8738_8c3c_66cf_13e44422698c",
            "8yuBqVGRR3uKH3ha",
            "GQSTA0PSs0uzNUd0",
            "10.0.16.64",
        ),
    ),
    "cleardb": (
        "mysql-cleardb",
        mysql(
            "ad_4b2a3c4d5e6f7a8", "b5e3f7a9c1d2e4", "8f2a6c1e", "us-cdbr-iron-east-05.cleardb.net"
        ),
    ),
    "mysql-5.1": (
        "mysql-4f700",
        mysql(
            "d6d665aa69817406d8901cd145e05e3c6",
            "uB7CoL4Hxv9Ny",
            "pzAx0iaOp2yKB",
            "mysql-node01.us-east-1.aws.af.cm",
        ),
    ),
    "azure-mysql": (
        "azure-db",
        mysql(
            "u7wj8rl7ry",
            f"os5xt7b6ni@{AZURE_MYSQL}",
            "Ag4Pf2P2wZ8kLq9R",
            f"{AZURE_MYSQL}.mysql.database.azure.com",
            ssl_mode="REQUIRED",
        ),
    ),
    "google-cloudsql-mysql": (
        "gcp-mysql",
        mysql(
            "pcf-sb-2-1540412407295372465",
            "sb15404128767777",
            GOOGLE_PASSWORD,
            "10.52.0.3",
            ssl={
                "ca": PemFile(CA_PEM),
                "cert": PemFile(CLIENT_CERT_PEM),
                "key": PemFile(CLIENT_KEY_PEM),
            },
            ssl_mode="VERIFY_CA",
        ),
    ),
    "user-provided-uri": (
        "shop-db",
        mysql("shop_production", "shop", "sh0p-S3cret", "mysql.internal.example.com"),
    ),
    "elephantsql": (
        "elephantsql-c6c60",
        postgresql(
            "seilbmbd", "seilbmbd", "PHxTPJSbkcDakfK4cYwXHiIX9Q8p5Bxn", "babar.elephantsql.com"
        ),
    ),
    "aws-rds": (
        "app-db",
        postgresql(
            "cgawsbrokerprodq7w1x3z5",
            "u5m8k2p9q4w7",
            "Xk2hQ9mW4pL7nR3v",
            "cg-aws-broker-prodq7w1x3z5.ci7nkegdizyy.us-gov-west-1.rds.amazonaws.com",
        ),
    ),
    "azure-postgresql": (
        "azure-pg",
        postgresql(
            "k2p9w4xq7m",
            f"pq3m8x2k7w@{AZURE_PG}",
            "Zt8mK3qW9vR2pL5x",
            f"{AZURE_PG}.postgres.database.azure.com",
            sslmode="require",
        ),
    ),
    "google-cloudsql-postgres": (
        "gcp-pg",
        postgresql(
            "pcf-sb-2-1540412407295372465",
            "sb15404128767777",
            GOOGLE_PASSWORD,
            "10.52.0.3",
            sslmode="require",
            sslrootcert=PemFile(CA_PEM),
            sslcert=PemFile(CLIENT_CERT_PEM),
            sslkey=PemFile(CLIENT_KEY_PEM),
        ),
    ),
    "databases-for-postgresql": (
        "ibm-pg",
        postgresql(
            "ibmclouddb",
            "ibm_cloud_5b7e",
            "3f9c2e7a1b8d4f6e0a5c9b2d7e1f4a8c",
            IBM_HOST,
            31524,
            sslmode="verify-full",
            sslrootcert=PemFile(CA_PEM),
        ),
    ),
    "crunchy": (
        "crunchy-pg",
        postgresql("crunchy_app", "cu_app", "Hn7qV2xK9mT4wR8z", "10.0.8.5", 5433),
    ),
    "a9s-postgresql": (
        "a9s-pg",
        postgresql(
            "pcsd7f9f1c",
            "a9s5d7e2c4b6a8f0d1e3",
            "a9s3c1e7f0b2d4a6c8e0",
            "pcsd7f9f1c-psql-master-alias.node.dc1.a9ssvc",
        ),
    ),
    "user-provided-tag": (
        "reports-db",
        {  # port 6432: PgBouncer's, so transaction pooling is assumed (cfsettings.connections)
            **postgresql("reports", "reporter", "r3p0rt-S3cret", "pg.internal.example.com", 6432),
            "DISABLE_SERVER_SIDE_CURSORS": True,
        },
    ),
}
CACHE_FIXTURES = [
    "p.redis",
    "rediscloud",
    "databases-for-redis",
    "memcachier",
    "memcachedcloud",
    "user-provided-memcached",
]


@pytest.mark.parametrize("fixture", sorted(BROKERS))
def test_broker_payload(fixture, cert_dir):
    name, entry = BROKERS[fixture]
    result = databases(environ=vcap(document(fixture)), cert_dir=cert_dir)
    assert result == {"default": entry, name: {**entry, "TEST": {"MIRROR": "default"}}}
    assert list(result) == ["default", name]
    for path in _paths(result["default"]["OPTIONS"]):
        assert os.path.dirname(path) == cert_dir


def _paths(options):
    for value in options.values():
        if isinstance(value, dict):
            yield from _paths(value)
        elif isinstance(value, str) and os.path.isabs(value):
            yield value


@pytest.mark.parametrize("fixture", CACHE_FIXTURES)
def test_cache_payloads_are_not_databases(fixture, tmp_path):
    result = databases(environ=vcap(document(fixture)), sqlite_path=tmp_path / "app.db")
    assert result == {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "app.db")}
    }


@pytest.mark.parametrize("fixture", sorted(BROKERS))
def test_database_payloads_are_not_caches(fixture):
    assert caches(environ=vcap(document(fixture)))["default"]["BACKEND"].endswith("LocMemCache")


def test_every_fixture_has_an_expectation():
    from tests.fixtures import names

    assert sorted([*BROKERS, *CACHE_FIXTURES]) == names()


def test_certificate_directory_from_the_environment(cert_dir):
    environ = vcap(document("p.mysql"), CFSETTINGS_CERT_DIR=cert_dir)
    ca = databases(environ=environ)["default"]["OPTIONS"]["ssl"]["ca"]
    assert ca == PemFile(CA_PEM, cert_dir)


def test_certificate_directory_argument_beats_the_environment(cert_dir, tmp_path):
    other = tmp_path / "other"
    other.mkdir(mode=0o700)
    environ = vcap(document("p.mysql"), CFSETTINGS_CERT_DIR=cert_dir)
    ca = databases(environ=environ, cert_dir=str(other))["default"]["OPTIONS"]["ssl"]["ca"]
    assert ca == PemFile(CA_PEM, other)


def test_tags_say_mysql_but_the_uri_says_postgresql():
    environ = env("db", {"uri": "postgres://u:p@h.example.com/d"}, label="p.mysql", tags=["mysql"])
    assert databases(environ=environ)["default"] == postgresql("d", "u", "p", "h.example.com")


def test_ambiguous_service_is_an_error_naming_it():
    credentials = {"host": "h", "name": "d", "password": HOSTILE}
    with pytest.raises(ImproperlyConfigured) as excinfo:
        databases(environ=env("both", credentials, tags=["mysql", "postgresql"]))
    assert str(excinfo.value).startswith(
        "Service 'both' is ambiguous: tag 'mysql', tag 'postgresql'."
    )
    assert_no_secret(str(excinfo.value))


# --- several databases ---------------------------------------------------------------------

SEVERAL = vcap(document("p.mysql"), document("elephantsql"), document("user-provided-tag"))


def test_several_databases_default_is_first_by_name_and_each_is_an_alias(cert_dir):
    result = databases(environ=SEVERAL, cert_dir=cert_dir)
    assert sorted(result) == ["default", "elephantsql-c6c60", "orders-db", "reports-db"]
    # "elephantsql-c6c60" < "orders-db" < "reports-db"
    assert result["default"] == BROKERS["elephantsql"][1]
    assert result["elephantsql-c6c60"] == {
        **BROKERS["elephantsql"][1],
        "TEST": {"MIRROR": "default"},
    }
    assert result["orders-db"] == BROKERS["p.mysql"][1]  # no MIRROR: its own test database
    assert result["reports-db"] == BROKERS["user-provided-tag"][1]


def test_several_databases_alphabetical_choice_ignores_binding_order(cert_dir):
    reordered = vcap(document("user-provided-tag"), document("p.mysql"), document("elephantsql"))
    assert databases(environ=reordered, cert_dir=cert_dir) == databases(
        environ=SEVERAL, cert_dir=cert_dir
    )


def test_default_argument_chooses(cert_dir):
    result = databases("orders-db", environ=SEVERAL, cert_dir=cert_dir)
    assert result["default"] == BROKERS["p.mysql"][1]
    assert result["orders-db"]["TEST"] == {"MIRROR": "default"}
    assert "TEST" not in result["elephantsql-c6c60"]


def test_default_variable_chooses(cert_dir):
    environ = {**SEVERAL, "CFSETTINGS_DEFAULT_DATABASE": "reports-db"}
    result = databases(environ=environ, cert_dir=cert_dir)
    assert result["default"] == BROKERS["user-provided-tag"][1]
    assert result["reports-db"]["TEST"] == {"MIRROR": "default"}


def test_default_argument_beats_variable(cert_dir):
    environ = {**SEVERAL, "CFSETTINGS_DEFAULT_DATABASE": "reports-db"}
    result = databases("orders-db", environ=environ, cert_dir=cert_dir)
    assert result["default"] == BROKERS["p.mysql"][1]


def test_default_naming_an_unbound_service_is_an_error(cert_dir):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        databases("missing-db", environ=SEVERAL, cert_dir=cert_dir)
    message = str(excinfo.value)
    assert "CFSETTINGS_DEFAULT_DATABASE" in message
    assert "'missing-db'" in message
    assert "'elephantsql-c6c60', 'orders-db', 'reports-db'" in message


def test_default_naming_a_cache_is_an_error():
    environ = vcap(document("elephantsql"), document("p.redis"))
    with pytest.raises(ImproperlyConfigured, match=r"'sessions'.*'elephantsql-c6c60'"):
        databases("sessions", environ=environ)


def test_default_entry_does_not_share_options_with_its_alias(cert_dir):
    result = databases(environ=vcap(document("p.mysql")), cert_dir=cert_dir)
    result["default"]["OPTIONS"]["connect_timeout"] = 3
    result["default"]["OPTIONS"]["ssl"]["capath"] = "/etc/ssl/certs"
    assert "connect_timeout" not in result["orders-db"]["OPTIONS"]
    assert result["orders-db"]["OPTIONS"]["ssl"] == {"ca": PemFile(CA_PEM)}


def test_a_service_named_default_is_the_default_alias_itself():
    environ = vcap(
        service("default", {"uri": "postgres://u:p@db1.example.com/one"}),
        service("zz-other", {"uri": "postgres://u:p@db2.example.com/two"}),
    )
    result = databases(environ=environ)
    assert sorted(result) == ["default", "zz-other"]
    assert result["default"] == postgresql("one", "u", "p", "db1.example.com")
    assert result["zz-other"] == postgresql("two", "u", "p", "db2.example.com")


def test_choosing_another_service_than_one_named_default_is_an_error():
    environ = vcap(
        service("default", {"uri": "postgres://u:p@db1.example.com/one"}),
        service("other", {"uri": "postgres://u:p@db2.example.com/two"}),
    )
    with pytest.raises(ImproperlyConfigured, match=r"'other'.*named 'default'"):
        databases("other", environ=environ)


# --- nothing bound -------------------------------------------------------------------------


def test_nothing_bound_is_sqlite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert databases(environ={}) == {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    }


def test_sqlite_path_argument(tmp_path):
    result = databases(environ={"VCAP_SERVICES": "  "}, sqlite_path=tmp_path / "x.db")
    assert result["default"]["NAME"] == str(tmp_path / "x.db")


def test_database_url_when_nothing_is_bound():
    url = f"postgres://app:{HOSTILE_QUOTED}@db.example.com:6543/appdb?sslmode=require"
    result = databases(environ={"DATABASE_URL": f"  {url}  "})
    assert result["default"] == {
        "ENGINE": POSTGRESQL_ENGINE,
        "NAME": "appdb",
        "USER": "app",
        "PASSWORD": HOSTILE,
        "HOST": "db.example.com",
        "PORT": 6543,
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": False,
        "OPTIONS": {"sslmode": "require"},
    }


def test_database_url_mysql_gets_strict_mode_and_utf8mb4():
    result = databases(
        environ={"DATABASE_URL": "mysql://app:secret@db.example.com/appdb"},
        conn_max_age=0,
        mysql_options={"connect_timeout": 5, "charset": None},
    )
    assert result["default"]["OPTIONS"] == {
        "init_command": MYSQL_OPTIONS["init_command"],
        "connect_timeout": 5,
    }
    assert result["default"]["CONN_MAX_AGE"] == 0


def test_database_url_sqlite_is_passed_through():
    result = databases(environ={"DATABASE_URL": "sqlite:////tmp/x.db"})
    assert result["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert result["default"]["NAME"] == "/tmp/x.db"
    assert "OPTIONS" not in result["default"]


def test_database_url_is_ignored_when_a_database_is_bound():
    environ = vcap(document("elephantsql"), DATABASE_URL="mysql://a:b@elsewhere/x")
    assert databases(environ=environ)["default"]["HOST"] == "babar.elephantsql.com"


def test_database_url_is_used_when_only_caches_are_bound():
    environ = vcap(document("p.redis"), DATABASE_URL="postgres://a:b@db.example.com/x")
    assert databases(environ=environ)["default"]["HOST"] == "db.example.com"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"oracle+thin://app:{HOSTILE_QUOTED}@db/x", "it is not a database URL"),
        (f"mongodb://app:{HOSTILE_QUOTED}@db/x", "the scheme 'mongodb' is not supported"),
        (f"postgres://app:{HOSTILE_QUOTED}@db:port/x", "not a valid URL"),
        (f"postgres://app:{HOSTILE_QUOTED}@db:99999/x", "not a valid URL"),
        (f"postgres://app:{HOSTILE_QUOTED}@[::1/x", "not a valid URL"),
        (HOSTILE, "it is not a database URL"),
    ],
)
def test_database_url_errors_name_the_variable_not_the_password(url, problem):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        databases(environ={"DATABASE_URL": url})
    message = str(excinfo.value)
    assert message.startswith("DATABASE_URL cannot be read: ")
    assert problem in message
    assert_no_secret(message)


# --- options -------------------------------------------------------------------------------


def test_tuning_arguments():
    result = databases(
        environ=vcap(document("elephantsql")), conn_max_age=None, conn_health_checks=False
    )
    assert result["default"]["CONN_MAX_AGE"] is None
    assert result["default"]["CONN_HEALTH_CHECKS"] is False


def test_option_overrides_per_engine_and_none_removes(cert_dir):
    environ = vcap(document("p.mysql"), document("azure-postgresql"))
    result = databases(
        environ=environ,
        cert_dir=cert_dir,
        mysql_options={"init_command": None, "connect_timeout": 10},
        postgresql_options={"sslmode": "verify-full", "application_name": "shop"},
    )
    assert result["orders-db"]["OPTIONS"] == {
        "charset": "utf8mb4",
        "connect_timeout": 10,
        "ssl": {"ca": PemFile(CA_PEM)},
        "ssl_mode": "VERIFY_CA",
    }
    assert result["azure-pg"]["OPTIONS"] == {"sslmode": "verify-full", "application_name": "shop"}


def test_mysql_never_gets_libpq_options():
    uri = "mysql://u:p@h.example.com/db?sslmode=require&application_name=x&connect_timeout=3"
    result = databases(environ=env("db", {"uri": uri}))
    assert result["default"]["OPTIONS"] == {**MYSQL_OPTIONS, "ssl_mode": "REQUIRED"}


def test_mysql_client_certificate_without_ca(cert_dir):
    credentials = {
        "uri": "mysql://u:p@h.example.com/db",
        "client_cert": CLIENT_CERT_PEM,
        "client_key": CLIENT_KEY_PEM,
    }
    result = databases(environ=env("db", credentials), cert_dir=cert_dir)
    assert result["default"]["OPTIONS"] == {
        **MYSQL_OPTIONS,
        "ssl": {"cert": PemFile(CLIENT_CERT_PEM), "key": PemFile(CLIENT_KEY_PEM)},
    }


def test_mysql_ca_given_as_a_path_is_used_as_it_is(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text(CA_PEM)
    credentials = {"uri": "mysql://u:p@h.example.com/db", "ssl_ca": str(path)}
    result = databases(environ=env("db", credentials))
    assert result["default"]["OPTIONS"]["ssl"] == {"ca": str(path)}
    assert result["default"]["OPTIONS"]["ssl_mode"] == "VERIFY_CA"


@pytest.mark.parametrize(
    ("query", "credentials", "options"),
    [
        ("", {}, {}),
        ("?sslmode=disable", {}, {"sslmode": "disable"}),
        ("?sslmode=require", {}, {"sslmode": "require"}),
        ("", {"ssl": True}, {"sslmode": "require"}),
        ("", {"sslRequired": "true"}, {"sslmode": "require"}),
        ("?ssl=true", {}, {"sslmode": "require"}),
        ("", {"ca_certificate": CA_PEM}, {"sslmode": "verify-full", "sslrootcert": "CA"}),
        (
            "?sslmode=verify-ca",
            {"ca_certificate": CA_PEM},
            {"sslmode": "verify-ca", "sslrootcert": "CA"},
        ),
        ("?SSLMODE=require&Connect_Timeout=5", {}, {"sslmode": "require", "connect_timeout": "5"}),
        ("?reconnect=true&pool=5&ssl=false", {}, {}),
    ],
)
def test_postgresql_tls_and_libpq_options(query, credentials, options, cert_dir):
    credentials = {"uri": f"postgres://u:p@h.example.com/db{query}", **credentials}
    result = databases(environ=env("db", credentials), cert_dir=cert_dir)
    expected = {k: PemFile(CA_PEM) if v == "CA" else v for k, v in options.items()}
    assert result["default"]["OPTIONS"] == expected


def test_postgresql_pem_in_uri_query_without_discrete_fields(cert_dir):
    """A user-provided copy of Google's URI: certificates inline in the query string."""
    from urllib.parse import quote_plus

    uri = (
        f"postgres://u:p@10.0.0.3/db?sslmode=verify-ca&sslrootcert={quote_plus(CA_PEM)}"
        f"&sslcert={quote_plus(CLIENT_CERT_PEM)}&sslkey={quote_plus(CLIENT_KEY_PEM)}"
    )
    result = databases(environ=env("db", {"uri": uri}), cert_dir=cert_dir)
    assert result["default"]["OPTIONS"] == {
        "sslmode": "verify-ca",
        "sslrootcert": PemFile(CA_PEM, cert_dir),
        "sslcert": PemFile(CLIENT_CERT_PEM, cert_dir),
        "sslkey": PemFile(CLIENT_KEY_PEM, cert_dir),
    }


def test_postgresql_root_certificate_path_in_the_uri_implies_verify_full():
    uri = "postgres://u:p@h.example.com/db?sslrootcert=/etc/ssl/certs/ca-certificates.crt"
    result = databases(environ=env("db", {"uri": uri}))
    assert result["default"]["OPTIONS"] == {
        "sslrootcert": "/etc/ssl/certs/ca-certificates.crt",
        "sslmode": "verify-full",
    }


def test_errors_while_building_name_the_service_not_the_password():
    credentials = {"uri": f"postgres://u:{HOSTILE_QUOTED}@h.example.com/db", "port": "x"}
    with pytest.raises(ImproperlyConfigured) as excinfo:
        databases(environ=env("broken-db", credentials, tags=["postgresql"]))
    assert "'broken-db'" in str(excinfo.value)
    assert_no_secret(str(excinfo.value))


def test_settings_are_plain_data(cert_dir):
    """Plain data only: settings may be dumped, compared, pickled."""
    result = databases(environ=SEVERAL, cert_dir=cert_dir)
    assert json.loads(json.dumps(result)) == result
