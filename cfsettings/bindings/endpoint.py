"""Read one service's credentials into an ``Endpoint``: where and how to connect.

Brokers spell the same facts many ways. A discrete field (``host``, ``port``, ...) wins over
the same fact inside a URI, and the URI fills whatever the fields leave out; ``uri`` beats
``jdbcUrl``. Keys are compared case-insensitively. Known exceptions, where a broker uses a
field for something else:

- Google Cloud's broker (credentials with ``PrivateKeyData``): ``Name`` is the service
  account, never a database name.
- Redis and Memcached: ``name``/``database`` are not read; a Redis database index comes
  only from the URI path.
- Redis ``tls_port``: TLS on that port, which wins over ``port``.
- IBM Cloud Databases nest credentials under ``connection.<engine>``: ``composed[0]`` is the
  URI, ``authentication`` holds the user, ``certificate.certificate_base64`` the CA.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from cfsettings.bindings.fields import (
    Where,
    first,
    first_key,
    flatten,
    host_entry,
    join_host_port,
    port_number,
    split_host_port,
    text,
    valid_port,
)
from cfsettings.bindings.tlsfields import read_tls
from cfsettings.bindings.validate import check_host, check_text
from cfsettings.bindings.vocabulary import (
    DATABASE_KEYS,
    DEFAULT_PORTS,
    HOST_KEYS,
    MEMCACHED,
    MYSQL,
    PASSWORD_KEYS,
    PORT_KEYS,
    POSTGRESQL,
    REDIS,
    SCHEMES,
    USER_KEYS,
)

if TYPE_CHECKING:
    from cfsettings.bindings.classify import Match

__all__ = ["Endpoint", "join_host_port", "read_endpoint"]


@dataclass(frozen=True, repr=False)
class Endpoint:
    """Connection facts for one service. ``repr`` hides the password and certificates."""

    service: str
    kind: str
    host: str = ""
    port: int = 0  #: 0 becomes the kind's default port
    username: str = ""
    password: str = field(default="", repr=False)
    database: str = ""
    params: dict[str, str] = field(default_factory=dict)
    tls: bool | None = None  #: None: the credentials do not say
    ca: str | None = field(default=None, repr=False)  #: PEM text, or a path given by the broker
    client_cert: str | None = field(default=None, repr=False)
    client_key: str | None = field(default=None, repr=False)
    servers: list[str] = field(default_factory=list)

    __hash__ = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not self.port:
            object.__setattr__(self, "port", DEFAULT_PORTS[self.kind])

    def __repr__(self) -> str:
        secret = ", password='********'" if self.password else ""
        host, database = (
            "'********'" if self.password and value == self.password else repr(value)
            for value in (self.host, self.database)
        )  # a broker may reuse the password as a name: it is masked wherever it appears
        return (
            f"Endpoint(service={self.service!r}, kind={self.kind!r}, host={host}, "
            f"port={self.port!r}, database={database}, tls={self.tls!r}{secret})"
        )


def read_endpoint(match: Match) -> Endpoint:
    """Collect the connection facts of a matched service, or raise naming what is missing."""
    service, kind = match.service, match.kind
    where = Where(service.name, kind)
    fields = flatten(service.credentials)

    facts: dict[str, Any] = {}
    params: dict[str, str] = {}
    for source in ("jdbcurl", "uri"):  # later sources override earlier ones
        if source in fields:
            found = _uri_facts(where, fields[source], source)
            params.update(found.pop("params", {}))
            facts.update(found)

    host = first(fields, HOST_KEYS)
    if host is None and isinstance(fields.get("hosts"), list) and fields["hosts"]:
        host, port = host_entry(where, fields["hosts"][0], "hosts[0]")
        if port is not None:
            facts["port"] = port
    if host is not None:
        facts["host"] = text(where, host, "host").strip("[]")
    if kind == REDIS and first(fields, ("tls_port",)) is not None:
        facts["port"] = port_number(where, fields["tls_port"], "tls_port")
        facts["tls"] = True
    elif (port_key := first_key(fields, PORT_KEYS)) is not None:
        facts["port"] = port_number(where, fields[port_key], port_key)
    for keys, attribute in ((USER_KEYS, "username"), (PASSWORD_KEYS, "password")):
        value = first(fields, keys)
        if value is not None:
            facts[attribute] = text(where, value, attribute)
    if kind in (MYSQL, POSTGRESQL):
        database_keys = DATABASE_KEYS
        if "privatekeydata" in fields:  # Google's broker: Name is the service account
            database_keys = tuple(key for key in DATABASE_KEYS if key != "name")
        database = first(fields, database_keys)
        if database is not None:
            facts["database"] = text(where, database, "database")
    if kind == MEMCACHED and "servers" in fields:
        facts["servers"] = _servers(where, fields["servers"])

    facts.update(read_tls(where, fields, params, facts.get("tls")))
    _check(where, facts, params)
    endpoint = Endpoint(service.name, kind, params=params, **facts)
    _require(where, endpoint)
    return endpoint


def _servers(where: Where, value: Any) -> list[str]:
    """Memcached ``servers``: a list, or one string separated by commas or spaces."""
    if not isinstance(value, (list, str)):
        raise where.error("'servers' must be a list or a string")
    items = value if isinstance(value, list) else value.replace(",", " ").split()
    servers = []
    for item in items:
        host, port = host_entry(where, item, "servers")
        check_host(where, host, "servers")
        servers.append(join_host_port(host, port or DEFAULT_PORTS[MEMCACHED]))
    return servers


def _uri_facts(where: Where, value: Any, key: str) -> dict[str, Any]:
    """What a ``uri`` or ``jdbcUrl`` says; a ``jdbcUrl`` for another engine says nothing."""
    field = "jdbcUrl" if key == "jdbcurl" else "uri"
    given = text(where, value, field).strip()
    if given.lower().startswith("jdbc:"):
        given = given[5:]
    invalid = f"'{field}' is not a valid URI (bad host or port)"
    try:
        parts = urlsplit(given)
    except ValueError:
        raise where.error(invalid) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES[where.kind]:
        if field == "uri":
            raise where.error(
                f"'{field}' has the scheme {scheme!r}, not one of {where.kind}'s"
                if scheme
                else f"'{field}' is not a URI (it has no scheme)"
            )
        return {}
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    facts: dict[str, Any] = {}
    try:
        host, port_text = split_host_port(hostinfo)
    except ValueError:
        raise where.error(invalid) from None
    if host:  # percent-decoded, as libpq does (a socket directory, an IPv6 zone)
        facts["host"] = unquote(host).lower()
    if port_text:  # "host:" means the default port, as in urlsplit
        port = valid_port(port_text)
        if port is None:
            raise where.error(invalid)
        facts["port"] = port
    if at:
        username, colon, password = userinfo.partition(":")
        facts["username"] = unquote(username)
        if colon:
            facts["password"] = unquote(password)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if field == "jdbcUrl":  # JDBC carries the login in the query string
        for name, attribute in (("user", "username"), ("password", "password")):
            if name in params:
                facts[attribute] = params.pop(name)
    database = unquote(parts.path.lstrip("/"))
    if database:
        facts["database"] = database
    if scheme == "rediss":
        facts["tls"] = True
    facts["params"] = params
    return facts


def _check(where: Where, facts: dict[str, Any], params: dict[str, str]) -> None:
    """Refuse control characters and hosts that are more than a host (``validate``)."""
    if "host" in facts:
        check_host(where, facts["host"], "host")
    for attribute in ("username", "password", "database"):
        if attribute in facts:
            check_text(where, facts[attribute], attribute)
    for name, value in params.items():  # PEM text may hold newlines, never a NUL
        if "\0" in name + value:
            raise where.error(f"the URI parameter {name!r} contains a NUL character")


def _require(where: Where, endpoint: Endpoint) -> None:
    if endpoint.kind == MEMCACHED and endpoint.servers:
        return
    if not endpoint.host:
        raise where.error("the credentials have no host (looked for host, hostname, hosts, uri)")
    if endpoint.kind in (MYSQL, POSTGRESQL) and not endpoint.database:
        raise where.error(
            "the credentials have no database name (looked for name, database, dbname, "
            "db_name, database_name, db and the path of uri)"
        )
