"""Where to connect: the host(s) and port(s), the database, and what cannot be connected to.

Hosts and ports. Per fact, a discrete field beats a URI and ``uri`` beats ``jdbcUrl``, which beats
``r2dbc-url``: a ``host`` field, else a ``hosts`` list, else the strongest URI naming a host.
A ``port`` field applies to every host; a host without a port takes the strongest URI's port,
else the engine's default. Where a field and a URI name different hosts or ports the field
is used and a note says so (explain shows it).

Several hosts are an HA pair or cluster: PostgreSQL gets them all, comma-separated as libpq
takes them, with ``target_session_attrs=read-write`` so a connection finds the primary after
a failover. mysqlclient and redis-py connect to one host: a list is refused for them rather
than silently using its first host, which after a failover is a read-only replica.
Redis Sentinel and Cluster bindings are refused for the same reason
(``refuse_sentinel_and_cluster``).

The database name. ``name`` is ambiguous: IBM Compose-style credentials and other brokers
put the instance or deployment name there, and in binding directories Cloud Foundry writes,
the binding's name overwrites a credential ``name``. So, strongest first:

1. an explicit key: ``database``, ``dbname``, ``db_name``, ``database_name``, ``db``;
2. the path of a URI (``uri``, then ``jdbcUrl``, then ``r2dbc-url``);
3. ``name`` (never for Google's broker, where ``Name`` is the service account).

A weaker source that names another database is noted (explain shows it), never used.
Redis takes a database *number* from the URI path, never from ``name``; a ``database``
entry (which beats the path) only in binding directories, where spring-cloud-bindings defines
it: in ``VCAP_SERVICES`` documents brokers use ``database`` for other things.
"""

from __future__ import annotations

from typing import Any, Final

from cfsettings.bindings.fields import Where, first, first_key, host_entry, port_number, text
from cfsettings.bindings.uris import UriFacts
from cfsettings.bindings.vocabulary import (
    AMBIGUOUS_DATABASE_KEYS,
    DEFAULT_PORTS,
    EXPLICIT_DATABASE_KEYS,
    HOST_KEYS,
    MEMCACHED,
    MYSQL,
    PORT_KEYS,
    POSTGRESQL,
    REDIS,
)

#: Redis Sentinel as spring-cloud-bindings (``sentinel.*``) and java-cfenv (``sentinels``,
#: ``master_name``) see it; Redis Cluster as spring-cloud-bindings does (``cluster.*``).
SENTINEL_KEYS = ("sentinel.master", "sentinel.nodes", "sentinels", "master_name")
CLUSTER_KEYS = ("cluster.nodes", "cluster.max-redirects")


class Address:
    """The hosts (with ports) to connect to, and notes on conflicts between sources."""

    __slots__ = ("hosts", "notes", "tls")

    def __init__(
        self, hosts: tuple[tuple[str, int], ...], notes: tuple[str, ...], tls: bool | None = None
    ) -> None:
        self.hosts: Final = hosts
        self.notes: Final = notes
        self.tls: Final = tls  # Redis tls_port


def read_address(where: Where, fields: dict[str, Any], uris: list[UriFacts]) -> Address:
    """Hosts and ports from the fields and URIs (weakest URI first), by the rules above."""
    notes: list[str] = []
    entries, source = _hosts(where, fields, uris)
    uri_hosts = next((u for u in reversed(uris) if any(h for h, _ in u.addresses)), None)
    if uri_hosts is not None and source in (*HOST_KEYS, "hosts"):
        named = [host for host, _ in uri_hosts.addresses]  # URI hosts are lower-cased
        if named != [host.lower() for host, _ in entries]:
            notes.append(
                f"host: {source!r} is used; {uri_hosts.source!r} names another host "
                "(a discrete field beats a URI)"
            )
    tls = None
    port_key = first_key(fields, PORT_KEYS)
    if where.kind == REDIS and first(fields, ("tls_port",)) is not None:
        port_key, tls = "tls_port", True
    if port_key is not None:
        port = port_number(where, fields[port_key], port_key)
        uri_port = next((u.port for u in reversed(uris) if u.port is not None), None)
        if uri_port is not None and uri_port != port:
            notes.append(f"port: {port_key!r} ({port}) beats the port of a URI ({uri_port})")
        entries = [(host, port) for host, _ in entries]
    fallback = next((u.port for u in reversed(uris) if u.port is not None), None)
    hosts = tuple(
        dict.fromkeys(
            (host, port or fallback or DEFAULT_PORTS[where.kind]) for host, port in entries
        )
    )
    if len(hosts) > 1:
        _check_list(where, hosts, source)
    return Address(hosts, tuple(notes), tls)


