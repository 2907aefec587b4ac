"""Refuse connection facts that a driver would silently misread.

libpq cuts a string at a NUL (in one trial a password with a NUL sent the connection meant
for 127.0.0.1 to the local Unix socket instead); whitespace, a ``host:port`` or a whole URI in
a host field only fail at connect time, with the port silently lost. Each is refused while
settings load, naming the service and the field and never the value: it may be a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cfsettings.bindings.fields import Where

#: Characters that end a host name inside a URI: a host holding one holds more than a host.
_URI_DELIMITERS = "@/?#"


def control_character(value: str) -> str | None:
    """What kind of control character ``value`` holds (for an error message), or ``None``."""
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
    if any(char.isspace() for char in host):
        raise where.error(f"'{field}' contains whitespace; a host name cannot")
    if "://" in host:
        raise where.error(f"'{field}' holds a URI, not a host name; bind the URI as 'uri'")
    if host.startswith("/"):
        return  # a Unix socket directory, as libpq takes it
    if any(char in _URI_DELIMITERS or char in "[]" for char in host):
        raise where.error(f"'{field}' is not a host name or address")
    if host.count(":") == 1:
        raise where.error(
            f"'{field}' holds a port as well as a host; give the port in 'port' instead"
        )
