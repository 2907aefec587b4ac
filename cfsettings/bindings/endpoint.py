"""Read one service's credentials into an ``Endpoint``: where and how to connect.

Brokers spell the same facts many ways; keys are compared case-insensitively. Per fact, a
discrete field (``host``, ``port``, ``username``...) beats the same fact in a URI, and ``uri``
beats ``jdbcUrl``, which beats ``r2dbc-url``; a URI fills whatever the fields leave out. The
database name, hosts and ports have their own rules (``target``); TLS facts
are in ``tlsfields``, and the checks every value passes in ``fields``. Where the sources
disagree on a fact that decides the connection, ``Endpoint.notes`` says which was used and why.
Known exceptions, where a broker uses a field for something else:

- Google Cloud's broker (credentials with ``PrivateKeyData``): ``Name`` is the service
  account, never a database name.
- Redis: ``name`` is never read; the database number comes from the URI path, or from a
  ``database`` entry of a binding directory. Redis ``tls_port`` means TLS on that port.
- IBM Cloud Databases nest credentials under ``connection.<engine>``: ``composed[0]`` is the
  URI, ``authentication`` holds the user, ``certificate.certificate_base64`` the CA.
"""

from __future__ import annotations

from typing import Any, Final

from cfsettings.bindings.classify import Match
from cfsettings.bindings.fields import (
    Where,
    check_host,
    check_text,
    first,
    flatten,
    host_entry,
    join_host_port,
    text,
)
from cfsettings.bindings.target import read_address, read_database, refuse_sentinel_and_cluster
from cfsettings.bindings.tlsfields import read_tls
from cfsettings.bindings.uris import URI_FIELDS, field_params, read_uri
from cfsettings.bindings.vocabulary import (
    DEFAULT_PORTS,
    MEMCACHED,
    MYSQL,
    PASSWORD_KEYS,
    POSTGRESQL,
    REDIS,
    USER_KEYS,
)

__all__ = ["Endpoint", "join_host_port", "read_endpoint"]


class Endpoint:
    """Connection facts for one service. ``repr`` hides the password and certificates.

    A record, like ``Service``; ``read_endpoint`` builds it, the kind's default port
    included when the credentials name none."""

    __slots__ = (
        "ca",
        "client_cert",
        "client_key",
        "database",
        "host",
        "hosts",
        "kind",
        "notes",
        "params",
        "password",
        "port",
        "servers",
        "service",
        "tls",
        "username",
    )

    def __init__(
        self,
        service: str,
        kind: str,
        host: str,
        port: int,
        username: str,
        password: str,
        database: str,
        params: dict[str, str],
        servers: list[str],
        hosts: tuple[tuple[str, int], ...] = (),
        notes: tuple[str, ...] = (),
        tls: bool | None = None,
        ca: str | None = None,
        client_cert: str | None = None,
        client_key: str | None = None,
    ) -> None:
        self.service: Final = service
        self.kind: Final = kind
        self.host: Final = host
        self.port: Final = port
        self.username: Final = username
        self.password: Final = password
        self.database: Final = database
        self.params: Final = params
        self.servers: Final = servers
        #: Every (host, port) when the binding lists several (PostgreSQL: an HA pair).
        self.hosts: Final = hosts
        #: Where the credentials disagreed and which source was used, for explain.
        self.notes: Final = notes
        self.tls: Final = tls  #: None: the credentials do not say
        self.ca: Final = ca  #: PEM text, or a path given by the broker
        self.client_cert: Final = client_cert
        self.client_key: Final = client_key

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
    if kind == REDIS:
        refuse_sentinel_and_cluster(where, fields)

    uris = [
        facts
        for key, name in URI_FIELDS
        if key in fields and (facts := read_uri(where, fields[key], name)) is not None
    ]
    params: dict[str, str] = {}
    for uri in uris:
        params.update(uri.params)
    params.update(field_params(where, fields, service.from_directory))

    login = {"username": "", "password": ""}
    for keys, attribute in ((USER_KEYS, "username"), (PASSWORD_KEYS, "password")):
        for uri in uris:
            found = getattr(uri, attribute)
            if found is not None:
                login[attribute] = found
        value = first(fields, keys)
        if value is not None:
            login[attribute] = text(where, value, attribute)

    address = read_address(where, fields, uris)
    database, database_notes = read_database(
        where, fields, uris, login["password"], service.from_directory
    )
    servers: list[str] = []
    if kind == MEMCACHED and "servers" in fields:
        servers = _servers(where, fields["servers"])
    elif kind == MEMCACHED and len(address.hosts) > 1:
        servers = [join_host_port(host, port) for host, port in address.hosts]
    notes = [*address.notes, *database_notes]
    if kind == POSTGRESQL and len(address.hosts) > 1:
        params.setdefault("target_session_attrs", "read-write")
        notes.append(
            f"hosts: {len(address.hosts)} hosts, tried in order; target_session_attrs="
            f"{params['target_session_attrs']} finds the primary"
        )
    tls = next((uri.tls for uri in reversed(uris) if uri.tls is not None), None)
    tls_facts = read_tls(where, fields, params, address.tls or tls)
    host, port = address.hosts[0] if address.hosts else ("", 0)
    endpoint = Endpoint(
        service.name,
        kind,
        host=host,
        port=port or DEFAULT_PORTS[kind],
        database=database,
        params=params,
        servers=servers,
        hosts=address.hosts if len(address.hosts) > 1 else (),
        notes=tuple(notes),
        username=login["username"],
        password=login["password"],
        **tls_facts,
    )
    _check(where, endpoint)
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


def _check(where: Where, endpoint: Endpoint) -> None:
    """Refuse control characters and hosts that are more than a host (``validate``)."""
    for host, _ in endpoint.hosts or ((endpoint.host, endpoint.port),):
        if host:
            check_host(where, host, "host")
    for attribute in ("username", "password", "database"):
        check_text(where, getattr(endpoint, attribute), attribute)
    for name, value in endpoint.params.items():  # PEM text may hold newlines, never a NUL
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
