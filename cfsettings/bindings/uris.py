"""What a connection URI says: ``uri``, ``jdbcUrl`` (``jdbc-url``) and ``r2dbc-url``.

Parsed with ``urllib.parse``, except the authority: a PostgreSQL URI may list several hosts
(``postgres://u:p@h1:5432,h2:5432/db``, as libpq takes it), which ``urlsplit`` cannot port.
Query values are decoded once; a JDBC URL and a PostgreSQL URI may carry the login in the
query (``?user=...&password=...``), which then wins over the userinfo, as in libpq.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from cfsettings.bindings.fields import split_host_port, text, valid_port
from cfsettings.bindings.vocabulary import POSTGRESQL, SCHEMES

if TYPE_CHECKING:
    from cfsettings.bindings.fields import Where

#: The flattened key of each URI credential and the name errors and notes use for it,
#: weakest first: a later URI overrides what an earlier one says.
URI_FIELDS = (("r2dbcurl", "r2dbc-url"), ("jdbcurl", "jdbcUrl"), ("uri", "uri"))
_PREFIXES = ("jdbc:", "r2dbc:pool:", "r2dbc:")


@dataclass(frozen=True)
class UriFacts:
    """One URI's facts; ``None`` where the URI does not say."""

    source: str
    addresses: tuple[tuple[str, int | None], ...] = ()
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    database: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tls: bool | None = None

    @property
    def port(self) -> int | None:
        """The port of a one-host URI."""
        return self.addresses[0][1] if len(self.addresses) == 1 else None


def read_uri(where: Where, value: Any, name: str) -> UriFacts | None:
    """The facts of one URI; ``None`` for a JDBC or R2DBC URL of another engine."""
    given = text(where, value, name).strip()
    for prefix in _PREFIXES:
        if given.lower().startswith(prefix):
            given = given[len(prefix) :]
            break
    invalid = f"'{name}' is not a valid URI (bad host or port)"
    try:
        parts = urlsplit(given)
    except ValueError:
        raise where.error(invalid) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES[where.kind]:
        if name == "uri":
            raise where.error(
                f"'{name}' has the scheme {scheme!r}, not one of {where.kind}'s"
                if scheme
                else f"'{name}' is not a URI (it has no scheme)"
            )
        return None
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    addresses = [_address(where, entry, invalid) for entry in hostinfo.split(",") if hostinfo]
    if len(addresses) > 1 and not all(host for host, _ in addresses):
        raise where.error(invalid)  # "h1,,h2" or ",h2": a list with a hole
    username = password = None
    if at:
        username, colon, secret = userinfo.partition(":")
        username = unquote(username)
        password = unquote(secret) if colon else None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if name != "uri" or where.kind == POSTGRESQL:  # libpq and JDBC take the login here too
        username = params.pop("user", username)
        password = params.pop("password", password)
    return UriFacts(
        source=name,
        addresses=tuple(address for address in addresses if address != ("", None)),
        username=username,
        password=password,
        database=unquote(parts.path.lstrip("/")) or None,
        params=params,
        tls=True if scheme == "rediss" else None,
    )


def _address(where: Where, entry: str, invalid: str) -> tuple[str, int | None]:
    """One ``host[:port]`` of the authority, percent-decoded as libpq decodes it."""
    try:
        host, port_text = split_host_port(entry)
    except ValueError:
        raise where.error(invalid) from None
    if not port_text:  # "host:" means the default port, as in urlsplit
        return unquote(host).lower(), None
    port = valid_port(port_text)
    if port is None:
        raise where.error(invalid)
    return unquote(host).lower(), port
