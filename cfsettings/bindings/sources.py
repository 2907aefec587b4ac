"""Read service bindings from the environment into plain ``Service`` records.

Cloud Foundry delivers bindings in one of three mutually exclusive ways; cfsettings reads the
first of these that is set (non-empty) and ignores the others, because on the platform only
one is ever set and a second one on a laptop is a leftover:

1. ``VCAP_SERVICES_FILE_PATH``: a file holding the ``VCAP_SERVICES`` JSON (file-based
   bindings, for bindings too large for an environment variable);
2. ``VCAP_SERVICES``: the JSON itself;
3. ``SERVICE_BINDING_ROOT``: a directory with one directory per binding, as the Kubernetes
   service binding specification lays them out (Cloud Foundry on Kubernetes, or Cloud
   Foundry's ``service-binding-k8s`` app feature).

Documents are refused, naming the variable, beyond ``MAX_DOCUMENT_BYTES``, ``MAX_SERVICES``
or ``MAX_DEPTH``: reading stays bounded in time and memory whatever the input.

This module only reads and validates the bindings; deciding what a service *is* belongs to
``matching`` and turning it into Django settings to ``database`` and ``cache``.
"""

from __future__ import annotations

import json
import os

from cfsettings.errors import improperly_configured

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a fresh worker pays ~3 ms)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

VCAP_SERVICES = "VCAP_SERVICES"
VCAP_APPLICATION = "VCAP_APPLICATION"
VCAP_SERVICES_FILE_PATH = "VCAP_SERVICES_FILE_PATH"
SERVICE_BINDING_ROOT = "SERVICE_BINDING_ROOT"

#: Where bindings are read from, first to last; the first variable that is set wins.
SOURCES = (VCAP_SERVICES_FILE_PATH, VCAP_SERVICES, SERVICE_BINDING_ROOT)

#: Cloud Foundry caps an environment variable at 128 KiB and a bindings file at 1 MiB; ten
#: times that still parses in well under a second, and anything larger is a mistake or an attack.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_SERVICES = 10_000
MAX_BINDING_FILES = 1_000
#: Real bindings nest about six levels; the limit keeps later code far from Python's recursion
#: limit (comparisons and redaction walk the credentials).
MAX_DEPTH = 64

#: Files Cloud Foundry writes into a binding directory beside the credentials. They are
#: metadata only in directories Cloud Foundry wrote (those with a ``binding-guid`` or
#: ``instance-guid``): elsewhere a ``name`` file is a credential, often the database name.
CF_BINDING_METADATA = frozenset(
    {
        "binding-guid",
        "binding-name",
        "instance-guid",
        "instance-name",
        "label",
        "name",
        "plan",
        "provider",
        "syslog-drain-url",
        "tags",
        "type",
        "volume-mounts",
    }
)
K8S_BINDING_METADATA = frozenset({"type", "provider"})


