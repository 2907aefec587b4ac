"""What a connection URI says (``uri``, ``jdbcUrl``/``jdbc-url``, ``r2dbc-url``), and the
fields that stand for its query parameters.

Parsed with ``urllib.parse``, except the authority: a PostgreSQL URI may list several hosts
(``postgres://u:p@h1:5432,h2:5432/db``, as libpq takes it), which ``urlsplit`` cannot port.
Query values are decoded once; a JDBC URL and a PostgreSQL URI may carry the login in the
query (``?user=...&password=...``), which then wins over the userinfo, as in libpq.

Kubernetes binding entries give some parameters as fields (spring-cloud-bindings reads
``sslmode``, ``options`` and ``client-name``): ``field_params`` turns them into parameters,
and a field beats the same parameter in a URI's query.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from cfsettings.bindings.fields import Where, first_key, split_host_port, text, valid_port
from cfsettings.bindings.vocabulary import POSTGRESQL, REDIS, SCHEMES, SSLMODE_KEYS

#: The flattened key of each URI credential and the name errors and notes use for it,
#: weakest first: a later URI overrides what an earlier one says.
URI_FIELDS = (("r2dbcurl", "r2dbc-url"), ("jdbcurl", "jdbcUrl"), ("uri", "uri"))
_PREFIXES = ("jdbc:", "r2dbc:pool:", "r2dbc:")


class UriFacts:
    """One URI's facts; ``None`` where the URI does not say. ``repr`` hides the login."""

    __slots__ = ("addresses", "database", "params", "password", "source", "tls", "username")

    def __init__(
        self,
        source: str,
        addresses: tuple[tuple[str, int | None], ...],
        username: str | None,
        password: str | None,
        database: str | None,
        params: dict[str, str],
        tls: bool | None,
    ) -> None:
        self.source: Final = source
        self.addresses: Final = addresses
        self.username: Final = username
        self.password: Final = password
        self.database: Final = database
        self.params: Final = params
        self.tls: Final = tls

    def __repr__(self) -> str:
        return f"UriFacts(source={self.source!r}, addresses={self.addresses!r})"

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
    params = dict(parse_qsl(parts.query, keep_blank_values=True)) if parts.query else {}
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


def field_params(where: Where, fields: dict[str, Any], directory: bool) -> dict[str, str]:
    """Parameters given as fields, under the names the URI query would use.

    ``options`` only in binding directories, where spring-cloud-bindings defines its form: in
    a ``VCAP_SERVICES`` document a broker's ``options`` may mean anything.
    """
    params: dict[str, str] = {}
    key = first_key(fields, SSLMODE_KEYS)
    if key is not None:
        params[key] = text(where, fields[key], key).strip()
    options = fields.get("options") if directory and where.kind == POSTGRESQL else None
    if isinstance(options, str) and options:
        params["options"] = libpq_options(where, options)
    key = first_key(fields, ("client-name", "client_name")) if where.kind == REDIS else None
    if key is not None:
        params["client_name"] = text(where, fields[key], key)
    return params


def libpq_options(where: Where, value: str) -> str:
    """A binding's ``options`` as libpq's ``options`` (command-line switches for the server).

    Already in libpq's form (``-c search_path=app``) it is used as it is. Otherwise it is a
    list joined by ``&``: ``name=value`` becomes ``-c name=value``, and an entry starting with
    ``--`` (CockroachDB's ``--cluster=<routing-id>``) is passed as it is. Spaces in a value are
    escaped for libpq. Anything else is refused rather than dropped.
    """
    if value.lstrip().startswith("-") and "&" not in value:
        return value.strip()
    switches = []
    for entry in value.split("&"):
        if entry.startswith("--"):
            switches.append(_escape(entry))
        elif "=" in entry and entry.partition("=")[0].strip():
            switches.append(f"-c {_escape(entry)}")
        else:
            raise where.error(
                f"'options' holds {entry!r}, which is neither name=value nor a --switch"
            )
    return " ".join(switches)


def _escape(entry: str) -> str:
    return entry.replace("\\", "\\\\").replace(" ", "\\ ")
