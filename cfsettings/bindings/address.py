"""Where to connect: one host and port, or (PostgreSQL) a list of them.

Per fact, a discrete field beats a URI and ``uri`` beats ``jdbcUrl``, which beats
``r2dbc-url``: a ``host`` field, else a ``hosts`` list, else the strongest URI naming a host.
A ``port`` field applies to every host; a host without a port takes the strongest URI's port,
else the engine's default. Where a field and a URI name different hosts or ports the field
is used and a note says so (explain shows it).

Several hosts are an HA pair or cluster: PostgreSQL gets them all, comma-separated as libpq
takes them, with ``target_session_attrs=read-write`` so a connection finds the primary after
a failover. mysqlclient and redis-py connect to one host: a list is refused for them rather
than silently using its first host, which after a failover is a read-only replica.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cfsettings.bindings.fields import first, first_key, host_entry, port_number, text
from cfsettings.bindings.vocabulary import (
    DEFAULT_PORTS,
    HOST_KEYS,
    MEMCACHED,
    MYSQL,
    PORT_KEYS,
    POSTGRESQL,
    REDIS,
)

if TYPE_CHECKING:
    from cfsettings.bindings.fields import Where
    from cfsettings.bindings.uris import UriFacts


@dataclass(frozen=True)
class Address:
    """The hosts (with ports) to connect to, and notes on conflicts between sources."""

    hosts: tuple[tuple[str, int], ...]
    notes: tuple[str, ...]
    tls: bool | None = None  # Redis tls_port


def read_address(where: Where, fields: dict[str, Any], uris: list[UriFacts]) -> Address:
    """Hosts and ports from the fields and URIs (weakest URI first), by the rules above."""
    notes: list[str] = []
    entries, source = _hosts(where, fields, uris)
    uri_hosts = next((u for u in reversed(uris) if any(h for h, _ in u.addresses)), None)
    if uri_hosts is not None and source in (*HOST_KEYS, "hosts"):
        named = [host for host, _ in uri_hosts.addresses]
        if named != [host for host, _ in entries]:
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
