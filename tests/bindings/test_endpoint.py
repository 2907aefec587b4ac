"""Reading one service's credentials into an ``Endpoint``: every field rule and variant."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.classify import Match
from cfsettings.bindings.endpoint import read_endpoint
from cfsettings.bindings.sources import Service
from tests.fixtures import (
    CA_PEM,
    CLIENT_CERT_PEM,
    CLIENT_KEY_PEM,
    HOSTILE,
    HOSTILE_QUOTED,
    assert_no_secret,
)


def read(credentials, kind="postgresql", name="svc"):
    return read_endpoint(Match(Service(name, "user-provided", [], credentials), kind, "test"))


def facts(endpoint):
    return {
        "host": endpoint.host,
        "port": endpoint.port,
        "username": endpoint.username,
        "password": endpoint.password,
        "database": endpoint.database,
    }


def error(credentials, kind="postgresql", name="svc"):
    """The message of the error ``credentials`` raise, with ``HOSTILE`` as the password."""
    with pytest.raises(ImproperlyConfigured) as excinfo:
        read({"password": HOSTILE, **credentials}, kind, name)
    message = str(excinfo.value)
    assert_no_secret(message)
    return message


# --- precedence ----------------------------------------------------------------------------


def test_discrete_fields_beat_the_uri_and_the_uri_fills_the_gaps():
    credentials = {
        "uri": "postgres://uri-user:uri-pw@uri-host:1111/uri-db",
        "hostname": "field-host",
        "password": "field-pw",
    }
    assert facts(read(credentials)) == {
        "host": "field-host",
        "port": 1111,
        "username": "uri-user",
        "password": "field-pw",
        "database": "uri-db",
    }


def test_uri_beats_jdbc_url_and_jdbc_url_fills_the_gaps():
    credentials = {
        "jdbcUrl": "jdbc:postgresql://jdbc-host:2222/jdbc-db?user=jdbc-user&password=jdbc-pw",
        "uri": "postgres://uri-user@uri-host/uri-db",
    }
    assert facts(read(credentials)) == {
        "host": "uri-host",
        "port": 2222,
        "username": "uri-user",
        "password": "jdbc-pw",
        "database": "uri-db",
    }


def test_jdbc_url_alone_carries_the_login_in_its_query():
    credentials = {
        "jdbc_url": "jdbc:mysql://db.example.com:3307/app?user=app&password=s3cret&useSSL=true"
    }
    endpoint = read(credentials, "mysql")
    assert facts(endpoint) == {
        "host": "db.example.com",
        "port": 3307,
        "username": "app",
        "password": "s3cret",
        "database": "app",
    }
    assert endpoint.params == {"useSSL": "true"}
    assert endpoint.tls is True


def test_jdbc_url_of_another_engine_is_ignored():
    credentials = {"hostname": "h", "name": "d", "jdbcUrl": "jdbc:postgresql://x:1/y?user=z"}
    assert facts(read(credentials, "mysql")) == {
        "host": "h",
        "port": 3306,
        "username": "",
        "password": "",
        "database": "d",
    }


def test_mariadb_scheme_is_mysql():
    endpoint = read({"uri": "mariadb://u:p@h/d", "jdbcUrl": "jdbc:mariadb://x:3310/y"}, "mysql")
    assert (endpoint.host, endpoint.port, endpoint.database) == ("h", 3310, "d")


def test_keys_are_case_insensitive_and_the_first_spelling_wins():
    credentials = {"HostName": "first", "hostname": "second", "PORT": "5433", "Name": "db"}
    endpoint = read(credentials)
    assert (endpoint.host, endpoint.port, endpoint.database) == ("first", 5433, "db")


def test_uri_without_a_host_leaves_it_to_the_fields():
    endpoint = read({"uri": "postgres://app:pw@:6543/d", "host": "field-host"})
    assert (endpoint.host, endpoint.port, endpoint.database) == ("field-host", 6543, "d")
    assert "no host" in error({"uri": "postgres:///d"})


def test_empty_fields_do_not_hide_the_uri():
    credentials = {"uri": "postgres://u:p@h:1/d", "host": "", "port": None, "password": ""}
    assert facts(read(credentials)) == {
        "host": "h",
        "port": 1,
        "username": "u",
        "password": "p",
        "database": "d",
    }


@pytest.mark.parametrize(
    "key", ["url", "postgresUri", "postgres_url", "POSTGRESQL_URI", "pgsqlUrl"]
)
def test_uri_keys(key):
    assert read({key: "postgres://u:p@h/d"}).host == "h"


def test_other_keys_holding_a_uri_are_not_read():
    assert "no host" in error({"databaseUri": "postgres://u:p@h/d", "read_uri": "postgres://h/d"})


def test_a_dashboard_link_is_not_the_connection_uri():
    credentials = {
        "url": "https://dashboard.example.com/instances/1",
        "postgresUri": "postgres://u:p@db.example.com/d",
    }
    assert read(credentials).host == "db.example.com"


def test_a_dashboard_link_alone_is_ignored():
    credentials = {"uri": "https://dashboard.example.com", "host": "h", "name": "d"}
    assert facts(read(credentials))["host"] == "h"


# --- hosts and ports -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "port"), [("mysql", 3306), ("postgresql", 5432), ("redis", 6379), ("memcached", 11211)]
)
def test_missing_port_is_the_engine_default(kind, port):
    assert read({"host": "h", "name": "d"}, kind).port == port


@pytest.mark.parametrize(
    ("value", "port"), [(5433, 5433), ("5433", 5433), (" 5433 ", 5433), (65535, 65535), (1, 1)]
)
def test_port_as_number_or_string(value, port):
    assert read({"host": "h", "name": "d", "port": value}).port == port


def test_db_port_and_db_host():
    endpoint = read({"db_host": "crunchy", "db_port": "5433", "db_name": "d"})
    assert (endpoint.host, endpoint.port, endpoint.database) == ("crunchy", 5433, "d")


@pytest.mark.parametrize(
    "value", ["x", "0", "65536", "-1", "54 32", "5432.0", "²", "٣٣٠٦", True, 5432.5, [5432], {}]
)
def test_bad_port_names_service_and_field(value):
    message = error({"host": "h", "name": "d", "port": value, "password": HOSTILE})
    assert message == "Service 'svc' (postgresql): 'port' is not a port number."


def test_bad_db_port_names_that_field():
    message = error({"host": "h", "name": "d", "db_port": "five"})
    assert message == "Service 'svc' (postgresql): 'db_port' is not a port number."


@pytest.mark.parametrize("port", ["port", "99999", "65536", "0", "-5", "\u00b2", "٣٣٠٦", "5432.0"])
def test_bad_port_in_the_uri(port):
    message = error({"uri": f"postgres://u:{HOSTILE_QUOTED}@h:{port}/d"})
    assert message == "Service 'svc' (postgresql): 'uri' is not a valid URI (bad host or port)."


@pytest.mark.parametrize(
    ("credentials", "host", "port"),
    [
        ({"host": "2001:db8::1"}, "2001:db8::1", 5432),
        ({"host": "[2001:db8::1]"}, "2001:db8::1", 5432),
        ({"host": "2001:db8::1", "port": 6543}, "2001:db8::1", 6543),
        ({"uri": "postgres://u:p@[2001:db8::1]:6543/d"}, "2001:db8::1", 6543),
        ({"hosts": ["[2001:db8::1]:6543"]}, "2001:db8::1", 6543),
        ({"hosts": ["[2001:db8::1]"]}, "2001:db8::1", 5432),
        ({"hosts": ["2001:db8::1"]}, "2001:db8::1", 5432),
        ({"hosts": ["h1.example.com:6543", "h2.example.com"]}, "h1.example.com", 6543),
        ({"hosts": ["h1.example.com"]}, "h1.example.com", 5432),
        ({"hosts": [{"hostname": "h1", "port": "6543"}]}, "h1", 6543),
        ({"hosts": [{"host": "h1"}]}, "h1", 5432),
        ({"hosts": [{"hostname": "h1", "port": 1}], "port": 2}, "h1", 2),
        ({"hosts": ["h1:1"], "host": "primary"}, "primary", 5432),
        ({"hosts": [], "uri": "postgres://u@h/d"}, "h", 5432),
    ],
)
def test_host_forms(credentials, host, port):
    endpoint = read({"name": "d", **credentials})
    assert (endpoint.host, endpoint.port) == (host, port)


@pytest.mark.parametrize(
    ("hosts", "field"),
    [
        ([{"hostname": "h", "port": "x"}], "'hosts[0].port' is not a port number"),
        (["h:x"], "'hosts[0]' is not a port number"),
        (["[::1]:"], "'hosts[0]' is not a port number"),
        ([["h"]], "'hosts[0]' must be a string"),
        ([{"hostname": ["h"]}], "'hosts[0]' must be a string"),
    ],
)
def test_bad_hosts(hosts, field):
    assert error({"hosts": hosts, "name": "d"}) == f"Service 'svc' (postgresql): {field}."


def test_hosts_entry_without_a_name_is_no_host():
    assert "no host" in error({"hosts": [{"port": 1}], "name": "d"})


@pytest.mark.parametrize(
    "uri",
    [
        "postgres://u@[::1/d",
        "postgres://u@::1]/d",
        "postgres://u@[not-an-address]/d",
        "postgres://u@x[::1]/d",
        "postgres://u@[::1]x/d",
    ],
)
def test_bad_brackets_in_the_uri(uri):
    message = error({"uri": uri})
    assert message == "Service 'svc' (postgresql): 'uri' is not a valid URI (bad host or port)."


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("postgres://u@Cache.Example.COM/d", ("cache.example.com", 5432, "u", "", "d")),
        ("postgres://u@h:/d", ("h", 5432, "u", "", "d")),
        ("postgres://u@[2001:DB8::1]:/d", ("2001:db8::1", 5432, "u", "", "d")),
        ("postgres://u:p:q@h@i:1/d", ("i", 1, "u", "p:q@h", "d")),
        ("postgres://:pw@h/d", ("h", 5432, "", "pw", "d")),
        ("  \tpostgres://h\n/d?x#frag  ", ("h", 5432, "", "", "d")),
    ],
)
def test_uri_parts(uri, expected):
    endpoint = read({"uri": uri})
    got = (endpoint.host, endpoint.port, endpoint.username, endpoint.password, endpoint.database)
    assert got == expected


def test_uri_query_pairs_keep_blanks_and_decode_once():
    endpoint = read({"uri": "postgres://h/d?a=1&b=&c&&d=x+y%20z&e=%2541&a=2"})
    assert endpoint.params == {"a": "2", "b": "", "c": "", "d": "x y z", "e": "%41"}


# --- percent-decoding and hostile passwords --------------------------------------------------


def test_uri_is_percent_decoded_exactly_once():
    endpoint = read({"uri": "postgres://us%2541er%40srv:p%2541ss@h/my%2520db"})
    assert endpoint.username == "us%41er@srv"
    assert endpoint.password == "p%41ss"
    assert endpoint.database == "my%20db"


def test_discrete_fields_are_never_decoded():
    endpoint = read({"host": "h", "name": "d%41", "username": "u%40s", "password": "p%41+"})
    assert (endpoint.username, endpoint.password, endpoint.database) == ("u%40s", "p%41+", "d%41")


@pytest.mark.parametrize(
    "password",
    [HOSTILE, "a@b:c/d#e%f?g+h", "with space", "%41", "ünïcødé-密码", "+plus+", "colon:only"],
)
def test_hostile_passwords_in_uri_and_fields(password):
    from urllib.parse import quote

    in_uri = read({"uri": f"postgres://app:{quote(password, safe='')}@h:1/d"})
    in_field = read({"uri": "postgres://app@h:1/d", "password": password})
    as_number = read({"host": "h", "name": "d", "password": 12345})
    assert in_uri.password == password
    assert in_field.password == password
    assert as_number.password == "12345"


def test_unencoded_characters_that_urls_tolerate():
    endpoint = read({"uri": "postgres://app:p+ss:wörd@h/d"})
    assert endpoint.password == "p+ss:wörd"


def test_jdbc_query_values_are_decoded_once():
    jdbc = f"jdbc:mysql://h/d?user=app%40x&password={HOSTILE_QUOTED}"
    endpoint = read({"jdbcUrl": jdbc}, "mysql")
    assert (endpoint.username, endpoint.password) == ("app@x", HOSTILE)


def test_endpoint_repr_hides_the_password():
    endpoint = read({"uri": f"postgres://app:{HOSTILE_QUOTED}@h:1/d", "ca_cert": CA_PEM})
    text = repr(endpoint)
    assert text == (
        "Endpoint(service='svc', kind='postgresql', host='h', port=1, database='d', "
        "tls=True, password='********')"
    )
    assert_no_secret(text)
    assert "BEGIN" not in text
    assert "password" not in repr(read({"host": "h", "name": "d"}))


# --- databases, and what Redis and Memcached do not read ------------------------------------


@pytest.mark.parametrize("key", ["database", "dbname", "db_name", "database_name", "name", "db"])
def test_database_name_keys(key):
    assert read({"host": "h", key: "app"}).database == "app"


def test_google_name_is_a_service_account_not_a_database():
    google = {"host": "10.0.0.3", "Name": "pcf-binding-1", "PrivateKeyData": "e30="}
    assert "no database name" in error(google)
    assert read({**google, "database_name": "real"}).database == "real"
    assert read({**google, "uri": "postgres://u@h/from-uri"}).database == "from-uri"
    assert read({"host": "h", "Name": "db"}).database == "db"


def test_redis_reads_no_database_fields_only_the_uri_path():
    assert read({"host": "h", "name": "3", "database": "4"}, "redis").database == ""
    assert read({"uri": "redis://h/5", "database": "4"}, "redis").database == "5"


def test_redis_tls_port_wins_and_turns_tls_on():
    endpoint = read({"host": "h", "port": 6379, "tls_port": 6380}, "redis")
    assert (endpoint.port, endpoint.tls) == (6380, True)
    assert read({"host": "h", "port": 6379}, "redis").tls is None
    assert read({"host": "h", "tls_port": ""}, "redis").port == 6379


def test_tls_port_means_nothing_to_a_database():
    endpoint = read({"host": "h", "name": "d", "port": 5432, "tls_port": 6543})
    assert (endpoint.port, endpoint.tls) == (5432, None)


def test_bad_tls_port():
    message = error({"host": "h", "tls_port": "tls"}, "redis")
    assert message == "Service 'svc' (redis): 'tls_port' is not a port number."


def test_memcached_servers_need_no_host():
    endpoint = read({"servers": "a:1,b [::1]", "username": "u", "password": "p"}, "memcached")
    assert endpoint.servers == ["a:1", "b:11211", "[::1]:11211"]
    assert (endpoint.host, endpoint.username, endpoint.password) == ("", "u", "p")


@pytest.mark.parametrize(
    ("servers", "problem"),
    [
        ({"a": 1}, "'servers' must be a list or a string"),
        (11211, "'servers' must be a list or a string"),
        ([["a"]], "'servers' must be a string"),
        (["a:b"], "'servers' is not a port number"),
        (["[::1"], "'servers' is not a host or host:port"),
    ],
)
def test_bad_memcached_servers(servers, problem):
    message = error({"servers": servers, "password": HOSTILE}, "memcached")
    assert message == f"Service 'svc' (memcached): {problem}."


def test_memcached_empty_servers_fall_back_to_host():
    endpoint = read({"servers": [], "host": "h"}, "memcached")
    assert (endpoint.servers, endpoint.host, endpoint.port) == ([], "h", 11211)


# --- TLS -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "fields", "tls"),
    [
        ("", {}, None),
        ("?sslmode=require", {}, True),
        ("?sslmode=verify-full", {}, True),
        ("?sslmode=prefer", {}, None),
        ("?sslmode=disable", {}, False),
        ("?ssl-mode=REQUIRED", {}, True),
        ("?ssl_mode=required", {}, True),
        ("?ssl-mode=DISABLED", {}, False),
        ("?useSSL=true", {}, True),
        ("?useSSL=false", {}, False),
        ("?requireSSL=true", {}, True),
        ("?ssl=1", {}, True),
        ("?useSSL=false&requireSSL=true", {}, True),
        ("", {"sslRequired": True}, True),
        ("", {"ssl_required": "TRUE"}, True),
        ("", {"ssl": False}, False),
        ("", {"tls": "false"}, False),
        ("", {"tls": "yes"}, True),
        ("", {"ssl": "on"}, True),
        ("", {"ssl": "1"}, True),
        ("", {"ssl": 1}, True),
        ("", {"ssl": "Enabled"}, True),
        ("", {"ssl": "off"}, False),
        ("", {"ssl": "no"}, False),
        ("", {"ssl": 0}, False),
        ("", {"ssl": "maybe"}, None),
        ("", {"ssl": ["yes"]}, None),
        ("?sslmode=require", {"ssl": False}, False),
        ("?sslmode=disable", {"ssl": True}, True),
        ("", {"ssl": False, "ca_certificate": CA_PEM}, True),
    ],
)
def test_tls_detection(query, fields, tls):
    assert read({"uri": f"postgres://u@h/d{query}", **fields}).tls is tls


def test_rediss_scheme_is_tls():
    assert read({"uri": "rediss://h:6380"}, "redis").tls is True
    assert read({"uri": "redis://h:6379"}, "redis").tls is None


@pytest.mark.parametrize(
    "key", ["ca_certificate", "ca_cert", "cacert", "CaCert", "cacrt", "sslrootcert", "ssl_ca"]
)
def test_ca_keys(key):
    endpoint = read({"host": "h", "name": "d", key: CA_PEM})
    assert (endpoint.ca, endpoint.tls) == (CA_PEM, True)


def test_tanzu_nested_ca():
    endpoint = read({"hostname": "h", "name": "d", "tls": {"cert": {"ca": CA_PEM}}}, "mysql")
    assert (endpoint.ca, endpoint.tls) == (CA_PEM, True)


def test_tls_object_without_a_ca_is_no_flag():
    assert read({"host": "h", "name": "d", "tls": {"cert": {}}}).tls is None
    assert read({"host": "h", "name": "d", "tls": {}}).tls is None


def test_ca_with_escaped_newlines_is_repaired():
    escaped = CA_PEM.strip().replace("\n", "\\n")
    assert "\n" not in escaped
    assert read({"host": "h", "name": "d", "ca_cert": escaped}).ca == CA_PEM


def test_ca_without_trailing_newline_gets_one():
    assert read({"host": "h", "name": "d", "ca_cert": "  " + CA_PEM.strip()}).ca == CA_PEM


def test_ca_given_as_base64():
    encoded = base64.b64encode(CA_PEM.encode()).decode()
    assert read({"host": "h", "name": "d", "ca_cert": encoded}).ca == CA_PEM


def test_ca_given_as_an_existing_absolute_path(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text(CA_PEM)
    assert read({"host": "h", "name": "d", "sslrootcert": str(path)}).ca == str(path)


@pytest.mark.parametrize(
    "value",
    [
        "ca.pem",
        "/nonexistent/ca.pem",
        "not a certificate",
        base64.b64encode(b"plain text, not PEM").decode(),
        base64.b64encode("\u00e9\u00e9".encode("latin-1")).decode(),
    ],
)
def test_unusable_ca_is_an_error(value):
    message = error({"host": "h", "name": "d", "password": HOSTILE, "ca_cert": value})
    assert message == (
        "Service 'svc' (postgresql): the CA certificate is neither PEM text nor an existing file."
    )


def test_ca_with_an_unpaired_surrogate_is_refused():
    """JSON may escape a lone surrogate (\\ud800): no file can hold such a string."""
    broken = json.loads(json.dumps(CA_PEM).replace("MII", "\\ud800MII", 1))
    message = error({"host": "h", "name": "d", "ca_cert": broken})
    assert message == (
        "Service 'svc' (postgresql): the CA certificate is not valid text (unpaired surrogates)."
    )


def test_ca_of_the_wrong_type():
    message = error({"host": "h", "name": "d", "ca_cert": {"pem": CA_PEM}})
    assert message == "Service 'svc' (postgresql): 'CA certificate' must be a string."


def test_client_certificate_and_key():
    credentials = {"host": "h", "name": "d", "sslcert": CLIENT_CERT_PEM, "ssl_key": CLIENT_KEY_PEM}
    endpoint = read(credentials)
    assert (endpoint.client_cert, endpoint.client_key) == (CLIENT_CERT_PEM, CLIENT_KEY_PEM)
    assert endpoint.ca is None
    assert endpoint.tls is None


def test_unusable_client_key():
    message = error({"host": "h", "name": "d", "clientkey": "secret-key-text"})
    assert message == (
        "Service 'svc' (postgresql): the client key is neither PEM text nor an existing file."
    )


# --- IBM Cloud Databases -------------------------------------------------------------------


def ibm(block, **extra):
    return {"connection": {"cli": {"composed": ["psql ..."]}, "postgres": block}, **extra}


def test_ibm_nested_block_fills_every_fact():
    block = {
        "authentication": {"username": "admin", "password": HOSTILE},
        "certificate": {"certificate_base64": base64.b64encode(CA_PEM.encode()).decode()},
        "composed": ["postgres://ignored:ignored@uri-host:1/uri-db?sslmode=verify-full"],
        "database": "ibmclouddb",
        "hosts": [{"hostname": "ibm-host", "port": 31524}],
    }
    endpoint = read(ibm(block))
    assert facts(endpoint) == {
        "host": "ibm-host",
        "port": 31524,
        "username": "admin",
        "password": HOSTILE,
        "database": "ibmclouddb",
    }
    assert (endpoint.ca, endpoint.tls, endpoint.params) == (
        CA_PEM,
        True,
        {"sslmode": "verify-full"},
    )


def test_ibm_top_level_fields_beat_the_nested_block():
    block = {"authentication": {"username": "nested"}, "composed": ["postgres://u@h/d"]}
    assert read(ibm(block, username="top")).username == "top"


@pytest.mark.parametrize(
    "block",
    [
        {"composed": [], "authentication": "x", "certificate": "y"},
        {"composed": "postgres://u@h/d", "certificate": {"name": "no base64"}},
        {"authentication": {}},
    ],
)
def test_ibm_partial_blocks(block):
    endpoint = read(ibm(block, host="h", name="d"))
    assert (endpoint.host, endpoint.username, endpoint.ca) == ("h", "", None)


def test_ibm_two_engine_blocks_are_not_guessed_between():
    credentials = {
        "connection": {
            "postgres": {"composed": ["postgres://u@h1/d"]},
            "mysql": {"composed": ["mysql://u@h2/d"]},
        }
    }
    assert "no host" in error(credentials)


def test_ibm_bad_base64_certificate():
    block = {"composed": ["postgres://u@h/d"], "certificate": {"certificate_base64": "%%%"}}
    message = error(ibm(block))
    assert message == "Service 'svc' (postgresql): 'certificate_base64' is not valid base64."


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "problem"),
    [
        ({"host": ["h"], "name": "d"}, "'host' must be a string"),
        ({"host": "h", "name": "d", "password": True}, "'password' must be a string"),
        (
            {"host": "h", "name": "d", "username": None, "user": {"n": 1}},
            "'username' must be a string",
        ),
        ({"host": "h", "name": ["d"]}, "'database' must be a string"),
        ({"uri": ["postgres://u@h/d"]}, "'uri' must be a string"),
        ({"uri": 42}, "'uri' is not a URI (it has no scheme)"),
        ({"jdbcUrl": ["jdbc:postgresql://h/d"]}, "'jdbcUrl' must be a string"),
        ({"uri": "mysql://u@h/d"}, "'uri' has the scheme 'mysql', not one of postgresql's"),
        ({"uri": "10.0.0.1:5432"}, "'uri' is not a URI (it has no scheme)"),
        ({"uri": "postgres://u@[::1/d"}, "'uri' is not a valid URI (bad host or port)"),
        ({"jdbcUrl": "jdbc:postgresql://h:x/d"}, "'jdbcUrl' is not a valid URI (bad host or port)"),
        (
            {"name": "d"},
            "the credentials have no host (looked for host, hostname, hosts, uri)",
        ),
        (
            {"host": "h"},
            "the credentials have no database name (looked for name, database, dbname, "
            "db_name, database_name, db and the path of uri)",
        ),
        ({"uri": "postgres://u@h/"}, "the credentials have no database name"),
    ],
)
def test_bad_credentials_name_service_and_field(credentials, problem):
    message = error({"password": HOSTILE, **credentials}, name="orders")
    assert message.startswith(f"Service 'orders' (postgresql): {problem}")


def test_a_hostile_password_inside_a_broken_uri_is_not_shown():
    for uri in (
        f"postgres://app:{HOSTILE}@h:5432/d",  # unencoded: urlsplit sees a bad port
        f"mysql://app:{HOSTILE_QUOTED}@h/d",
        f"postgres://app:{HOSTILE_QUOTED}@h:{HOSTILE_QUOTED}/d",
    ):
        error({"uri": uri})


def test_endpoint_defaults():
    endpoint = read({"host": "h"}, kind="redis")
    assert (endpoint.host, endpoint.port, endpoint.tls, endpoint.ca, endpoint.servers) == (
        "h",
        6379,
        None,
        None,
        [],
    )
    assert (endpoint.hosts, endpoint.client_cert, endpoint.client_key) == ((), None, None)
