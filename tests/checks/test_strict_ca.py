"""Bound CAs that Python 3.13's strict certificate checks reject: named at deploy time.

OpenSSL itself (``openssl verify -x509_strict``) is the judge of which CAs are rejected; the
check must agree with it. Against a real redis-server on loopback: a lax CA (no keyUsage, as
``openssl req -x509`` makes by default) fails on Python 3.13 exactly as E004 says, and a CA
made the way real CAs are works with no message.
"""

from __future__ import annotations

import ssl
import subprocess
import sys
import uuid

import pytest
from django.core.cache import CacheHandler
from hypothesis import given
from hypothesis import strategies as st

from cfsettings import caches
from cfsettings.checks import check_cfsettings
from cfsettings.checks.strict_ca import ca_text, check_strict_cas, python_verifies_strictly
from cfsettings.checks.strict_ca import strict_problems as problems
from cfsettings.resolve import resolve
from tests.fixtures import CA_PEM, env
from tests.servers import HOST
from tests.tlskit import (
    LAX_CA,
    SERVER,
    STRICT_CA,
    make_ca,
    make_cert,
    require_tools,
    tls_redis_server,
)

STRICT_IDS = ("cfsettings.E004", "cfsettings.W004")
ROOT = STRICT_CA
NO_CERT_SIGN = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature\n"
NOT_CRITICAL = "basicConstraints=CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
NOT_A_CA = "keyUsage=critical,keyCertSign,cRLSign\n"
NO_SKI = "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\nsubjectKeyIdentifier=none\n"
NO_AKI = STRICT_CA.replace("keyid:always", "none")

CASES = {
    "strict": (STRICT_CA, []),
    "lax": (LAX_CA, ["the CA has no keyUsage extension (keyCertSign, cRLSign)"]),
    "no-cert-sign": (NO_CERT_SIGN, ["the CA has a keyUsage without keyCertSign"]),
    "not-critical": (NOT_CRITICAL, ["the CA has basicConstraints that is not marked critical"]),
    "not-a-ca": (NOT_A_CA, ["the CA is not marked as a CA (no basicConstraints CA:TRUE)"]),
    "no-ski": (NO_SKI, ["the CA has no subjectKeyIdentifier extension"]),
}


def openssl_accepts(directory, bundle, leaf) -> bool:
    """What OpenSSL says with the flags Python 3.13 sets (strict, partial chain)."""
    result = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-partial_chain", "-CAfile", bundle, leaf],
        cwd=directory,
        capture_output=True,
        text=True,
    )
    return result.returncode == 0


@pytest.mark.parametrize("case", CASES)
def test_the_check_agrees_with_openssl(tmp_path, case):
    require_tools()
    extensions, expected = CASES[case]
    ca = make_ca(tmp_path, "ca", extensions)
    make_cert(tmp_path, "leaf", "ca")
    assert problems(ca) == expected
    assert openssl_accepts(tmp_path, "ca.pem", "leaf.pem") is (expected == [])


def test_a_bound_intermediate_is_a_trust_anchor(tmp_path):
    """With partial chains (Python sets both flags) a bound intermediate is an anchor, whose
    authorityKeyIdentifier OpenSSL does not require; a complete chain would need it."""
    require_tools()
    root = make_ca(tmp_path, "root", ROOT)
    intermediate = make_cert(tmp_path, "inter", "root", NO_AKI)
    make_cert(tmp_path, "leaf", "inter")
    (tmp_path / "bundle.pem").write_text(root + intermediate)
    assert problems(root + intermediate) == []
    assert openssl_accepts(tmp_path, "bundle.pem", "leaf.pem")
    lax = make_cert(tmp_path, "lax", "root", LAX_CA.replace(":always", ""))
    make_cert(tmp_path, "leaf2", "lax")
    (tmp_path / "bundle2.pem").write_text(root + lax)
    assert problems(root + lax) == [
        "certificate 2 of 2 has no keyUsage extension (keyCertSign, cRLSign)"
    ]
    assert not openssl_accepts(tmp_path, "bundle2.pem", "leaf2.pem")


def test_a_version_1_certificate_cannot_be_a_ca(tmp_path):
    require_tools()
    make_ca(tmp_path, "root")
    version_1 = make_cert(tmp_path, "old", "root", extensions=None)
    assert problems(version_1) == [
        "the CA is an X.509 version 1 certificate, which has no extensions and cannot be a CA"
    ]


def test_the_fixture_ca_is_made_like_a_real_one():
    assert problems(CA_PEM) == []


@pytest.mark.parametrize(
    "body", ["AAAA", "not base64 at all!", "MIIBnzCCAUWgAwIBAgIU", "MAA=", "MAMwAQA="]
)
def test_an_unreadable_certificate_is_said_so(body):
    pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    assert problems(pem) == ["the CA is not a readable certificate"]


@given(st.binary(max_size=300))
def test_any_bytes_give_words_never_an_exception(data):
    import base64

    pem = f"-----BEGIN CERTIFICATE-----\n{base64.b64encode(data).decode()}\n"
    pem += "-----END CERTIFICATE-----\n"
    assert all(isinstance(text, str) for text in problems(pem + CA_PEM))