def _hosts(
    where: Where, fields: dict[str, Any], uris: list[UriFacts]
) -> tuple[list[tuple[str, int | None]], str]:
    """The host entries and where they came from (a field name, ``hosts`` or a URI's)."""
    key = first_key(fields, HOST_KEYS)
    if key is not None:
        return [(text(where, fields[key], "host").strip("[]"), None)], key
    listed = fields.get("hosts")
    if isinstance(listed, list) and listed:
        return [host_entry(where, entry, f"hosts[{i}]") for i, entry in enumerate(listed)], "hosts"
    for uri in reversed(uris):
        if uri.addresses:
            return list(uri.addresses), uri.source
    return [], ""


def _check_list(where: Where, hosts: tuple[tuple[str, int], ...], source: str) -> None:
    """Several hosts: fine for PostgreSQL and Memcached, refused for MySQL and Redis."""
    if where.kind in (POSTGRESQL, MEMCACHED):
        return
    if where.kind == MYSQL:
        raise where.error(
            f"{source!r} lists {len(hosts)} hosts, but mysqlclient connects to one host. Bind "
            "the address that always reaches the primary (a proxy or the cluster's failover "
            "host name) as 'host' or 'uri' instead"
        )
    raise where.error(
        f"{source!r} lists {len(hosts)} hosts, but Django's RedisCache connects to one server. "
        "Bind the Redis primary's address (or a proxy in front of the group) instead"
    )


def libpq_host_port(hosts: tuple[tuple[str, int], ...]) -> tuple[str, int | str]:
    """``HOST`` and ``PORT`` as libpq takes a list: comma-separated, one port if all agree."""
    ports = {port for _, port in hosts}
    port: int | str = ports.pop() if len(ports) == 1 else ",".join(str(port) for _, port in hosts)
    return ",".join(host for host, _ in hosts), port


_WHY = {
    "explicit": "an explicit database key beats a URI's path and 'name'",
    "uri": "a URI's path beats 'name', which brokers also use for the instance name",
}


def read_database(
    where: Where, fields: dict[str, Any], uris: list[UriFacts], password: str, directory: bool
) -> tuple[str, tuple[str, ...]]:
    """The database name (``""``: none given) and notes on the sources it beat."""
    if where.kind == MEMCACHED:
        return "", ()
    candidates: list[tuple[str, str, str]] = []  # (value, where it came from, rank)
    explicit: tuple[str, ...] = EXPLICIT_DATABASE_KEYS
    if where.kind == REDIS:
        explicit = ("database",) if directory else ()
    key = first_key(fields, explicit)
    if key is not None:
        candidates.append((text(where, fields[key], "database"), repr(key), "explicit"))
    for uri in reversed(uris):
        if uri.database is not None:
            candidates.append((uri.database, f"the path of {uri.source!r}", "uri"))
    if where.kind != REDIS and "privatekeydata" not in fields:  # Google: Name is an account
        key = first_key(fields, AMBIGUOUS_DATABASE_KEYS)
        if key is not None:
            candidates.append((text(where, fields[key], "database"), repr(key), "name"))
    if not candidates:
        return "", ()
    value, source, rank = candidates[0]
    notes = tuple(
        f"database: {_shown(value, password)} from {source} is used; {other_source} names "
        f"{_shown(other, password)} ({_WHY[rank] if rank != other_rank else 'a stronger URI wins'})"
        for other, other_source, other_rank in candidates[1:]
        if other != value
    )
    return value, notes


def _shown(value: str, password: str) -> str:
    """A name for a note; a broker may reuse the password as a name: it is masked."""
    return "'********'" if password and value == password else repr(value)


def refuse_sentinel_and_cluster(where: Where, fields: dict[str, Any]) -> None:
    """Django's ``RedisCache`` connects to fixed addresses: it cannot follow a Sentinel
    failover nor speak the Cluster protocol, so using one of the listed nodes would work
    until the first failover or resharding. Refused, saying what to bind instead."""
    sentinel = [key for key in SENTINEL_KEYS if key in fields]
    if sentinel:
        raise where.error(
            f"the binding describes Redis Sentinel ({', '.join(map(repr, sentinel))}), which "
            "Django's RedisCache cannot follow through a failover. Bind the Redis primary's "
            "address (host and port, or a uri), or a proxy that follows the primary, instead"
        )
    cluster = [key for key in CLUSTER_KEYS if key in fields]
    if cluster:
        raise where.error(
            f"the binding describes a Redis Cluster ({', '.join(map(repr, cluster))}), whose "
            "protocol Django's RedisCache does not speak. Bind a single Redis server, or a "
            "cluster proxy that speaks plain Redis, instead"
        )
