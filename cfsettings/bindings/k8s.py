"""Bindings as directories: the Kubernetes service binding specification's layout.

``SERVICE_BINDING_ROOT`` names a directory with one directory per binding (Cloud Foundry on
Kubernetes, or Cloud Foundry's ``service-binding-k8s`` app feature). The directory's name is
the service's name; each file in it is one entry, read as UTF-8 without its trailing newline.
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
from cfsettings.bindings.service import Service
from cfsettings.errors import improperly_configured

SERVICE_BINDING_ROOT = "SERVICE_BINDING_ROOT"

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


def read_binding_root(root: str) -> list[Service]:
    """Services from a binding root: one directory per binding.

    ``type`` becomes a tag (and the label, unless a ``label`` file gives one), so the matching
    rules are those of ``VCAP_SERVICES``. Hidden entries are skipped: Kubernetes keeps the real
    files of a mounted secret in ``..data`` directories. A root that does not exist binds
    nothing: buildpacks set the variable unconditionally.
    """
    if not os.path.lexists(root):
        return []
    names = listdir(root, f"{SERVICE_BINDING_ROOT} ({root!r})")
    services: list[Service] = []
    budget = [MAX_DOCUMENT_BYTES]
    for name in names:
        path = os.path.join(root, name)
        if name.startswith(".") or not os.path.isdir(path):
            continue
        services.append(_read_binding(path, name, budget))
        check_count(len(services), SERVICE_BINDING_ROOT)
    return services


def _read_binding(path: str, name: str, budget: list[int]) -> Service:
    entries: dict[str, str] = {}
    where = f"{SERVICE_BINDING_ROOT} binding {name!r}"
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
        check_size(MAX_DOCUMENT_BYTES - budget[0], f"All of {SERVICE_BINDING_ROOT}")
        text = decode(data, f"{where}: the file {file!r}")
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
