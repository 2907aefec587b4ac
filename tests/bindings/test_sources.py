"""Where bindings come from: VCAP_SERVICES_FILE_PATH, VCAP_SERVICES, SERVICE_BINDING_ROOT.

Every broker fixture must give the same DATABASES and CACHES whichever way it is delivered.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import caches, databases
from cfsettings.bindings.k8s import CF_BINDING_METADATA
from cfsettings.bindings.sources import (
    CNB_BINDINGS,
    MAX_BINDING_FILES,
    MAX_DOCUMENT_BYTES,
    SERVICE_BINDING_ROOT,
    SOURCES,
    VCAP_SERVICES,
    VCAP_SERVICES_FILE_PATH,
    Service,
    binding_source,
    load_json,
    read_services,
)
from tests.fixtures import HOSTILE, document, names

CF_RESERVED = ("binding-guid", "instance-guid", "name", "label", "tags", "plan", "type")


def write_cf_bindings(root: Path, doc: dict[str, Any]) -> None:
    """Lay ``doc`` out as Cloud Foundry's ``service-binding-k8s`` feature does: a directory
    per binding, a file per top-level credential (nested values as JSON), then the binding's
    own attributes, which overwrite credentials of the same name."""
    for label, instances in doc.items():
        for raw in instances:
            directory = root / (raw.get("binding_name") or raw["name"])
            directory.mkdir(parents=True)
            files = {
                key: value if isinstance(value, str) else json.dumps(value)
                for key, value in raw["credentials"].items()
            }
            files.update(
                {
                    "binding-guid": raw.get("binding_guid") or "0b7c5d52",
                    "instance-guid": raw.get("instance_guid") or "6d3f1a2b",
                    "instance-name": raw.get("instance_name") or raw["name"],
                    "name": raw["name"],
                    "label": raw.get("label", label),
                    "tags": json.dumps(raw.get("tags") or []),
                    "plan": raw.get("plan") or "",
                    "type": raw.get("label", label),
                    "provider": raw.get("label", label),
                }
            )
            for name, content in files.items():
                (directory / name).write_text(content)


def write_k8s_binding(root: Path, name: str, files: dict[str, str]) -> Path:
    """A binding as Kubernetes projects a Secret: the files are symlinks into a hidden,
    timestamped directory reached through the ``..data`` symlink, each ending in a newline."""
    directory = root / name
    real = directory / "..2026_01_01_00_00_00.000000001"
    real.mkdir(parents=True)
    (directory / "..data").symlink_to(real.name)
    for key, content in files.items():
        (real / key).write_text(content + "\n")
        (directory / key).symlink_to(f"..data/{key}")
    return directory


def settings_of(environ: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    return databases(environ=environ, cert_dir=environ.get("CERT_DIR")), caches(
        environ=environ, cert_dir=environ.get("CERT_DIR")
    )


# --- precedence ------------------------------------------------------------------------------


def test_precedence_is_file_then_variable_then_binding_root_then_cnb():
    assert SOURCES == (VCAP_SERVICES_FILE_PATH, VCAP_SERVICES, SERVICE_BINDING_ROOT, CNB_BINDINGS)
    every = {name: "x" for name in SOURCES}
    assert binding_source(every) == (
        VCAP_SERVICES_FILE_PATH,
        [VCAP_SERVICES, SERVICE_BINDING_ROOT, CNB_BINDINGS],
    )
    assert binding_source({CNB_BINDINGS: "/c", SERVICE_BINDING_ROOT: "/b"}) == (
        SERVICE_BINDING_ROOT,
        [CNB_BINDINGS],
    )
    assert binding_source({VCAP_SERVICES: "{}", SERVICE_BINDING_ROOT: "/b"}) == (
        VCAP_SERVICES,
        [SERVICE_BINDING_ROOT],
    )
    assert binding_source({SERVICE_BINDING_ROOT: "/b"}) == (SERVICE_BINDING_ROOT, [])
    # blank counts as unset, as it does for VCAP_SERVICES alone
    assert binding_source({VCAP_SERVICES_FILE_PATH: " ", VCAP_SERVICES: "\n"}) == (None, [])
    assert read_services({VCAP_SERVICES_FILE_PATH: " ", VCAP_SERVICES: ""}) == []


def test_the_first_source_set_is_the_only_one_read(tmp_path):
    file = tmp_path / "vcap_services"
    file.write_text(json.dumps(document("p.mysql")))
    write_k8s_binding(tmp_path / "root", "cache", {"type": "redis", "host": "r.internal"})
    environ = {
        VCAP_SERVICES_FILE_PATH: str(file),
        VCAP_SERVICES: json.dumps(document("elephantsql")),
        SERVICE_BINDING_ROOT: str(tmp_path / "root"),
    }
    services = read_services(environ)
    assert [(s.name, s.source) for s in services] == [("orders-db", VCAP_SERVICES_FILE_PATH)]
    del environ[VCAP_SERVICES_FILE_PATH]
    assert [s.source for s in read_services(environ)] == [VCAP_SERVICES]
    del environ[VCAP_SERVICES]
    assert [(s.name, s.source) for s in read_services(environ)] == [("cache", SERVICE_BINDING_ROOT)]


# --- VCAP_SERVICES_FILE_PATH -----------------------------------------------------------------


@pytest.mark.parametrize("fixture", names())
def test_file_gives_the_same_settings_as_the_variable(tmp_path, fixture):
    text = json.dumps(document(fixture))
    path = tmp_path / "vcap_services"
    path.write_text(text)
    certs = str(tmp_path / "certs")
    from_variable = settings_of({VCAP_SERVICES: text, "CERT_DIR": certs})
    from_file = settings_of({VCAP_SERVICES_FILE_PATH: str(path), "CERT_DIR": certs})
    assert from_file == from_variable
    assert {s.source for s in read_services({VCAP_SERVICES_FILE_PATH: str(path)})} == {
        VCAP_SERVICES_FILE_PATH
    }


def test_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "vcap_services"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(document("p.redis")).encode())
    assert [s.name for s in read_services({VCAP_SERVICES_FILE_PATH: str(path)})] == ["sessions"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "cannot be read: No such file or directory."),
        (lambda p: p.mkdir(), "is not a regular file (it is a directory)"),
        (lambda p: p.write_bytes(b'{"x": "\xff"}'), "is not UTF-8 text."),
        (lambda p: p.write_text('{"label": [{"password": "' + HOSTILE), "is not valid JSON"),
        (lambda p: p.write_text("[]"), "must be a JSON object mapping service labels"),
    ],
)
def test_file_problems_name_the_variable_and_path_but_not_the_content(tmp_path, make, message):
    path = tmp_path / "vcap_services"
    make(path)
    with pytest.raises(ImproperlyConfigured) as caught:
        read_services({VCAP_SERVICES_FILE_PATH: str(path)})
    text = str(caught.value)
    assert text.startswith(VCAP_SERVICES_FILE_PATH)
    assert message in text
    assert HOSTILE not in text and "password" not in text


def test_file_larger_than_the_limit_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "vcap_services"
    with path.open("wb") as handle:  # sparse: 1 GiB on paper, nothing on disk
        handle.truncate(1024 * 1024 * 1024)
    with pytest.raises(ImproperlyConfigured, match=r"larger than 10 MiB; cfsettings refuses"):
        read_services({VCAP_SERVICES_FILE_PATH: str(path)})


def test_a_device_that_never_ends_is_refused(tmp_path):
    with pytest.raises(
        ImproperlyConfigured, match=r"\('/dev/zero'\) is not a regular file \(it is a character"
    ):
        read_services({VCAP_SERVICES_FILE_PATH: "/dev/zero"})


# --- SERVICE_BINDING_ROOT --------------------------------------------------------------------


def without_reserved(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as Cloud Foundry's binding files carry it: a credential named like one of the
    binding's attributes (the 2012 format's ``name``, the database) is overwritten, so lost."""
    return {
        label: [
            {
                **raw,
                "credentials": {
                    key: value
                    for key, value in raw["credentials"].items()
                    if key not in CF_BINDING_METADATA
                },
            }
            for raw in instances
        ]
        for label, instances in doc.items()
    }


