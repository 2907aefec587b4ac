"""What a ``DATABASES`` entry needs beyond the address: poolers, ASGI and the broker's limit.

Three facts that Django's defaults do not know about change a database entry:

- A transaction-mode pooler (PgBouncer, Supavisor) gives each transaction whatever server
  connection is free. Server-side cursors (``QuerySet.iterator()``) outlive their
  transaction, so ``DISABLE_SERVER_SIDE_CURSORS`` is set. Persistent connections stay: they
  hold a pooler client slot, not a server connection.
- Under ASGI each request has its own connection, so persistent ones pile up until the server
  refuses more. Django's docs say to disable them and use the backend's pool: PostgreSQL gets
  ``CONN_MAX_AGE=0`` and ``OPTIONS["pool"]`` (psycopg 3 with psycopg_pool), MySQL (no pool
  in Django) ``CONN_MAX_AGE=0``.
- A broker may state the plan's connection limit (``max_conns``, ...); the pool is sized so
  that every worker of every instance fits, leaving a tenth of it for management commands.

Each decision keeps its reason (``ConnectionPlan.as_data``) for explain. ``cf_stage`` knows a
transaction pooler by ``DISABLE_SERVER_SIDE_CURSORS`` (hand-written ``DATABASES`` too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cfsettings.bindings.classify import MYSQL, POSTGRESQL
from cfsettings.errors import improperly_configured

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cfsettings.bindings.endpoint import Endpoint
    from cfsettings.concurrency import Process
    from cfsettings.entries import DatabaseConfig

POOLER_VARIABLE = "CFSETTINGS_DATABASE_POOLER"
TRANSACTION, SESSION, NONE = "transaction", "session", "none"
MODES = (TRANSACTION, SESSION, NONE)
#: URI query parameter (Prisma's spelling, which several providers print) naming a pooler.
PGBOUNCER_PARAMETER = "pgbouncer"
#: Credential fields in which brokers state how many connections the plan allows.
LIMIT_KEYS = ("max_conns", "max_connections", "connection_limit", "conn_limit")

#: Conventions that say a pooler listens, and in which mode. Each wins only when nothing
#: explicit (argument, variable, URI parameter) has decided.
POOLER_PORTS = {
    6432: "port 6432 is PgBouncer's (Azure Database for PostgreSQL flexible server's built-in "
    "PgBouncer among others), assumed to pool transactions",
}
SUPABASE_POOLER = ".pooler.supabase.com"
NEON_POOLER = "-pooler"

#: Pool per worker process when the broker states no limit: psycopg_pool's own default
#: minimum, and room for the requests in flight in one ASGI worker.
DEFAULT_POOL = {"min_size": 2, "max_size": 10}
#: Seconds a request waits for a pooled connection before it fails (psycopg_pool: 30 s, more
#: than a client waits for a page).
POOL_TIMEOUT = 10.0


class ConnectionPlan:
    """What one database entry gets, and why; ``apply`` writes it into the entry."""

    __slots__ = (
        "limit",
        "limit_reason",
        "pool",
        "pool_reason",
        "pooler",
        "pooler_reason",
        "process",
    )

    def __init__(self, process: Process) -> None:
        self.process = process
        self.pooler: str | None = None
        self.pooler_reason = ""
        self.limit: int | None = None
        self.limit_reason = "the binding states no connection limit"
        self.pool: dict[str, Any] | None = None
        self.pool_reason = ""

    def apply(self, entry: DatabaseConfig, options: dict[str, Any]) -> None:
        """Write the plan into ``entry`` and its ``options`` (before the project's overrides)."""
        if self.pooler == TRANSACTION:
            entry["DISABLE_SERVER_SIDE_CURSORS"] = True
        if self.process.asgi:
            entry["CONN_MAX_AGE"] = 0
        if self.pool is not None:
            options["pool"] = dict(self.pool)

    def as_data(self) -> dict[str, Any]:
        return {
            "pooler": self.pooler,
            "pooler_reason": self.pooler_reason,
            "limit": self.limit,
            "limit_reason": self.limit_reason,
            "pool": self.pool,
            "pool_reason": self.pool_reason,
            **self.process.as_data(),
        }


def plan_connections(
    service: str,
    kind: str,
    host: str,
    port: int | None,
    params: Mapping[str, str],
    credentials: Mapping[str, Any],
    process: Process,
    pooler: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ConnectionPlan:
    """Decide, for one MySQL or PostgreSQL endpoint, the pooler, the limit and the pool."""
    plan = ConnectionPlan(process)
    plan.limit, plan.limit_reason = stated_limit(service, credentials, plan.limit_reason)
    if kind == POSTGRESQL:
        plan.pooler, plan.pooler_reason = detect_pooler(
            service, host, port, params, pooler, environ or {}
        )
    if not process.asgi:
        return plan
    if kind == MYSQL:
        plan.pool_reason = "ASGI: Django has no pool for MySQL, so each request connects anew"
        return plan
    if not _pool_installed():
        plan.pool_reason = (
            "ASGI: persistent connections off; no pool because psycopg 3 and psycopg_pool "
            'are not both installed (pip install "psycopg[pool]")'
        )
        return plan
    plan.pool, plan.pool_reason = pool_options(plan.limit, process)
    return plan


def detect_pooler(
    service: str,
    host: str,
    port: int | None,
    params: Mapping[str, str],
    pooler: str | None,
    environ: Mapping[str, str],
) -> tuple[str | None, str]:
    """``(mode or None, why)``: the argument, the variable, the URI, then host and port."""
    if pooler is not None:
        origin = f"databases(pooler={pooler!r})"
        return _mode(pooler, origin, service), origin
    variable = environ.get(POOLER_VARIABLE, "").strip()
    if variable:
        return _mode(variable, POOLER_VARIABLE, service), f"{POOLER_VARIABLE}={variable}"
    lowered = {key.lower(): value for key, value in params.items()}
    if PGBOUNCER_PARAMETER in lowered:
        value = lowered[PGBOUNCER_PARAMETER].strip().lower()
        if value not in ("true", "false"):
            raise improperly_configured(
                f"Service {service!r} (postgresql): the URI parameter pgbouncer must be true "
                f"or false, not {lowered[PGBOUNCER_PARAMETER]!r}."
            )
        reason = f"the URI says pgbouncer={value}"
        return (TRANSACTION, reason) if value == "true" else (None, reason)
    name = host.lower().rstrip(".")
    if name.endswith(SUPABASE_POOLER):
        if port == 6543:
            return TRANSACTION, f"port 6543 of {name} is Supabase's transaction pooler"
        return SESSION, f"{name} on port {port} is Supabase's session pooler"
    if name.partition(".")[0].endswith(NEON_POOLER):
        return TRANSACTION, f"a host name ending in -pooler is Neon's PgBouncer ({name})"
    if port in POOLER_PORTS:
        return TRANSACTION, POOLER_PORTS[port]
    return None, f"no sign of a pooler (no pgbouncer=true, port {port}, {POOLER_VARIABLE} unset)"


def _mode(value: str, origin: str, service: str) -> str | None:
    mode = value.strip().lower()
    if mode == "statement":
        raise improperly_configured(
            f"{origin}: statement pooling cannot run Django, whose transactions span several "
            f"statements (service {service!r}); use transaction or session pooling."
        )
    if mode not in MODES:
        raise improperly_configured(
            f"{origin} must be one of {', '.join(MODES)}, not {value!r} (service {service!r})."
        )
    return None if mode == NONE else mode


def stated_limit(
    service: str, credentials: Mapping[str, Any], default_reason: str
) -> tuple[int | None, str]:
    """The connection limit a binding states (``max_conns`` and kin), or ``None``."""
    lowered = {str(key).lower(): value for key, value in credentials.items()}
    for key in LIMIT_KEYS:
        if key in lowered and lowered[key] is not None and str(lowered[key]).strip():
            value = lowered[key]
            text = str(value).strip()
            if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
                raise improperly_configured(
                    f"Service {service!r}: the credential {key!r} must be a whole number of "
                    f"connections, not {text!r}."
                )
            return int(text), f"the binding states {key}={text}"
    return None, default_reason


def pool_options(limit: int | None, process: Process) -> tuple[dict[str, Any], str]:
    """The pool of each worker process, sized so that all of them fit the stated limit.

    A tenth of the limit (at least one) is left for ``cf_stage``, ``cf ssh`` sessions and the
    next deploy; the rest is shared by instances x workers. Threads do not multiply it: one
    pool serves every thread of a process.
    """
    if limit is None:
        size = dict(DEFAULT_POOL)
        reason = (
            f"ASGI: a pool instead of persistent connections; no stated limit, so "
            f"{size['max_size']} per worker"
        )
    else:
        processes = process.workers * (process.instances or 1)
        spare = max(1, limit // 10)
        share = (limit - spare) // processes
        largest = max(1, share)
        size = {"min_size": min(DEFAULT_POOL["min_size"], largest), "max_size": largest}
        instances = f"{process.instances} instances" if process.instances else "per instance"
        reason = (
            f"ASGI: a pool instead of persistent connections; ({limit} stated - {spare} "
            f"spare) / ({process.workers} workers, {instances}) = {share}"
        )
        if share < 1:
            reason += ": fewer than one each, so 1, and the limit is exceeded (W007)"
    return {**size, "timeout": POOL_TIMEOUT}, reason


def _pool_installed() -> bool:
    """Whether Django can open a pool: psycopg 3 and psycopg_pool importable (not imported)."""
    from importlib.util import find_spec

    return find_spec("psycopg") is not None and find_spec("psycopg_pool") is not None


def through_transaction_pooler(entry: Mapping[str, Any]) -> bool:
    """Whether ``cf_stage`` must assume that transactions may land on different sessions.

    The contract with ``cf_stage``: cfsettings sets ``DISABLE_SERVER_SIDE_CURSORS`` for a
    transaction pooler, and a project that sets it by hand says the same.
    """
    return bool(entry.get("DISABLE_SERVER_SIDE_CURSORS"))


class Connecting:
    """The context of one ``databases()`` call: serving facts read once, a plan per entry."""

    __slots__ = ("_process", "asgi", "environ", "pooler")

    def __init__(self, environ: Mapping[str, str], asgi: bool | None, pooler: str | None) -> None:
        self.environ = environ
        self.asgi = asgi
        self.pooler = pooler
        self._process: Process | None = None

    @property
    def process(self) -> Process:
        if self._process is None:  # read only when a server database is configured
            from cfsettings.concurrency import read_process

            self._process = read_process(self.environ, self.asgi)
        return self._process

    def plan(self, endpoint: Endpoint, credentials: Mapping[str, Any]) -> ConnectionPlan:
        return plan_connections(
            endpoint.service,
            endpoint.kind,
            endpoint.host,
            endpoint.port,
            endpoint.params,
            credentials,
            self.process,
            self.pooler,
            self.environ,
        )

    def plan_url(
        self, config: Mapping[str, Any], kind: str, options: dict[str, Any]
    ) -> ConnectionPlan:
        """For ``DATABASE_URL``: dj-database-url leaves ``?pgbouncer=`` in ``OPTIONS``, where
        libpq would refuse it, so it is taken out and read here."""
        params = {}
        if PGBOUNCER_PARAMETER in options:
            params[PGBOUNCER_PARAMETER] = str(options.pop(PGBOUNCER_PARAMETER))
        port = config.get("PORT")
        return plan_connections(
            "DATABASE_URL",
            kind,
            str(config.get("HOST") or ""),
            int(port) if port else None,
            params,
            {},
            self.process,
            self.pooler,
            self.environ,
        )
