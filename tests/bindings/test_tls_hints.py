"""TLS hints brokers leave outside the usual fields, each turned into the strongest check."""

from __future__ import annotations

import ssl
from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import databases
from cfsettings.bindings.classify import Match
from cfsettings.bindings.endpoint import read_endpoint
from cfsettings.bindings.service import Service
from tests.fixtures import CA_PEM, HOSTILE, HOSTILE_QUOTED, PemFile, env, peer, vcap

SYSTEM_CA = ssl.get_default_verify_paths().cafile


def read(credentials, kind="postgresql"):
    return read_endpoint(Match(Service("svc", "user-provided", [], credentials), kind, "test"))


def test_server_ssl_cert_in_a_jdbc_url_is_the_ca(tmp_path):
    """p-mysql: the CA bundle is named only in ``jdbcUrl`` (MariaDB Connector/J's
    ``serverSslCert``): it becomes the CA, so mysqlclient verifies the server."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(CA_PEM)
    doc = peer("p-mysql-tls")
    credentials = doc["p-mysql"][0]["credentials"]
    credentials["jdbcUrl"] = credentials["jdbcUrl"].replace(
        "/etc/ssl/certs/ca-certificates.crt", str(bundle)
    )
    entry = databases(environ=vcap(doc))["default"]
    assert entry["OPTIONS"]["ssl"] == {"ca": str(bundle)}
    assert entry["OPTIONS"]["ssl_mode"] == "VERIFY_CA"


def test_server_ssl_cert_may_hold_the_pem_itself(cert_dir):
    jdbc = "jdbc:mysql://h/d?serverSslCert=" + quote(CA_PEM, safe="")
    entry = databases(environ=env("m", {"jdbcUrl": jdbc}, tags=["mysql"]), cert_dir=cert_dir)
    assert entry["default"]["OPTIONS"]["ssl"] == {"ca": PemFile(CA_PEM, cert_dir)}


def test_an_unusable_server_ssl_cert_is_an_error():
    with pytest.raises(ImproperlyConfigured) as caught:
        read({"jdbcUrl": "jdbc:mysql://h/d?serverSslCert=/nonexistent/ca.pem"}, "mysql")
    assert str(caught.value) == (
        "Service 'svc' (mysql): the CA certificate in 'serverSslCert' is neither PEM text nor "
        "an existing file."
    )


@pytest.mark.skipif(SYSTEM_CA is None, reason="this system has no CA bundle")
@pytest.mark.parametrize(
    ("credentials", "kind"),
    [
        ({"uri": "postgres://h/d?sslmode=verify-full"}, "postgresql"),
        ({"uri": "postgres://h/d?sslmode=verify-ca"}, "postgresql"),
        ({"host": "h", "dbname": "d", "sslmode": "verify-full"}, "postgresql"),
        ({"uri": "mysql://h/d?ssl-mode=VERIFY_IDENTITY"}, "mysql"),
        ({"jdbcUrl": "jdbc:mysql://h/d?sslMode=VERIFY_CA"}, "mysql"),
    ],
)
def test_a_verifying_mode_without_a_ca_uses_the_system_trust_store(credentials, kind):
    endpoint = read(credentials, kind)
    assert (endpoint.ca, endpoint.tls) == (SYSTEM_CA, True)


def test_verify_full_becomes_libpq_options_with_the_system_bundle():
    environ = env("pg", {"uri": "postgres://h/d?sslmode=verify-full"}, tags=["postgresql"])
    assert databases(environ=environ)["default"]["OPTIONS"] == {
        "sslmode": "verify-full",
        "sslrootcert": SYSTEM_CA,
    }


def test_a_bound_ca_or_sslrootcert_parameter_is_never_replaced_by_the_system_store(cert_dir):
    assert read({"uri": "postgres://h/d?sslmode=verify-full", "ca_cert": CA_PEM}).ca == CA_PEM
    endpoint = read({"uri": "postgres://h/d?sslmode=verify-ca&sslrootcert=/etc/x.pem"})
    assert endpoint.ca is None


def test_without_a_system_bundle_a_verifying_mode_is_refused(monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/bundle.pem")
    paths = ssl.get_default_verify_paths()
    if paths.cafile is not None:
        pytest.skip("this Python finds a bundle even so")
    with pytest.raises(ImproperlyConfigured) as caught:
        read({"uri": "postgres://h/d?sslmode=verify-full"})
    assert str(caught.value) == (
        "Service 'svc' (postgresql): the TLS mode verifies the server's certificate, but the "
        "binding has no CA certificate and this system has no CA bundle (set SSL_CERT_FILE, or "
        "bind the CA as sslrootcert)."
    )


def test_a_postgresql_uri_may_carry_the_login_in_its_query():
    endpoint = read({"uri": f"postgres://h/d?user=app&password={HOSTILE_QUOTED}&sslmode=require"})
    assert (endpoint.username, endpoint.password) == ("app", HOSTILE)
    assert endpoint.params == {"sslmode": "require"}  # never copied into OPTIONS
    both = read({"uri": f"postgres://u:p@h/d?password={HOSTILE_QUOTED}"})
    assert (both.username, both.password) == ("u", HOSTILE)


def test_a_mysql_uri_query_password_is_not_a_login():
    endpoint = read({"uri": "mysql://u:p@h/d?password=x"}, "mysql")
    assert endpoint.password == "p"


@pytest.mark.parametrize(
    ("flag", "mode"), [("yes", "require"), ("on", "require"), ("1", "require")]
)
def test_ssl_words_demand_tls(flag, mode):
    environ = env("pg", {"uri": "postgres://h/d", "ssl": flag}, tags=["postgresql"])
    assert databases(environ=environ)["default"]["OPTIONS"] == {"sslmode": mode}