def outcome(environ: dict[str, str]) -> Any:
    try:
        return settings_of(environ)
    except ImproperlyConfigured as exc:
        return str(exc)


@pytest.mark.parametrize("fixture", names())
def test_binding_root_written_by_cloud_foundry_gives_the_same_settings(tmp_path, fixture):
    doc = document(fixture)
    write_cf_bindings(tmp_path / "bindings", doc)
    certs = str(tmp_path / "certs")
    from_variable = outcome({VCAP_SERVICES: json.dumps(without_reserved(doc)), "CERT_DIR": certs})
    from_root = outcome({SERVICE_BINDING_ROOT: str(tmp_path / "bindings"), "CERT_DIR": certs})
    assert from_root == from_variable
    if without_reserved(doc) == doc:  # nothing lost: exactly what VCAP_SERVICES gives
        assert from_root == settings_of({VCAP_SERVICES: json.dumps(doc), "CERT_DIR": certs})
    services = read_services({SERVICE_BINDING_ROOT: str(tmp_path / "bindings")})
    expected = read_services({VCAP_SERVICES: json.dumps(doc)})
    assert [(s.name, s.label, s.plan, s.source) for s in services] == [
        (s.name, s.label, s.plan, SERVICE_BINDING_ROOT) for s in expected
    ]
    for service, original in zip(services, expected, strict=True):
        assert set(original.tags) <= set(service.tags)
        for key in CF_RESERVED:  # the attributes are metadata, never credentials
            assert key not in service.credentials


