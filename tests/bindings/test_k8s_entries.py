"""Kubernetes (and CNB) binding entries that spring-cloud-bindings reads, read the same way."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import caches, databases
from cfsettings.bindings.service import CNB_BINDINGS, SERVICE_BINDING_ROOT
from cfsettings.bindings.sources import read_services
from tests.fixtures import CA_PEM, PemFile, peer, peer_password, write_binding

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


def bound(tmp_path, fixture, layout="k8s", name="db", files=None):
    files = files if files is not None else peer(fixture)
    write_binding(tmp_path / "bindings", name, files, layout)
    variable = SERVICE_BINDING_ROOT if layout == "k8s" else CNB_BINDINGS
    return {variable: str(tmp_path / "bindings")}


@pytest.mark.parametrize("layout", ["k8s", "cnb"])
def test_postgresql_with_sslmode_root_cert_file_and_options(tmp_path, layout, cert_dir):
    files = peer("k8s-postgresql-ssl")
    entry = databases(environ=bound(tmp_path, None, layout, files=files), cert_dir=cert_dir)["db"]
    directory = tmp_path / "bindings" / "db" / ("secret" if layout == "cnb" else "")
    assert entry["OPTIONS"] == {
        "sslmode": "verify-full",
        "sslrootcert": os.path.realpath(directory / "root.cert"),
        "options": "--cluster=routing-id -c statement_timeout=5s",
    }
    assert (entry["HOST"], entry["PORT"], entry["NAME"]) == ("pg.example.net", 5432, "test_db")
    assert entry["PASSWORD"] == peer_password(files)


def test_sslmode_require_without_a_ca_is_required(tmp_path):
    entry = databases(environ=bound(tmp_path, "k8s-postgresql-require"))["db"]
    assert entry["OPTIONS"] == {"sslmode": "require"}


def test_an_sslrootcert_entry_holding_the_pem_is_written_out(tmp_path, cert_dir):
    files = {**peer("k8s-postgresql-require"), "sslmode": "verify-ca", "sslrootcert": CA_PEM}
    entry = databases(environ=bound(tmp_path, None, files=files), cert_dir=cert_dir)["db"]
    assert entry["OPTIONS"] == {"sslmode": "verify-ca", "sslrootcert": PemFile(CA_PEM, cert_dir)}


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda d, t: (t / "outside.pem").write_text(CA_PEM) and "../../outside.pem", "outside"),
        (
            lambda d, t: (
                ((t / "o.pem").write_text(CA_PEM) and (d / "ln").symlink_to(t / "o.pem")) or "ln"
            ),
            "outside",
        ),
        (lambda d, t: (d / "sub").mkdir() or "sub", "not a regular file"),
        (lambda d, t: (d / ".h").mkdir() or os.mkfifo(d / ".h" / "p") or ".h/p", "not a regular"),
    ],
)
def test_a_certificate_file_entry_never_leaves_the_binding(tmp_path, make, problem):
    files = peer("k8s-postgresql-require")
    directory = write_binding(tmp_path / "bindings", "db", files)
    (directory / "sslrootcert").write_text(make(directory, tmp_path) + "\n")
    with pytest.raises(ImproperlyConfigured) as caught:
        read_services({SERVICE_BINDING_ROOT: str(tmp_path / "bindings")})
    message = str(caught.value)
    assert message.startswith(f"{SERVICE_BINDING_ROOT} binding 'db': the entry 'sslrootcert' names")
    assert problem in message


def test_kubernetes_data_symlinks_stay_inside(tmp_path):
    """Kubernetes projects a Secret as symlinks into ``..data``: that is inside the binding."""
    directory = write_binding(tmp_path / "bindings", "db", peer("k8s-postgresql-require"))
    real = directory / "..2026_01_01" / "root.cert"
    real.parent.mkdir()
    real.write_text(CA_PEM)
    (directory / "root.cert").symlink_to("..2026_01_01/root.cert")
    (directory / "sslrootcert").write_text("root.cert\n")
    (service,) = read_services({SERVICE_BINDING_ROOT: str(tmp_path / "bindings")})
    assert service.credentials["sslrootcert"] == str(real)


def test_a_file_name_that_is_not_there_is_an_unusable_certificate(tmp_path):
    files = {**peer("k8s-postgresql-require"), "sslrootcert": "missing.pem"}
    with pytest.raises(ImproperlyConfigured, match="neither PEM text nor an existing file"):
        databases(environ=bound(tmp_path, None, files=files))


def test_options_are_read_only_from_binding_directories():
    from tests.fixtures import env

    credentials = {"host": "h", "dbname": "d", "options": "whatever&the broker=means"}
    entry = databases(environ=env("pg", credentials, tags=["postgresql"]))["default"]
    assert entry["OPTIONS"] == {}


def test_options_in_libpq_form_pass_as_they_are(tmp_path):
    files = {**peer("k8s-postgresql-require"), "options": "-c search_path=app"}
    entry = databases(environ=bound(tmp_path, None, files=files))["db"]
    assert entry["OPTIONS"]["options"] == "-c search_path=app"


def test_options_values_with_spaces_are_escaped_and_bad_entries_refused(tmp_path):
    files = {**peer("k8s-postgresql-require"), "options": "application_name=a b&--x=1"}
    entry = databases(environ=bound(tmp_path, None, files=files))["db"]
    assert entry["OPTIONS"]["options"] == "-c application_name=a\\ b --x=1"
    files["options"] = "statement_timeout=5&junk"
    with pytest.raises(ImproperlyConfigured, match="'options' holds 'junk', which is neither"):
        databases(environ=bound(tmp_path / "2", None, files=files))


def test_mysql_r2dbc_url_states_tls(tmp_path):
    entry = databases(environ=bound(tmp_path, "k8s-mysql-r2dbc"))["db"]
    assert (entry["HOST"], entry["PORT"], entry["NAME"]) == ("my.example.net", 3307, "shop")
    assert entry["OPTIONS"]["ssl_mode"] == "REQUIRED"


def test_jdbc_url_entry_is_read_and_classifies(tmp_path):
    files = {"username": "u", "jdbc-url": "jdbc:postgresql://j.example.net:6000/jd?sslmode=require"}
    entry = databases(environ=bound(tmp_path, None, files=files))["db"]
    assert (entry["HOST"], entry["PORT"], entry["NAME"]) == ("j.example.net", 6000, "jd")
    assert entry["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("layout", ["k8s", "cnb"])
def test_redis_database_ssl_and_client_name(tmp_path, layout):
    files = peer("k8s-redis")
    entry = caches(environ=bound(tmp_path, None, layout, files=files))["db"]
    assert entry["BACKEND"] == REDIS_BACKEND
    assert entry["LOCATION"] == "rediss://cache.example.net:6380/3"
    assert entry["OPTIONS"]["client_name"] == "web-1"
    assert entry["OPTIONS"]["password"] == peer_password(files)


@pytest.mark.parametrize(
    ("fixture", "start"),
    [
        ("k8s-redis-sentinel", "the binding describes Redis Sentinel ('sentinel.master', "),
        ("k8s-redis-cluster", "the binding describes a Redis Cluster ('cluster.nodes', "),
    ],
)
def test_redis_sentinel_and_cluster_are_refused_saying_what_to_bind(tmp_path, fixture, start):
    files = peer(fixture)
    with pytest.raises(ImproperlyConfigured) as caught:
        caches(environ=bound(tmp_path, None, files=files))
    message = str(caught.value)
    assert message.startswith(f"Service 'db' (redis): {start}")
    assert "Bind " in message and " instead." in message
    assert peer_password(files) not in message


def test_vcap_redis_sentinel_is_refused():
    from tests.fixtures import vcap

    doc = peer("redis-sentinel")
    with pytest.raises(
        ImproperlyConfigured, match=r"Redis Sentinel \('sentinels', 'master_name'\)"
    ):
        caches(environ=vcap(doc))


def test_cnb_layout_reads_kind_provider_and_tags(tmp_path):
    root = tmp_path / "cnb"
    directory = write_binding(
        root,
        "orders",
        {"type": "postgresql", "provider": "crunchy", "host": "h", "database": "d"},
        "cnb",
    )
    (directory / "metadata" / "tags").write_text("primary\nha, blue\n")
    (service,) = read_services({CNB_BINDINGS: str(root)})
    assert (service.name, service.label, service.tags, service.source) == (
        "orders",
        "postgresql",
        ["primary", "ha", "blue", "postgresql"],
        CNB_BINDINGS,
    )
    assert service.credentials == {"host": "h", "database": "d"}
    assert service.from_directory


def test_cnb_binding_without_secrets_and_a_missing_root(tmp_path):
    root = tmp_path / "cnb"
    (root / "empty" / "metadata").mkdir(parents=True)
    (root / "empty" / "metadata" / "kind").write_text("mysql")
    (root / "empty" / "metadata" / "tags").write_text("mysql")
    (service,) = read_services({CNB_BINDINGS: str(root)})
    assert (service.credentials, service.tags) == ({}, ["mysql"])
    assert read_services({CNB_BINDINGS: str(tmp_path / "none")}) == []


def test_cnb_binding_without_metadata_is_refused(tmp_path):
    (tmp_path / "cnb" / "db" / "secret").mkdir(parents=True)
    with pytest.raises(ImproperlyConfigured, match=r"CNB_BINDINGS binding 'db' metadata cannot"):
        read_services({CNB_BINDINGS: str(tmp_path / "cnb")})