class Service:
    """One bound service instance. ``repr`` never shows credentials."""

    __slots__ = ("credentials", "label", "name", "plan", "source", "tags")

    def __init__(
        self,
        name: str,
        label: str,
        tags: list[str],
        credentials: dict[str, Any],
        plan: str = "",
        source: str = VCAP_SERVICES,
    ) -> None:
        self.name = name
        self.label = label
        self.tags = tags
        self.credentials = credentials
        self.plan = plan
        self.source = source

    def __repr__(self) -> str:
        return f"Service(name={self.name!r}, label={self.label!r}, tags={self.tags!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Service):
            return NotImplemented
        return (self.name, self.label, self.tags, self.credentials, self.plan) == (
            other.name,
            other.label,
            other.tags,
            other.credentials,
            other.plan,
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def user_provided(self) -> bool:
        return self.label == "user-provided"


def binding_source(environ: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """The variable bindings are read from (``None``: none is set), and the ignored others."""
    present = [variable for variable in SOURCES if environ.get(variable, "").strip()]
    return (present[0] if present else None), present[1:]


def read_services(environ: Mapping[str, str]) -> list[Service]:
    """The services bound to this app, from the first binding source set; ``[]`` if none is."""
    source, _ = binding_source(environ)
    if source is None:
        return []
    value = environ[source]
    if source == VCAP_SERVICES:
        _check_size(len(value), VCAP_SERVICES)
        return parse_services(load_json(value, VCAP_SERVICES), VCAP_SERVICES)
    if source == VCAP_SERVICES_FILE_PATH:
        where = f"{VCAP_SERVICES_FILE_PATH} ({value.strip()!r})"
        text = read_text_file(value.strip(), where)
        return parse_services(load_json(text, where), VCAP_SERVICES_FILE_PATH)
    return read_binding_root(value.strip())


def read_text_file(path: str, where: str) -> str:
    """A UTF-8 file's text (a BOM is dropped), refusing more than ``MAX_DOCUMENT_BYTES``."""
    data = _read_bytes(path, where, MAX_DOCUMENT_BYTES)
    _check_size(len(data), where)
    return _decode(data.removeprefix(b"\xef\xbb\xbf"), where)


def _read_bytes(path: str, where: str, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a file: enough to tell it is too large, never more."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except OSError as exc:
        raise improperly_configured(f"{where} cannot be read: {exc.strerror}.") from None


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise improperly_configured(f"{where} is not UTF-8 text.") from None


def _listdir(path: str, where: str) -> list[str]:
    try:
        return sorted(entry.name for entry in os.scandir(path))
    except OSError as exc:
        raise improperly_configured(f"{where} cannot be read: {exc.strerror}.") from None


def _check_size(size: int, where: str) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise improperly_configured(
            f"{where} is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; cfsettings "
            "refuses to read it."
        )


def load_json(text: str, variable: str) -> Any:
    """Parse JSON, naming the variable on failure and never echoing its content."""
    try:
        document = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes
        position = ""
        if isinstance(exc, json.JSONDecodeError):
            position = f" at line {exc.lineno} column {exc.colno}"
        raise improperly_configured(f"{variable} is not valid JSON{position}.") from None
    except RecursionError:
        raise improperly_configured(f"{variable} is nested too deeply to read.") from None
    if nested_deeper_than(document, MAX_DEPTH):
        raise improperly_configured(
            f"{variable} is nested more than {MAX_DEPTH} levels deep; cfsettings refuses to "
            "read it."
        )
    return document


def nested_deeper_than(document: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit``; iterative, so any depth is safe."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_services(document: Any, source: str = VCAP_SERVICES) -> list[Service]:
    """Turn a parsed ``VCAP_SERVICES`` document into services, validating its shape.

    The document maps a label (``p.mysql``, ``user-provided``, or in the 2012 format a
    versioned name such as ``mysql-5.1``) to a list of instances. An instance without its own
    ``label`` takes the key's, which is what the 2012 format relied on.
    """
    if not isinstance(document, dict):
        raise improperly_configured(
            f"{source} must be a JSON object mapping service labels to lists of services, "
            f"not {_json_type(document)}."
        )
    services: list[Service] = []
    seen: dict[str, Service] = {}
    for key, instances in document.items():
        if not isinstance(instances, list):
            raise improperly_configured(
                f"{source}[{key!r}] must be a list of services, not {_json_type(instances)}."
            )
        for index, raw in enumerate(instances):
            service = _parse_instance(raw, key, f"{source}[{key!r}][{index}]", source)
            previous = seen.get(service.name)
            if previous is not None:
                if previous == service:
                    continue  # the same binding listed twice: it counts once
                raise improperly_configured(
                    f"{source} binds two different services named {service.name!r}; "
                    "service names must be unique."
                )
            seen[service.name] = service
            services.append(service)
            _check_count(len(services), source)
    return services


def _check_count(count: int, source: str) -> None:
    if count > MAX_SERVICES:
        raise improperly_configured(
            f"{source} binds more than {MAX_SERVICES} services; cfsettings refuses to read it."
        )


def _parse_instance(raw: Any, key: str, where: str, source: str) -> Service:
    if not isinstance(raw, dict):
        raise improperly_configured(f"{where} must be an object, not {_json_type(raw)}.")
    name = raw.get("name", raw.get("instance_name"))
    if not isinstance(name, str) or not name:
        raise improperly_configured(f"{where} has no 'name' (a non-empty string).")
    label = raw.get("label", key)
    if not isinstance(label, str):
        raise improperly_configured(f"Service {name!r} in {source}: 'label' must be a string.")
    tags = raw.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise improperly_configured(
            f"Service {name!r} in {source}: 'tags' must be a list of strings."
        )
    credentials = raw.get("credentials")
    if credentials is None:
        credentials = {}
    if not isinstance(credentials, dict):
        raise improperly_configured(
            f"Service {name!r} in {source}: 'credentials' must be an object, "
            f"not {_json_type(credentials)}."
        )
    plan = raw.get("plan") or ""
    return Service(
        name, label, list(tags), credentials, plan if isinstance(plan, str) else "", source
    )


def read_binding_root(root: str) -> list[Service]:
    """Services from a Kubernetes-style binding root: one directory per binding.

    The directory's name is the service's name; each file in it is one entry, read as UTF-8
    without its trailing newline. ``type`` becomes a tag (and the label, unless a ``label``
    file gives one), so the matching rules are those of ``VCAP_SERVICES``. Hidden entries are
    skipped: Kubernetes keeps the real files of a mounted secret in ``..data`` directories.
    A root that does not exist binds nothing: buildpacks set the variable unconditionally.
    """
    if not os.path.lexists(root):
        return []
    names = _listdir(root, f"{SERVICE_BINDING_ROOT} ({root!r})")
    services: list[Service] = []
    budget = [MAX_DOCUMENT_BYTES]
    for name in names:
        path = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(path):
            continue
        services.append(_read_binding(path, name, budget))
        _check_count(len(services), SERVICE_BINDING_ROOT)
    return services


def _read_binding(path: str, name: str, budget: list[int]) -> Service:
    entries: dict[str, str] = {}
    where = f"{SERVICE_BINDING_ROOT} binding {name!r}"
    files = _listdir(path, where)
    if len(files) > MAX_BINDING_FILES:
        raise improperly_configured(
            f"{where} holds more than {MAX_BINDING_FILES} files; cfsettings refuses to read it."
        )
    for file in files:
        full = os.path.join(path, file)
        if file.startswith(".") or not os.path.isfile(full):
            continue
        data = _read_bytes(full, f"{where}: the file {file!r}", budget[0])
        budget[0] -= len(data)
        _check_size(MAX_DOCUMENT_BYTES - budget[0], f"All of {SERVICE_BINDING_ROOT}")
        text = _decode(data, f"{where}: the file {file!r}")
        entries[file] = text[:-1] if text.endswith("\n") else text

    written_by_cf = "binding-guid" in entries or "instance-guid" in entries
    metadata = CF_BINDING_METADATA if written_by_cf else K8S_BINDING_METADATA
    kind = entries.get("type", "").strip()
    tags = _binding_tags(entries.get("tags", ""), where) if written_by_cf else []
    if kind and kind not in tags:
        tags.append(kind)
    label = entries.get("label", kind) if written_by_cf else kind
    credentials = {
        key: _binding_value(key, value) for key, value in entries.items() if key not in metadata
    }
    plan = entries.get("plan", "") if written_by_cf else ""
    return Service(name, label, tags, credentials, plan, SERVICE_BINDING_ROOT)


def _binding_tags(text: str, where: str) -> list[str]:
    """Cloud Foundry writes ``tags`` as a JSON list; accept a comma-separated list too."""
    if text.lstrip().startswith("["):
        tags = load_json(text, f"{where}: the file 'tags'")
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise improperly_configured(f"{where}: 'tags' must be a list of strings.")
        return list(tags)
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def _binding_value(key: str, text: str) -> Any:
    """A file's content; JSON objects and lists (nested credentials, as Cloud Foundry writes
    them) are parsed, except in files whose name says they hold a secret, which stay text."""
    from cfsettings.masking import secret_key

    stripped = text.strip()
    if not stripped.startswith(("{", "[")) or secret_key(key):
        return text
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return text
    if nested_deeper_than(value, MAX_DEPTH):
        return text
    return value


def read_application(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """``VCAP_APPLICATION`` as a dict, or ``None`` when not running on Cloud Foundry."""
    text = environ.get(VCAP_APPLICATION, "")
    if not text.strip():
        return None
    _check_size(len(text), VCAP_APPLICATION)
    document = load_json(text, VCAP_APPLICATION)
    if not isinstance(document, dict):
        raise improperly_configured(
            f"{VCAP_APPLICATION} must be a JSON object, not {_json_type(document)}."
        )
    return document


def _json_type(value: Any) -> str:
    """Name a JSON value's type for an error message without showing the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"
