"""Fields beyond the address and login: TLS modes, libpq ``options``, a Redis client name,
and Redis deployments (Sentinel, Cluster) that Django's cache backend cannot use.

These are the Kubernetes binding entries that spring-cloud-bindings reads (``sslmode``,
``options``, ``client-name``, ``sentinel.*``, ``cluster.*``); a field beats the same
parameter in a URI's query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cfsettings.bindings.fields import first_key, text
from cfsettings.bindings.vocabulary import POSTGRESQL, REDIS, SSLMODE_KEYS

if TYPE_CHECKING:
    from cfsettings.bindings.fields import Where

#: Redis Sentinel as spring-cloud-bindings (``sentinel.*``) and java-cfenv (``sentinels``,
#: ``master_name``) see it; Redis Cluster as spring-cloud-bindings does (``cluster.*``).
SENTINEL_KEYS = ("sentinel.master", "sentinel.nodes", "sentinels", "master_name")
CLUSTER_KEYS = ("cluster.nodes", "cluster.max-redirects")


def field_params(where: Where, fields: dict[str, Any]) -> dict[str, str]:
    """Parameters given as fields, under the names the URI query would use."""
    params: dict[str, str] = {}
    key = first_key(fields, SSLMODE_KEYS)
    if key is not None:
        params[key] = text(where, fields[key], key).strip()
    if where.kind == POSTGRESQL and isinstance(fields.get("options"), str) and fields["options"]:
        params["options"] = libpq_options(where, fields["options"])
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
