"""Hostile input: arbitrary passwords never leak, arbitrary JSON never crashes, size is bounded.

Property-based (hypothesis, a bounded number of examples so CI stays fast) plus one run each
of the huge and deep documents.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import shutil
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cfsettings import allowed_hosts, caches, databases
from cfsettings.bindings.sources import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_SERVICES,
    VCAP_APPLICATION,
    VCAP_SERVICES,
    read_services,
)
from cfsettings.checks import check_cfsettings
from cfsettings.explain.cli import run
from cfsettings.explain.render import render_json
from cfsettings.explain.report import build_report
from cfsettings.resolve import resolve
from tests.fixtures import CA_PEM

CERT_DIR = tempfile.mkdtemp(prefix="cfsettings-hostile-")
atexit.register(shutil.rmtree, CERT_DIR, ignore_errors=True)
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies --------------------------------------------------------------------------------

#: Passwords as hostile as text gets: any character but surrogates (which no broker can send
#: through a UTF-8 variable), reserved URI characters, quotes, escapes, newlines, the mask.
passwords = st.text(min_size=8, max_size=40).filter(lambda p: p.strip("* \t\r\n"))
service_names = st.text(min_size=1, max_size=20)
hostnames = st.from_regex(r"\A[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}\Z")

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)

#: Credential keys and values the readers look at, so arbitrary documents reach deep code.
KEYS = [
    "uri",
    "url",
    "jdbcUrl",
    "redisUri",
    "host",
    "hostname",
    "hosts",
    "port",
    "tls_port",
    "username",
    "user",
    "password",
    "name",
    "database",
    "servers",
    "ssl",
    "sslmode",
    "tls",
    "ca_certificate",
    "sslcert",
    "sslkey",
    "connection",
    "composed",
    "authentication",
    "certificate",
    "certificate_base64",
    "PrivateKeyData",
]
SCHEMES = [
    "mysql",
    "postgres",
    "postgresql",
    "redis",
    "rediss",
    "memcached",
    "http",
    "ftp",
    "jdbc:mysql",
]
uri_values = st.builds(
    lambda scheme, user, password, host, port, path, query: (
        f"{scheme}://{user}:{password}@{host}{port}/{path}{query}"
    ),
    st.sampled_from(SCHEMES),
    st.text(max_size=6),
    st.text(max_size=6),
    st.text(max_size=12),
    st.sampled_from(["", ":", ":0", ":5432", ":99999", ":x", ":-1"]),
    st.text(max_size=8),
    st.sampled_from(["", "?sslmode=require", "?password=p&user=u", "?ssl=true", "?%zz", "?a"]),
)
credential_values = (
    json_values
    | uri_values
    | st.sampled_from(
        [
            CA_PEM,
            CA_PEM.replace("\n", "\\n"),
            "-----BEGIN X-----\n\ud800\n-----END X-----",
            "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t",
            "/etc/hostname",
            "/no/such/file",
            "[::1]:11211",
            "h1:1, h2",
            "true",
            "false",
        ]
    )
)
credentials = st.recursive(
    st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), credential_values, max_size=6),
    lambda children: st.dictionaries(
        st.sampled_from(["connection", "postgres", "mysql", "redis", "tls", "cert"]),
        children,
        max_size=2,
    ),
    max_leaves=3,
)
LABELS = ["p.mysql", "p.redis", "user-provided", "elephantsql", "memcachier", "mysql-5.1", "x"]
TAGS = ["mysql", "postgres", "postgresql", "redis", "memcached", "mariadb", "other"]
instances = st.fixed_dictionaries(
    {"name": service_names},
    optional={
        "label": st.sampled_from(LABELS) | json_scalars,
        "tags": st.lists(st.sampled_from(TAGS), max_size=3) | json_values,
        "plan": json_scalars,
        "credentials": credentials | json_values,
        "instance_name": service_names,
    },
)
shaped_documents = st.dictionaries(
    st.sampled_from(LABELS), st.lists(instances | json_values, max_size=3), max_size=3
)
applications = json_values | st.fixed_dictionaries(
    {"application_uris": st.lists(st.text(max_size=20), max_size=3) | json_values}
)
environments = st.fixed_dictionaries(
    {
        VCAP_SERVICES: st.one_of(
            shaped_documents.map(json.dumps), json_values.map(json.dumps), st.text(max_size=50)
        )
    },
    optional={
        VCAP_APPLICATION: applications.map(json.dumps),
        "DATABASE_URL": uri_values | st.text(max_size=20),
        "REDIS_URL": uri_values | st.text(max_size=20),
        "CFSETTINGS_DEFAULT_DATABASE": service_names,
        "CFSETTINGS_DEFAULT_CACHE": service_names,
        "CF_INSTANCE_INTERNAL_IP": st.text(max_size=15),
    },
)


# --- helpers -----------------------------------------------------------------------------------


@contextmanager
def captured_logs() -> Iterator[list[str]]:
    """Every log record (any logger, any level) emitted meanwhile, formatted."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def everything_shown(environ: dict[str, str]) -> list[str]:
    """Every text cfsettings can show for ``environ``: exception messages, reprs, explain as
    text and as JSON, check messages. Raises if anything raises but ImproperlyConfigured."""
    shown: list[str] = []
    environ = {**environ, "CFSETTINGS_CERT_DIR": CERT_DIR}
    for build in (
        lambda: databases(environ=environ),
        lambda: caches(environ=environ),
        lambda: allowed_hosts(environ=environ),
    ):
        try:
            build()
        except ImproperlyConfigured as exc:
            shown.append(str(exc))
            shown.append(repr(exc))
    shown.append(repr(resolve(environ)))  # every service, decision, endpoint and error
    out = io.StringIO()
    run({"json": False}, out, environ=environ)
    shown.append(out.getvalue())
    shown.append(render_json(build_report(environ)))
    json.loads(shown[-1])
    shown.extend(str(message) for message in check_cfsettings(None, environ=environ))
    return shown