def test_kubernetes_bindings_of_every_kind(tmp_path):
    root = tmp_path / "bindings"
    write_k8s_binding(
        root,
        "orders-db",
        {
            "type": "postgresql",
            "provider": "bitnami",
            "host": "pg.orders.svc",
            "port": "5432",
            "database": "orders",
            "username": "app",
            "password": HOSTILE,
        },
    )
    write_k8s_binding(
        root,
        "legacy-db",
        {
            "type": "mysql",
            "uri": "mysql://legacy:pw@mysql.legacy.svc:3307/legacy",
            "name": "legacy",  # outside Cloud Foundry, ``name`` is a credential
        },
    )
    write_k8s_binding(root, "sessions", {"type": "redis", "host": "redis.svc", "port": "6380"})
    write_k8s_binding(root, "fragments", {"type": "memcached", "host": "mc.svc"})
    write_k8s_binding(root, "events", {"type": "kafka", "bootstrap-servers": "k.svc:9092"})
    (root / "stray-file").write_text("ignored: a binding is a directory")
    (root / ".hidden").mkdir()
    (root / "dangling").symlink_to(root / "nowhere")

    services = read_services({SERVICE_BINDING_ROOT: str(root)})
    assert [(s.name, s.label, s.tags) for s in services] == [
        ("events", "kafka", ["kafka"]),
        ("fragments", "memcached", ["memcached"]),
        ("legacy-db", "mysql", ["mysql"]),
        ("orders-db", "postgresql", ["postgresql"]),
        ("sessions", "redis", ["redis"]),
    ]
    orders = services[3]
    assert orders.credentials == {
        "host": "pg.orders.svc",
        "port": "5432",
        "database": "orders",
        "username": "app",
        "password": HOSTILE,  # the trailing newline is gone, nothing else
    }
    assert HOSTILE not in repr(orders)

    dbs = databases(environ={SERVICE_BINDING_ROOT: str(root)})
    assert (dbs["orders-db"]["HOST"], dbs["orders-db"]["PORT"]) == ("pg.orders.svc", 5432)
    assert (dbs["orders-db"]["NAME"], dbs["orders-db"]["PASSWORD"]) == ("orders", HOSTILE)
    assert (dbs["legacy-db"]["NAME"], dbs["legacy-db"]["PORT"]) == ("legacy", 3307)
    assert dbs["default"]["NAME"] == "legacy"  # first by name
    cache = caches(environ={SERVICE_BINDING_ROOT: str(root)})
    assert cache["sessions"]["LOCATION"] == "redis://redis.svc:6380/0"
    assert cache["fragments"]["LOCATION"] == "mc.svc:11211"


def test_binding_root_values_json_only_where_cloud_foundry_writes_json(tmp_path):
    root = tmp_path / "bindings"
    write_k8s_binding(
        root,
        "db",
        {
            "type": "postgresql",
            "hosts": '["h1.example.com", "h2.example.com"]',
            "password": '["not", "a", "list"]',  # a secret stays text whatever it looks like
            "database": "{not json",
            "extra": "[" * 200 + "]" * 200,  # too deep to be structure: text
            "deep": "[" * 5000,
        },
    )
    (credentials,) = [s.credentials for s in read_services({SERVICE_BINDING_ROOT: str(root)})]
    assert credentials["hosts"] == ["h1.example.com", "h2.example.com"]
    assert credentials["password"] == '["not", "a", "list"]'
    assert credentials["database"] == "{not json"
    assert isinstance(credentials["extra"], str) and isinstance(credentials["deep"], str)


def test_binding_root_tags_as_json_or_comma_separated(tmp_path):
    root = tmp_path / "bindings"
    for name, tags in (("a", '["mysql", "relational"]'), ("b", "postgres, relational")):
        (root / name).mkdir(parents=True)
        (root / name / "instance-guid").write_text("guid")
        (root / name / "tags").write_text(tags)
        (root / name / "host").write_text("h")
    (root / "c").mkdir()
    (root / "c" / "binding-guid").write_text("guid")
    services = read_services({SERVICE_BINDING_ROOT: str(root)})
    assert [(s.label, s.tags) for s in services] == [
        ("", ["mysql", "relational"]),
        ("", ["postgres", "relational"]),
        ("", []),
    ]


