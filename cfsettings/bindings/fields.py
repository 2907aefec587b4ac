"""Credential fields: finding a key among its spellings, reading hosts and ports, and
refusing values that a driver would silently misread.

Brokers nest some facts (Tanzu MySQL's ``tls.cert.ca``, IBM Cloud Databases'
``connection.<engine>``); ``flatten`` lifts them to the top, so every later rule reads one
flat, lower-cased dict.

libpq cuts a string at a NUL (in one trial a password with a NUL sent the connection meant
for 127.0.0.1 to the local Unix socket instead); whitespace, a ``host:port`` or a whole URI in
a host field only fail at connect time, with the port silently lost. ``check_text`` and
``check_host`` refuse them while settings load, naming the service and the field and never
the value: it may be a secret.
"""

from __future__ import annotations

from typing import Any, Final

from cfsettings.bindings.classify import lower_keys, nested_connection
from cfsettings.bindings.vocabulary import JDBC_KEYS, R2DBC_KEYS, URI_KEYS, WEB_PREFIXES
from cfsettings.errors import improperly_configured


class Where:
    """The service being read, to name it (and the field) in every error (a record)."""

    __slots__ = ("kind", "service")

    def __init__(self, service: str, kind: str) -> None:
        self.service: Final = service
        self.kind: Final = kind

    def error(self, problem: str) -> Exception:
        return improperly_configured(f"Service {self.service!r} ({self.kind}): {problem}.")


def flatten(credentials: dict[str, Any]) -> dict[str, Any]:
    """Lower-case keys, with the nested layouts some brokers use lifted to the top."""
    fields = lower_keys(credentials)
    for keys, lifted in ((JDBC_KEYS, "jdbcurl"), (R2DBC_KEYS, "r2dbcurl")):
        for key in keys:
            if key in fields:
                fields.setdefault(lifted, fields[key])
    uri_key = next((key for key in URI_KEYS if key in fields and not web_link(fields[key])), None)
    if uri_key is not None:
        fields["uri"] = fields[uri_key]
    else:
        fields.pop("uri", None)  # at most a dashboard link
    tls = fields.get("tls")
    if isinstance(tls, dict):  # Tanzu MySQL: tls.cert.ca
        cert = tls.get("cert")
        if isinstance(cert, dict) and "ca" in cert:
            fields.setdefault("ca_certificate", cert["ca"])
        del fields["tls"]
    nested = nested_connection(credentials)
    if nested is not None:  # IBM Cloud Databases
        composed = nested.get("composed")
        if isinstance(composed, list) and composed:
            fields.setdefault("uri", composed[0])
        auth = nested.get("authentication")
        if isinstance(auth, dict):
            for key in ("username", "password"):
                if key in auth:
                    fields.setdefault(key, auth[key])
        for key in ("hosts", "database"):
            if key in nested:
                fields.setdefault(key, nested[key])
        certificate = nested.get("certificate")
        if isinstance(certificate, dict) and "certificate_base64" in certificate:
            fields.setdefault("ca_certificate_base64", certificate["certificate_base64"])
    return fields


def web_link(value: Any) -> bool:
    """A dashboard or console link that brokers put beside (or instead of) the real URI."""
    return isinstance(value, str) and value.strip().lower().startswith(WEB_PREFIXES)


def first(fields: dict[str, Any], keys: tuple[str, ...]) -> Any:
    key = first_key(fields, keys)
    return None if key is None else fields[key]


def first_key(fields: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` with a value (neither null nor empty), to name it in errors."""
    for key in keys:
        value = fields.get(key)
        if value is not None and value != "":
            return key
    return None


def text(where: Where, value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise where.error(f"'{field}' must be a string")
    return str(value)


def valid_port(value: Any) -> int | None:
    """A port from 1 to 65535 (ASCII digits, as a number or text), or ``None``."""
    digits = (
        str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    )
    if not (digits.isascii() and digits.isdigit()) or not 0 < int(digits) < 65536:
        return None
    return int(digits)


def port_number(where: Where, value: Any, field: str) -> int:
    port = valid_port(value)
    if port is None:
        raise where.error(f"'{field}' is not a port number")
    return port


def split_host_port(entry: str) -> tuple[str, str | None]:
    """``host``, ``host:port``, ``[ipv6]`` or ``[ipv6]:port``; a bare IPv6 address has no port.

    ``ValueError`` for an unbalanced bracket or text after one other than ``:port``.
    """
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("unbalanced brackets")
        return host, rest[1:] if rest else None
    if "[" in entry or "]" in entry:
        raise ValueError("unbalanced brackets")
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, port
    return entry, None


def host_entry(where: Where, entry: Any, field: str) -> tuple[str, int | None]:
    """An item of ``hosts``: ``"host"``, ``"host:port"`` or ``{"hostname": ..., "port": ...}``."""
    if isinstance(entry, dict):
        port = port_number(where, entry["port"], f"{field}.port") if "port" in entry else None
        return text(where, entry.get("hostname", entry.get("host", "")), field), port
    try:
        host, port_text = split_host_port(text(where, entry, field))
    except ValueError:
        raise where.error(f"'{field}' is not a host or host:port") from None
    return host, None if port_text is None else port_number(where, port_text, field)


def join_host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 host in brackets: the one way cfsettings writes an address."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


#: Characters that end a host name inside a URI (and brackets): a host holding one holds more
#: than a host.
_NOT_IN_HOST = frozenset("@/?#[]")


def control_character(value: str) -> str | None:
    """What kind of control character ``value`` holds (for an error message), or ``None``."""
    if value.isprintable():  # no control character is printable; checked in C, as is usual
        return None
    for char in value:
        code = ord(char)
        if code == 0:
            return "a NUL character"
        if code < 0x20 or 0x7F <= code < 0xA0 or code in (0x2028, 0x2029):
            return "a control character"
    return None


def check_text(where: Where, value: str, field: str) -> None:
    """A user, password, database name or option: no NUL or other control character."""
    found = control_character(value)
    if found is not None:
        raise where.error(f"'{field}' contains {found}, which drivers cannot pass on")


def check_host(where: Where, host: str, field: str) -> None:
    """A host name or address: no control characters, whitespace, port, scheme or path."""
    check_text(where, host, field)
    if any(map(str.isspace, host)):
        raise where.error(f"'{field}' contains whitespace; a host name cannot")
    if "://" in host:
        raise where.error(f"'{field}' holds a URI, not a host name; bind the URI as 'uri'")
    if host.startswith("/"):
        return  # a Unix socket directory, as libpq takes it
    if not _NOT_IN_HOST.isdisjoint(host):
        raise where.error(f"'{field}' is not a host name or address")
    if host.count(":") == 1:
        raise where.error(
            f"'{field}' holds a port as well as a host; give the port in 'port' instead"
        )