def count(texts: list[str], needle: str) -> int:
    return sum(text.count(needle) for text in texts)


def assert_never_shown(environ_with: Any, password: str) -> None:
    """No output for ``environ_with(password)`` shows the password, nor its URI spelling,
    except as often as the same outputs for an unrelated password show it: a password that
    happens to be a word cfsettings always prints ("postgres", "services") reveals nothing."""
    spellings = {password, quote(password, safe="")}
    with captured_logs() as logs:
        shown = everything_shown(environ_with(password)) + logs
    leaked = [form for form in spellings if count(shown, form)]
    if not leaked:
        return
    other = "Unrelated-Zq9-" + "x" * len(password)
    with captured_logs() as logs:
        baseline = everything_shown(environ_with(other)) + logs
    for form in leaked:
        assert count(shown, form) <= count(baseline, form), f"{form!r} leaked"


# --- properties --------------------------------------------------------------------------------


@EXAMPLES
@given(password=passwords, names=st.lists(service_names, min_size=3, max_size=3, unique=True))
def test_no_output_shows_an_arbitrary_password(password, names):
    assume(all(password not in name for name in names))
    assert_never_shown(lambda secret: hostile_environment(secret, names), password)


def hostile_environment(password: str, names: list[str]) -> dict[str, str]:
    quoted = quote(password, safe="")
    doc = {
        "p.mysql": [
            {
                "name": names[0],
                "tags": ["mysql"],
                "credentials": {
                    "hostname": "db.example.com",
                    "port": 3306,
                    "name": "app",
                    "username": "app",
                    "password": password,
                    "uri": f"mysql://app:{quoted}@db.example.com:3306/app",
                    "jdbcUrl": f"jdbc:mysql://db.example.com/app?user=app&password={quoted}",
                },
            }
        ],
        "p.redis": [
            {
                "name": names[1],
                "tags": ["redis"],
                "credentials": {"host": "cache.example.com", "password": password, "port": "x"},
            }
        ],
        "user-provided": [
            {"name": names[2], "credentials": {"api_token": password, "note": "no kind"}}
        ],
    }
    return {
        VCAP_SERVICES: json.dumps(doc),
        VCAP_APPLICATION: json.dumps({"application_uris": ["app.example.com"]}),
        "DATABASE_URL": f"postgres://u:{quoted}@elsewhere.example.com/db",
    }


