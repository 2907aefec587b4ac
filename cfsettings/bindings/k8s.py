"""Bindings as directories: the Kubernetes service binding layout, and the older CNB one.

``SERVICE_BINDING_ROOT`` names a directory with one directory per binding (Cloud Foundry on
Kubernetes, or Cloud Foundry's ``service-binding-k8s`` app feature). The directory's name is
the service's name; each file in it is one entry, read as UTF-8 without its trailing newline.

``CNB_BINDINGS`` is the Cloud Native Buildpacks layout that came before it: each binding
directory holds ``metadata/`` (``kind``, ``provider``, ``tags``) and ``secret/`` (the entries).

An entry holding a certificate or key (``sslrootcert``, ``sslcert``, ``sslkey``, ``ca.crt``...)
may name another file of the binding instead of holding the PEM text, as spring-cloud-bindings
reads them: it is resolved inside the binding directory, and a name or symlink that leads
outside it, or to anything but a regular file, is refused.
"""

from __future__ import annotations

import json
import os
from typing import Any

from cfsettings.bindings.document import (
    MAX_BINDING_FILES,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    check_count,
    check_size,
    load_json,
    nested_deeper_than,
)
from cfsettings.bindings.files import decode, listdir, read_bytes
from cfsettings.bindings.service import CNB_BINDINGS, SERVICE_BINDING_ROOT, Service
from cfsettings.bindings.vocabulary import CA_KEYS, CLIENT_CERT_KEYS, CLIENT_KEY_KEYS
from cfsettings.errors import improperly_configured

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
#: Entries that may name a certificate file of the binding rather than hold its text.
FILE_ENTRIES = frozenset({*CA_KEYS, *CLIENT_CERT_KEYS, *CLIENT_KEY_KEYS})


def read_binding_root(root: str, variable: str = SERVICE_BINDING_ROOT) -> list[Service]:
    """Services from a binding root (``SERVICE_BINDING_ROOT`` or ``CNB_BINDINGS``).

    ``type`` (CNB: ``metadata/kind``) becomes a tag, and the label unless a ``label`` file
    gives one, so the matching rules are those of ``VCAP_SERVICES``. Hidden entries are
    skipped: Kubernetes keeps the real files of a mounted secret in ``..data`` directories.
    A root that does not exist binds nothing: buildpacks set the variable unconditionally.
    """
    if not os.path.lexists(root):
        return []
    names = listdir(root, f"{variable} ({root!r})")
    services: list[Service] = []
    budget = [MAX_DOCUMENT_BYTES]
    for name in names:
        path = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(path):
            continue
        where = f"{variable} binding {name!r}"
        if variable == CNB_BINDINGS:
            services.append(_read_cnb_binding(path, name, where, budget))
        else:
            services.append(_read_binding(path, name, where, budget))
        check_count(len(services), variable)
    return services


def _read_entries(path: str, where: str, budget: list[int], variable: str) -> dict[str, str]:
    """Every file of a binding directory, as text without its trailing newline."""
    entries: dict[str, str] = {}
    files = listdir(path, where)
    if len(files) > MAX_BINDING_FILES:
        raise improperly_configured(
            f"{where} holds more than {MAX_BINDING_FILES} files; cfsettings refuses to read it."
        )
    for file in files:
        full = os.path.join(path, file)
        if file.startswith(".") or os.path.isdir(full):
            continue  # Kubernetes' ..data, or a directory a volume mount left
        data = read_bytes(full, f"{where}: the file {file!r}", budget[0])
        budget[0] -= len(data)
        check_size(MAX_DOCUMENT_BYTES - budget[0], f"All of {variable}")
        text = decode(data, f"{where}: the file {file!r}")
        entries[file] = text[:-1] if text.endswith("\n") else text
    for key, value in entries.items():
        if key.lower() in FILE_ENTRIES:
            entries[key] = _file_entry(path, key, value, where)
    return entries


def _file_entry(directory: str, key: str, value: str, where: str) -> str:
    """A certificate entry that names a file of the binding: that file's real path."""
    name = value.strip()
    if not name or "\n" in name or os.path.isabs(name):
        return value  # PEM text (or base64, or an absolute path): the entry is the value
    candidate = os.path.join(directory, name)
    if not os.path.lexists(candidate):
        return value
    real, boundary = os.path.realpath(candidate), os.path.realpath(directory)
    if os.path.commonpath((real, boundary)) != boundary:
        raise improperly_configured(
            f"{where}: the entry {key!r} names a file outside the binding directory; "
            "cfsettings reads certificates only from inside it."
        )
    if not os.path.isfile(real):
        raise improperly_configured(
            f"{where}: the entry {key!r} names something that is not a regular file."
        )
    return real


def _read_binding(path: str, name: str, where: str, budget: list[int]) -> Service:
    entries = _read_entries(path, where, budget, SERVICE_BINDING_ROOT)
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


def _read_cnb_binding(path: str, name: str, where: str, budget: list[int]) -> Service:
    """``metadata/kind`` is the type; ``metadata/tags`` (one a line) adds tags."""
    metadata = _read_entries(
        os.path.join(path, "metadata"), f"{where} metadata", budget, CNB_BINDINGS
    )
    secret_dir = os.path.join(path, "secret")
    secret = (
        _read_entries(secret_dir, f"{where} secret", budget, CNB_BINDINGS)
        if os.path.isdir(secret_dir)
        else {}
    )
    kind = metadata.get("kind", "").strip()
    tags = [tag.strip() for tag in metadata.get("tags", "").replace(",", "\n").splitlines()]
    tags = [tag for tag in tags if tag]
    if kind and kind not in tags:
        tags.append(kind)
    credentials = {key: _binding_value(key, value) for key, value in secret.items()}
    return Service(name, kind, tags, credentials, "", CNB_BINDINGS)


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
