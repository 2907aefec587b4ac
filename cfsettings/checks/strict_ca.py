"""Find bound CA certificates that Python's strict certificate checks will reject.

From Python 3.13, ``ssl.create_default_context()`` sets ``VERIFY_X509_STRICT``, and redis-py
builds its TLS context that way. OpenSSL then refuses a CA certificate that a real CA would
never issue: one without ``keyUsage`` (keyCertSign), without a critical ``basicConstraints``
CA:TRUE, or without a ``subjectKeyIdentifier``. The connection fails on first use with a bare
"certificate verify failed". This module names the missing extension at deploy time, as the
system check ``cfsettings.E004`` (``W004`` on a Python that does not verify strictly yet). It
never loosens verification: the broker must issue a proper CA, or the project must opt out
itself.

The ``ssl`` module turns PEM into DER but does not expose extensions, so the few fields needed
are read from the DER here: a certificate is a tree of tag-length-value items.
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core import checks

from cfsettings.bindings.classify import REDIS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cfsettings.resolution import Resolved

# DER tags and the object identifiers of the extensions that strict verification needs.
SEQUENCE, BOOLEAN, OCTET_STRING, BIT_STRING, OID = 0x30, 0x01, 0x04, 0x03, 0x06
VERSION_TAG, EXTENSIONS_TAG = 0xA0, 0xA3
KEY_USAGE = bytes.fromhex("551d0f")  # 2.5.29.15
BASIC_CONSTRAINTS = bytes.fromhex("551d13")  # 2.5.29.19
SUBJECT_KEY_ID = bytes.fromhex("551d0e")  # 2.5.29.14
KEY_CERT_SIGN = 0x04  # bit 5 of the keyUsage bit string, counted from the first byte's top


@dataclass(frozen=True)
class Extension:
    critical: bool
    value: bytes


def python_verifies_strictly() -> bool:
    """Whether TLS clients built on ``ssl.create_default_context()`` check strictly here."""
    return bool(ssl.create_default_context().verify_flags & ssl.VERIFY_X509_STRICT)


def check_strict_cas(
    services: Iterable[Resolved], strict: bool | None = None
) -> list[checks.CheckMessage]:
    """E004 (when this Python verifies strictly: connections will fail) or W004 for each Redis
    service (of the resolution's ``services``) whose bound CA strict verification rejects.

    Only Redis: its client uses Python's ``ssl``; libpq and mysqlclient verify with OpenSSL's
    default flags, which do not include the strict ones.
    """
    messages: list[checks.CheckMessage] = []
    for resolved in services:
        endpoint = resolved.endpoint  # None: settings.py has already raised for it
        if endpoint is None or endpoint.kind != REDIS:
            continue
        pem = ca_text(endpoint.ca) if endpoint.ca else None  # a CA always means TLS
        problems = strict_problems(pem) if pem else []
        if not problems:
            continue
        if strict is None:  # asked only now: a default context loads the system's CAs
            strict = python_verifies_strictly()
        level, id_, outcome = (
            (checks.Error, "cfsettings.E004", "so TLS connections to it fail on this Python")
            if strict
            else (checks.Warning, "cfsettings.W004", "so TLS connections to it will fail")
        )
        messages.append(
            level(
                f"Bound service {resolved.service.name!r} delivers a CA certificate that strict "
                f"certificate verification rejects: {'; '.join(problems)}. Python 3.13 and "
                f"newer verify strictly (ssl.VERIFY_X509_STRICT), {outcome} with "
                "'certificate verify failed'.",
                hint="Ask the service's provider for a CA certificate made the way real CAs "
                "are (basicConstraints critical CA:TRUE, keyUsage keyCertSign and cRLSign, "
                "subjectKeyIdentifier). cfsettings never loosens verification; see "
                "'Strict certificate checks' in the cfsettings README.",
                id=id_,
            )
        )
    return messages


def ca_text(ca: str) -> str | None:
    """The PEM of a bound CA: inline text, or the file a broker named; None when unreadable."""
    if "-----BEGIN" in ca:
        return ca
    if os.path.isabs(ca):
        try:
            with open(ca, encoding="ascii", errors="replace") as handle:
                return handle.read()
        except OSError:
            return None  # the connection will say the file is missing; nothing to add here
    return None


def strict_problems(pem: str) -> list[str]:
    """What strict verification will reject in each certificate of ``pem``, in plain words."""
    problems: list[str] = []
    blocks = pem.split("-----BEGIN CERTIFICATE-----")[1:]
    for number, block in enumerate(blocks, start=1):
        where = f"certificate {number} of {len(blocks)}" if len(blocks) > 1 else "the CA"
        body = "-----BEGIN CERTIFICATE-----" + block.split("-----END CERTIFICATE-----")[0]
        try:
            der = ssl.PEM_cert_to_DER_cert(body + "-----END CERTIFICATE-----\n")
            missing = _missing(der)
        except (ValueError, IndexError):
            problems.append(f"{where} is not a readable certificate")
            continue
        problems.extend(f"{where} {text}" for text in missing)
    return problems


def _missing(der: bytes) -> list[str]:
    tbs = _items(_items(der)[0][1])[0][1]
    fields = _items(tbs)
    version = 1
    if fields[0][0] == VERSION_TAG:
        version = _items(fields[0][1])[0][1][-1] + 1
        fields = fields[1:]
    if version < 3:
        return [
            f"is an X.509 version {version} certificate, which has no extensions and cannot be a CA"
        ]
    extensions: dict[bytes, Extension] = {}
    # After the subject's key: optional unique identifiers ([1], [2]), then [3] extensions.
    lists = [content for tag, content in fields[6:] if tag == EXTENSIONS_TAG]
    for content in lists:
        for _, extension in _items(_items(content)[0][1]):
            parts = _items(extension)
            critical = len(parts) == 3 and parts[1][0] == BOOLEAN and parts[1][1] != b"\x00"
            extensions[parts[0][1]] = Extension(critical, parts[-1][1])
    return _judge(extensions)


def _judge(extensions: dict[bytes, Extension]) -> list[str]:
    """Python sets ``VERIFY_X509_PARTIAL_CHAIN`` with the strict flag, so every bound
    certificate is a trust anchor, and OpenSSL checks an anchor's authorityKeyIdentifier no
    more than a self-signed root's: only the CA's own extensions matter."""
    problems = []
    constraints = extensions.get(BASIC_CONSTRAINTS)
    if constraints is None or not _says_ca(constraints):
        problems.append("is not marked as a CA (no basicConstraints CA:TRUE)")
    elif not constraints.critical:
        problems.append("has basicConstraints that is not marked critical")
    usage = extensions.get(KEY_USAGE)
    if usage is None:
        problems.append("has no keyUsage extension (keyCertSign, cRLSign)")
    else:
        bits = _items(usage.value)[0][1]
        if len(bits) < 2 or not bits[1] & KEY_CERT_SIGN:
            problems.append("has a keyUsage without keyCertSign")
    if SUBJECT_KEY_ID not in extensions:
        problems.append("has no subjectKeyIdentifier extension")
    return problems


def _says_ca(constraints: Extension) -> bool:
    inner = _items(_items(constraints.value)[0][1])
    return bool(inner) and inner[0][0] == BOOLEAN and inner[0][1] != b"\x00"


def _items(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) items that follow each other in ``data``."""
    items, position = [], 0
    while position < len(data):
        tag, length = data[position], data[position + 1]
        position += 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(data[position : position + size], "big")
            position += size
        if position + length > len(data):
            raise ValueError("truncated DER")
        items.append((tag, data[position : position + length]))
        position += length
    return items