def test_missing_binding_root_binds_nothing(tmp_path):
    """Buildpacks set SERVICE_BINDING_ROOT whether or not anything is bound."""
    assert read_services({SERVICE_BINDING_ROOT: str(tmp_path / "absent")}) == []
    (tmp_path / "empty").mkdir()
    assert read_services({SERVICE_BINDING_ROOT: str(tmp_path / "empty")}) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda root: (root.parent / "file").write_text("x") and root.parent / "file",
            r"SERVICE_BINDING_ROOT \('.*file'\) cannot be read: Not a directory\.",
        ),
        (
            lambda root: (
                write_k8s_binding(root, "db", {"type": "mysql"})
                and (root / "db" / "tags").write_bytes(b"\xffbad")
                and root
            ),
            r"binding 'db': the file 'tags' is not UTF-8 text\.",
        ),
        (
            lambda root: (
                write_k8s_binding(root, "db", {"instance-guid": "g", "tags": '["a", 1]'}) and root
            ),
            r"binding 'db': 'tags' must be a list of strings\.",
        ),
        (
            lambda root: (
                write_k8s_binding(root, "db", {"instance-guid": "g", "tags": "[oops"}) and root
            ),
            r"binding 'db': the file 'tags' is not valid JSON at line 1 column 2\.",
        ),
    ],
)
def test_binding_root_problems_name_the_binding_and_file(tmp_path, make, message):
    root = make(tmp_path / "bindings")
    with pytest.raises(ImproperlyConfigured, match=message):
        read_services({SERVICE_BINDING_ROOT: str(root)})


def test_binding_root_is_bounded(tmp_path):
    root = tmp_path / "bindings"
    directory = root / "big"
    directory.mkdir(parents=True)
    for index in range(MAX_BINDING_FILES + 1):
        (directory / f"f{index}").touch()
    with pytest.raises(ImproperlyConfigured, match=r"'big' holds more than 1000 files"):
        read_services({SERVICE_BINDING_ROOT: str(root)})

    for index in range(MAX_BINDING_FILES + 1):
        (directory / f"f{index}").unlink()
    (directory / "a").write_bytes(b"a" * (MAX_DOCUMENT_BYTES // 2))
    (directory / "b").write_bytes(b"b" * (MAX_DOCUMENT_BYTES // 2))
    assert len(read_services({SERVICE_BINDING_ROOT: str(root)})) == 1  # 10 MiB exactly: fine
    with (directory / "c").open("wb") as handle:
        handle.truncate(1024 * 1024 * 1024)  # sparse
    with pytest.raises(
        ImproperlyConfigured, match=r"All of SERVICE_BINDING_ROOT is larger than 10 MiB"
    ):
        read_services({SERVICE_BINDING_ROOT: str(root)})


def test_binding_root_counts_services(tmp_path, monkeypatch):
    import cfsettings.bindings.document

    monkeypatch.setattr(cfsettings.bindings.document, "MAX_SERVICES", 3)
    root = tmp_path / "bindings"
    for index in range(4):
        (root / f"s{index}").mkdir(parents=True)
    with pytest.raises(ImproperlyConfigured, match=r"binds more than 3 services"):
        read_services({SERVICE_BINDING_ROOT: str(root)})


def test_binding_root_reads_files_as_utf8_and_strips_one_newline(tmp_path):
    root = tmp_path / "bindings"
    write_k8s_binding(root, "db", {"type": "postgresql", "host": "hé.example", "username": "u\n"})
    (credentials,) = [s.credentials for s in read_services({SERVICE_BINDING_ROOT: str(root)})]
    assert credentials == {"host": "hé.example", "username": "u\n"}
    assert os.path.islink(root / "db" / "host")


def test_service_records_compare_by_content_and_know_user_provided():
    one = Service("db", "user-provided", ["mysql"], {"uri": "mysql://h/d"})
    assert one == Service("db", "user-provided", ["mysql"], {"uri": "mysql://h/d"})
    assert one != Service("db", "user-provided", ["mysql"], {"uri": "mysql://h/e"})
    assert one != "db"
    assert one.user_provided and not Service("db", "p.mysql", [], {}).user_provided


def test_load_json_of_bytes_that_are_not_text():
    with pytest.raises(ImproperlyConfigured, match=r"^VCAP_SERVICES is not valid JSON\.$"):
        load_json(b"\xff\xfe\xfa", VCAP_SERVICES)  # type: ignore[arg-type]


def test_a_binding_listed_twice_counts_once_but_two_services_cannot_share_a_name():
    one = {"name": "db", "credentials": {"uri": "mysql://h/d"}}
    assert len(read_services({VCAP_SERVICES: json.dumps({"p.mysql": [one, one]})})) == 1
    other = {"name": "db", "credentials": {"uri": "mysql://h/e"}}
    with pytest.raises(ImproperlyConfigured, match="two different services named 'db'"):
        read_services({VCAP_SERVICES: json.dumps({"p.mysql": [one, other]})})
