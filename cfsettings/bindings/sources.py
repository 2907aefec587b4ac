"""Which binding source wins, and ``VCAP_APPLICATION``.

Bindings come in one of four mutually exclusive ways; cfsettings reads the first of these
that is set (non-empty) and ignores the others, because on a platform only one is ever set
and a second one on a laptop is a leftover:

1. ``VCAP_SERVICES_FILE_PATH``: a file holding the ``VCAP_SERVICES`` JSON (file-based
   bindings, for bindings too large for an environment variable);
2. ``VCAP_SERVICES``: the JSON itself;
3. ``SERVICE_BINDING_ROOT``: a directory with one directory per binding (``k8s``);
4. ``CNB_BINDINGS``: the older Cloud Native Buildpacks layout (``metadata/`` and
   ``secret/`` in each binding directory), last because the specification replaced it.

This module only reads and validates the bindings; deciding what a service *is* belongs to
``classify`` and reading its credentials to ``endpoint``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cfsettings.bindings.document import (
    MAX_BINDING_FILES,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_SERVICES,
    check_size,
    json_type,
    load_json,
    nested_deeper_than,
    parse_json,
    parse_services,
)
from cfsettings.bindings.service import (
    CNB_BINDINGS,
    SERVICE_BINDING_ROOT,
    VCAP_SERVICES,
    VCAP_SERVICES_FILE_PATH,
    Service,
)
from cfsettings.errors import improperly_configured

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CNB_BINDINGS",
    "MAX_BINDING_FILES",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_SERVICES",
    "SERVICE_BINDING_ROOT",
    "SOURCES",
    "VCAP_APPLICATION",
    "VCAP_SERVICES",
    "VCAP_SERVICES_FILE_PATH",
    "Service",
    "binding_source",
    "load_json",
    "nested_deeper_than",
    "parse_services",
    "read_application",
    "read_services",
    "read_text_file",
]

VCAP_APPLICATION = "VCAP_APPLICATION"

#: Where bindings are read from, first to last; the first variable that is set wins.
SOURCES = (VCAP_SERVICES_FILE_PATH, VCAP_SERVICES, SERVICE_BINDING_ROOT, CNB_BINDINGS)


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
        check_size(len(value), VCAP_SERVICES)
        return parse_services(parse_json(value, VCAP_SERVICES), VCAP_SERVICES)
    if source == VCAP_SERVICES_FILE_PATH:
        where = f"{VCAP_SERVICES_FILE_PATH} ({value.strip()!r})"
        text = read_text_file(value.strip(), where)
        return parse_services(parse_json(text, where), VCAP_SERVICES_FILE_PATH)
    from cfsettings.bindings.k8s import read_binding_root  # only when bindings are directories

    return read_binding_root(value.strip(), source)


def read_text_file(path: str, where: str) -> str:
    """A binding document's text (``files.read_text_file``), loaded only when it is needed."""
    from cfsettings.bindings import files

    return files.read_text_file(path, where)


def read_application(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """``VCAP_APPLICATION`` as a dict, or ``None`` when not running on Cloud Foundry."""
    text = environ.get(VCAP_APPLICATION, "")
    if not text.strip():
        return None
    check_size(len(text), VCAP_APPLICATION)
    document = load_json(text, VCAP_APPLICATION)
    if not isinstance(document, dict):
        raise improperly_configured(
            f"{VCAP_APPLICATION} must be a JSON object, not {json_type(document)}."
        )
    return document