def test_python_313_and_newer_verify_strictly():
    assert python_verifies_strictly() is (sys.version_info >= (3, 13))


def test_ca_text_reads_inline_pem_or_a_brokers_file(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text(CA_PEM)
    assert ca_text(CA_PEM) == CA_PEM
    assert ca_text(str(path)) == CA_PEM
    assert ca_text(str(tmp_path / "missing.pem")) is None
    assert ca_text("ca.pem") is None  # neither PEM nor a path cfsettings would use


# --- the system check ---------------------------------------------------------------------


def matches(environ):
    """Every bound service as the checks' entry point resolves it."""
    return resolve(environ).services


@pytest.fixture(scope="module")
def lax_ca(tmp_path_factory):
    require_tools()
    return make_ca(tmp_path_factory.mktemp("lax"), "lax", LAX_CA)


@pytest.mark.parametrize(("strict", "level"), [(True, "E004"), (False, "W004")])
def test_error_where_python_is_strict_warning_elsewhere(lax_ca, strict, level):
    environ = env("sessions", {"host": "h.example.com", "tls_ca": lax_ca}, tags=["redis"])
    (message,) = check_strict_cas(matches(environ), strict=strict)
    assert message.id == f"cfsettings.{level}"
    assert "'sessions'" in message.msg
    assert "the CA has no keyUsage extension" in message.msg
    assert "ssl.VERIFY_X509_STRICT" in message.msg
    assert "README" in message.hint and "keyUsage keyCertSign" in message.hint


def test_a_ca_the_broker_names_by_path_is_read(lax_ca, tmp_path):
    path = tmp_path / "broker-ca.pem"
    path.write_text(lax_ca)
    environ = env("sessions", {"host": "h.example.com", "tls_ca": str(path)}, tags=["redis"])
    assert [m.id for m in check_strict_cas(matches(environ), strict=True)] == ["cfsettings.E004"]


@pytest.mark.parametrize(
    ("credentials", "tags"),
    [
        ({"uri": "postgres://u@h/d", "sslrootcert": "LAX"}, ["postgres"]),  # libpq: not strict
        ({"host": "h.example.com"}, ["redis"]),  # no CA
        ({"host": "h.example.com", "tls_ca": CA_PEM}, ["redis"]),  # a sound CA
        ({"host": "h.example.com", "port": "not a port", "tls_ca": "LAX"}, ["redis"]),
    ],
    ids=["postgres", "no-ca", "sound-ca", "unreadable-binding"],
)
def test_no_message(lax_ca, credentials, tags):
    credentials = {key: lax_ca if value == "LAX" else value for key, value in credentials.items()}
    assert check_strict_cas(matches(env("svc", credentials, tags=tags)), strict=True) == []


# --- against a real redis-server over TLS --------------------------------------------------


@pytest.fixture(scope="module", params=["strict", "lax"])
def tls_redis(request, tmp_path_factory):
    """A redis-server speaking TLS, its certificate signed by a strict or a lax CA."""
    require_tools()
    directory = tmp_path_factory.mktemp(f"{request.param}-redis")
    ca = make_ca(directory, "ca", STRICT_CA if request.param == "strict" else LAX_CA)
    make_cert(directory, "server", "ca", SERVER)
    with tls_redis_server(directory, "server", "ca") as port:
        yield request.param, port, ca


def test_what_the_check_says_is_what_the_connection_does(tls_redis, tmp_path):
    import redis

    kind, port, ca = tls_redis
    environ = env("sessions", {"host": HOST, "tls_port": port, "tls_ca": ca}, tags=["redis"])
    reported = [m for m in check_cfsettings(None, environ=environ) if m.id in STRICT_IDS]
    handler = CacheHandler(caches(environ=environ, cert_dir=str(tmp_path)))
    key = f"cfs-strict-{uuid.uuid4().hex}"
    try:
        if kind == "strict":
            assert reported == []
            handler["default"].set(key, "ok", 30)
            assert handler["default"].get(key) == "ok"
            handler["default"].delete(key)
        elif python_verifies_strictly():
            assert [m.id for m in reported] == ["cfsettings.E004"]
            with pytest.raises(redis.ConnectionError, match="key usage"):
                handler["default"].set(key, "never stored", 30)
            # The README's opt-out, which is the project's to write: then it connects.
            opted_out = caches(
                environ=environ,
                cert_dir=str(tmp_path),
                redis_options={"ssl_exclude_verify_flags": [ssl.VERIFY_X509_STRICT]},
            )
            handler.close_all()
            handler = CacheHandler(opted_out)
            handler["default"].set(key, "ok", 30)
            assert handler["default"].get(key) == "ok"
            handler["default"].delete(key)
        else:  # not strict yet: it still works, and the warning says it will not
            assert [m.id for m in reported] == ["cfsettings.W004"]
            handler["default"].set(key, "ok", 30)
            assert handler["default"].get(key) == "ok"
            handler["default"].delete(key)
    finally:
        handler.close_all()
