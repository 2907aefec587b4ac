"""Read the environment that ``--vcap-file`` names: a ``VCAP_SERVICES`` document, or what
``cf env APP`` or ``cf curl /v3/apps/GUID/env`` prints."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO

from cfsettings.bindings.sources import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    VCAP_APPLICATION,
    VCAP_SERVICES,
    nested_deeper_than,
    read_text_file,
)
from cfsettings.errors import improperly_configured
from cfsettings.explain.report import USER_VARIABLES

_SYSTEM_LINE = re.compile(r"^(VCAP_SERVICES|VCAP_APPLICATION):\s*(?=[{\[])", re.MULTILINE)
_OBJECT_LINE = re.compile(r"^\{", re.MULTILINE)
_USER_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*): ?(.*)$")


def read_vcap_file(path: str, stdin: TextIO | None = None) -> dict[str, str]:
    """The environment described by ``path`` (``-``: standard input), for ``--vcap-file``."""
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin
        text = stream.read(MAX_DOCUMENT_BYTES + 1)
        where = "--vcap-file - (standard input)"
        if len(text) > MAX_DOCUMENT_BYTES:
            raise improperly_configured(
                f"{where} is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; "
                "cfsettings refuses to read it."
            )
    else:
        where = f"--vcap-file {path!r}"
        text = read_text_file(path, where)
    return parse_vcap_text(text.lstrip("\ufeff"), where)


def parse_vcap_text(text: str, where: str) -> dict[str, str]:
    """An environment from a ``VCAP_SERVICES`` document, a ``{"VCAP_SERVICES": ...}`` object,
    the ``cf curl /v3/apps/GUID/env`` answer, or what ``cf env APP`` prints."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return _parse_cf_env(text, where)
    if not isinstance(document, dict):
        return {VCAP_SERVICES: text}  # read_services will say what is wrong with it
    return _environment_of(document, where) or {VCAP_SERVICES: text}


def _as_text(value: Any, where: str) -> str:
    """A JSON value as text again, refusing (before ``json.dumps`` recurses) deep nesting."""
    if nested_deeper_than(value, MAX_DEPTH):
        raise improperly_configured(
            f"{where} is nested more than {MAX_DEPTH} levels deep; cfsettings refuses to read it."
        )
    return json.dumps(value)


def _environment_of(document: dict[str, Any], where: str) -> dict[str, str]:
    """The ``VCAP_*`` (and steering) variables of an env-shaped JSON object, as text."""
    merged: dict[str, Any] = {}
    for section in ("system_env_json", "application_env_json", "environment_variables"):
        if isinstance(document.get(section), dict):
            merged.update(document[section])
    merged.update(
        (key, value)
        for key, value in document.items()
        if key in (VCAP_SERVICES, VCAP_APPLICATION, *USER_VARIABLES)
    )
    environment = {}
    for key in (VCAP_SERVICES, VCAP_APPLICATION, *USER_VARIABLES):
        if key in merged:
            value = merged[key]
            environment[key] = (
                value if isinstance(value, str) else _as_text(value, f"{where}: {key}")
            )
    return environment


def _parse_cf_env(text: str, where: str) -> dict[str, str]:
    """Find the JSON objects in ``cf env`` output (CLI v6 prints ``{"VCAP_SERVICES": ...}``
    objects, v7 and later ``VCAP_SERVICES: {...}`` lines) and its user-provided variables."""
    decoder = json.JSONDecoder()
    environment: dict[str, str] = {}
    position = 0
    while True:
        named = _SYSTEM_LINE.search(text, position)
        bare = _OBJECT_LINE.search(text, position)
        if named is None and bare is None:
            break
        if named is not None and (bare is None or named.end() < bare.start()):
            start, label = named.end(), named.group(1)
        else:
            assert bare is not None
            start, label, named = bare.start(), "a JSON object", None
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            line = text.count("\n", 0, start) + 1
            raise improperly_configured(
                f"{where}: {label} on line {line} is not valid JSON."
            ) from None
        if named is not None:
            environment[label] = _as_text(value, f"{where}: {label}")
        else:  # decoding from a "{" yields an object
            environment.update(_environment_of(value, where))
        position = end
    environment.update(_user_provided(text))
    if (
        VCAP_SERVICES not in environment
        and VCAP_APPLICATION not in environment
        and "System-Provided:" not in text
        and "No system-provided env" not in text
    ):
        raise improperly_configured(f"{where} holds neither JSON nor the output of `cf env`.")
    return environment


def _user_provided(text: str) -> dict[str, str]:
    """The steering variables of ``cf env``'s "User-Provided:" section."""
    found: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        if line.strip() == "User-Provided:":
            inside = True
        elif inside and not line.strip():
            inside = False
        elif inside:
            match = _USER_LINE.match(line)
            if match and match.group(1) in USER_VARIABLES:
                found[match.group(1)] = match.group(2)
    return found