@EXAMPLES
@given(password=passwords)
@example(password="postgres")  # found by CI: it masked the kind "postgresql" explain looked up
def test_a_password_repeated_in_an_innocent_field_is_masked_there_too(password):
    def environ_with(secret: str) -> dict[str, str]:
        quoted = quote(secret, safe="")
        doc = {
            "elephantsql": [
                {
                    "name": "db",
                    "credentials": {
                        "uri": f"postgres://user:{quoted}@db.example.com/{quoted}",
                        "comment": f"password is {secret}",
                    },
                }
            ]
        }
        return {VCAP_SERVICES: json.dumps(doc)}

    assert_never_shown(environ_with, password)


def test_the_differential_oracle_does_catch_a_leak():
    """The properties above forgive words cfsettings always prints; a real leak still fails."""
    with pytest.raises(AssertionError, match="leaked"):
        assert_never_shown(
            lambda secret: {VCAP_SERVICES: json.dumps({"x": [{"name": secret}]})},
            "a-service-name-is-no-secret",
        )


@EXAMPLES
@given(environ=environments)
def test_arbitrary_json_gives_settings_or_improperly_configured(environ):
    everything_shown(environ)  # raises on any exception but ImproperlyConfigured


@EXAMPLES
@given(doc=json_values)
def test_arbitrary_json_documents(doc):
    everything_shown({VCAP_SERVICES: json.dumps(doc), VCAP_APPLICATION: json.dumps(doc)})


def test_unpaired_surrogates_in_a_certificate_are_a_clear_error():
    """Found while writing these tests: JSON may escape a lone surrogate, which no PEM file
    can hold; writing it raised UnicodeEncodeError instead of naming the service."""
    pem = "-----BEGIN CERTIFICATE-----\n\ud800\n-----END CERTIFICATE-----"
    credentials = {"uri": "mysql://u:p@h/d", "ca_certificate": pem}
    doc = {"p.mysql": [{"name": "db", "credentials": credentials}]}
    environ = {VCAP_SERVICES: json.dumps(doc), "CFSETTINGS_CERT_DIR": CERT_DIR}
    with pytest.raises(ImproperlyConfigured, match=r"'db' \(mysql\): the CA certificate is not"):
        databases(environ=environ)


# --- size and depth ------------------------------------------------------------------------------


