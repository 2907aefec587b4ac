"""Read service bindings from the environment into plain ``Service`` records.

This module only reads and validates the binding document; deciding what a service *is*
belongs to ``matching`` and turning it into Django settings to ``database`` and ``cache``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import improperly_configured

VCAP_SERVICES = "VCAP_SERVICES"
VCAP_APPLICATION = "VCAP_APPLICATION"


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


def load_json(text: str, variable: str) -> Any:
    """Parse JSON, naming the variable on failure and never echoing its content."""
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes
        position = ""
        if isinstance(exc, json.JSONDecodeError):
            position = f" at line {exc.lineno} column {exc.colno}"
        raise improperly_configured(f"{variable} is not valid JSON{position}.") from None
    except RecursionError:
        raise improperly_configured(f"{variable} is nested too deeply to read.") from None


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
    return services


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


def read_services(environ: Mapping[str, str]) -> list[Service]:
    """The services bound to this app; an empty list when nothing is bound."""
    text = environ.get(VCAP_SERVICES, "")
    if not text.strip():
        return []
    return parse_services(load_json(text, VCAP_SERVICES), VCAP_SERVICES)


def read_application(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """``VCAP_APPLICATION`` as a dict, or ``None`` when not running on Cloud Foundry."""
    text = environ.get(VCAP_APPLICATION, "")
    if not text.strip():
        return None
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
