"""A ``VCAP_SERVICES`` document: JSON read within limits, then checked into ``Service`` records.

Documents are refused, naming the variable, beyond ``MAX_DOCUMENT_BYTES``, ``MAX_SERVICES``
or ``MAX_DEPTH``: reading stays bounded in time and memory whatever the input.
"""

from __future__ import annotations

import json
from typing import Any

from cfsettings.bindings.service import VCAP_SERVICES, Service
from cfsettings.errors import improperly_configured

#: Cloud Foundry caps an environment variable at 128 KiB and a bindings file at 1 MiB; ten
#: times that still parses in well under a second, and anything larger is a mistake or an attack.
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_SERVICES = 10_000
MAX_BINDING_FILES = 1_000
#: Real bindings nest about six levels; the limit keeps later code far from Python's recursion
#: limit (comparisons and redaction walk the credentials).
MAX_DEPTH = 64
#: The levels of a document above a service's credentials: the object, a label's list and
#: the service itself.
DOCUMENT_LEVELS = 3


def check_size(size: int, where: str) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise improperly_configured(
            f"{where} is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; cfsettings "
            "refuses to read it."
        )


def check_count(count: int, source: str) -> None:
    if count > MAX_SERVICES:
        raise improperly_configured(
            f"{source} binds more than {MAX_SERVICES} services; cfsettings refuses to read it."
        )


def load_json(text: str, variable: str) -> Any:
    """Parse JSON, naming the variable on failure and never echoing its content."""
    document = parse_json(text, variable)
    if nested_deeper_than(document, MAX_DEPTH):
        raise improperly_configured(
            f"{variable} is nested more than {MAX_DEPTH} levels deep; cfsettings refuses to "
            "read it."
        )
    return document


def parse_json(text: str, variable: str) -> Any:
    """:func:`load_json` without the depth limit, for a caller that checks what it keeps."""
    try:
        document = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes
        position = ""
        if isinstance(exc, json.JSONDecodeError):
            position = f" at line {exc.lineno} column {exc.colno}"
        raise improperly_configured(f"{variable} is not valid JSON{position}.") from None
    except RecursionError:
        raise improperly_configured(f"{variable} is nested too deeply to read.") from None
    return document


def nested_deeper_than(document: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit``; level by level, so any depth is safe.

    Every worker runs this on its bindings, so each level is one comprehension over the
    containers only: several times faster than visiting every value."""
    level = [document] if isinstance(document, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        level = [
            child
            for value in level
            for child in (value.values() if isinstance(value, dict) else value)
            if isinstance(child, (dict, list))
        ]
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
            f"not {json_type(document)}."
        )
    services: list[Service] = []
    seen: dict[str, Service] = {}
    for key, instances in document.items():
        if not isinstance(instances, list):
            raise improperly_configured(
                f"{source}[{key!r}] must be a list of services, not {json_type(instances)}."
            )
        for index, raw in enumerate(instances):
            service = _parse_instance(raw, key, index, source)
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
            check_count(len(services), source)
    return services


def _parse_instance(raw: Any, key: str, index: int, source: str) -> Service:
    if not isinstance(raw, dict):
        raise improperly_configured(
            f"{source}[{key!r}][{index}] must be an object, not {json_type(raw)}."
        )
    name = raw.get("name", raw.get("instance_name"))
    if not isinstance(name, str) or not name:
        raise improperly_configured(
            f"{source}[{key!r}][{index}] has no 'name' (a non-empty string)."
        )
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
            f"not {json_type(credentials)}."
        )
    # Only the credentials are kept (and later walked); the document's own levels come first.
    if nested_deeper_than(credentials, MAX_DEPTH - DOCUMENT_LEVELS):
        raise improperly_configured(
            f"Service {name!r} in {source}: 'credentials' are nested more than {MAX_DEPTH} "
            "levels deep in the document; cfsettings refuses to read them."
        )
    plan = raw.get("plan") or ""
    return Service(
        name, label, list(tags), credentials, plan if isinstance(plan, str) else "", source
    )


def json_type(value: Any) -> str:
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