def big_document(services: int, size: int) -> str:
    """A VCAP_SERVICES of ``services`` realistic bindings, padded to about ``size`` bytes."""
    padding = "x" * max(0, size // services - 210)
    kinds = [
        ("p.mysql", "mysql", "mysql://u:{pw}@db{i}.example.com:3306/app"),
        ("elephantsql", "postgres", "postgres://u:{pw}@pg{i}.example.com:5432/app"),
        ("p.redis", "redis", "rediss://:{pw}@cache{i}.example.com:6380/0"),
        ("memcachier", "memcached", "memcached://mc{i}.example.com:11211"),
    ]
    doc: dict[str, list[Any]] = {}
    for index in range(services):
        label, tag, uri = kinds[index % len(kinds)]
        doc.setdefault(label, []).append(
            {
                "name": f"service-{index:04d}",
                "label": label,
                "tags": [tag],
                "plan": "large",
                "credentials": {
                    "uri": uri.format(pw=f"secret-{index:04d}-Zq9", i=index),
                    "password": f"secret-{index:04d}-Zq9",
                    "notes": padding,
                },
            }
        )
    return json.dumps(doc)


def test_ten_megabytes_and_a_thousand_services_in_bounded_time_and_memory():
    text = big_document(1000, 10_000_000)
    assert 9_900_000 < len(text) <= MAX_DOCUMENT_BYTES
    environ = {
        VCAP_SERVICES: text,
        "CFSETTINGS_DEFAULT_DATABASE": "service-0001",
        "CFSETTINGS_DEFAULT_CACHE": "service-0002",
    }
    tracemalloc.start()
    started = time.perf_counter()
    try:
        dbs = databases(environ=environ)
        cache = caches(environ=environ)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(dbs) == 501 and len(cache) == 501
    assert dbs["default"]["HOST"] == "pg1.example.com"
    assert elapsed < 20, f"{elapsed:.1f}s"  # about 1 s here; tracing makes it slower
    assert peak < 8 * len(text), f"peak {peak / 1e6:.0f} MB for a {len(text) / 1e6:.0f} MB doc"


def test_explain_of_a_thousand_services_is_bounded():
    environ = {VCAP_SERVICES: big_document(1000, 1_000_000)}
    started = time.perf_counter()
    out = io.StringIO()
    assert run({"json": False}, out, environ=environ) == 0
    assert time.perf_counter() - started < 30
    text = out.getvalue()
    assert "Services (1000)" in text and "secret-0999-Zq9" not in text


def test_a_document_over_the_limit_is_refused_before_parsing():
    text = " " * MAX_DOCUMENT_BYTES + "{}"
    started = time.perf_counter()
    with pytest.raises(ImproperlyConfigured) as caught:
        read_services({VCAP_SERVICES: text})
    assert time.perf_counter() - started < 1
    assert str(caught.value) == (
        "VCAP_SERVICES is larger than 10 MiB; cfsettings refuses to read it."
    )
    with pytest.raises(ImproperlyConfigured, match="VCAP_APPLICATION is larger than 10 MiB"):
        allowed_hosts(environ={VCAP_APPLICATION: text})


def test_too_many_services_are_refused():
    doc = {"user-provided": [{"name": f"s{index}"} for index in range(MAX_SERVICES + 1)]}
    with pytest.raises(ImproperlyConfigured, match=r"VCAP_SERVICES binds more than 10000"):
        read_services({VCAP_SERVICES: json.dumps(doc)})


@pytest.mark.parametrize(
    ("depth", "message"),
    [
        (MAX_DEPTH + 1, "'n' in VCAP_SERVICES: 'credentials' are nested more than 64 levels"),
        (100_000, "VCAP_SERVICES is nested too deeply to read."),
    ],
)
def test_deep_nesting_is_refused(depth, message):
    text = '{"x": [{"name": "n", "credentials": {"a": ' + "[" * depth + "]" * depth + "}}]}"
    with pytest.raises(ImproperlyConfigured, match=message):
        read_services({VCAP_SERVICES: text})


def test_deep_nesting_outside_the_credentials_is_never_kept():
    """Only a service's credentials are kept (and walked later); json refuses the absurd."""
    deep = "[" * (MAX_DEPTH * 2) + "]" * (MAX_DEPTH * 2)
    text = '{"x": [{"name": "n", "volume_mounts": ' + deep + ', "credentials": {}}]}'
    (service,) = read_services({VCAP_SERVICES: text})
    assert (service.name, service.credentials) == ("n", {})


def test_deep_nesting_of_vcap_application_is_refused():
    text = '{"application_uris": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}"
    with pytest.raises(ImproperlyConfigured, match="VCAP_APPLICATION is nested more than 64"):
        allowed_hosts(environ={VCAP_APPLICATION: text})


def test_nesting_at_the_limit_is_read():
    depth = MAX_DEPTH - 4  # the document's own four levels, then the credential
    text = '{"x": [{"name": "n", "credentials": {"a": ' + "[" * depth + "]" * depth + "}}]}"
    (service,) = read_services({VCAP_SERVICES: text})
    assert service.name == "n"
    out = io.StringIO()
    run({"json": True}, out, environ={VCAP_SERVICES: text})
    assert json.loads(out.getvalue())["services"][0]["ignored"]
