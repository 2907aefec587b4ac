"""Which database aliases are one staging target, so each schema is migrated exactly once.

``cfsettings.databases()`` puts the default service under ``default`` and under its own name;
staging both would take the lock and read the plan twice for nothing. But two aliases on one
database are *not* one target when they log in as different users (PostgreSQL resolves
``search_path``'s ``$user`` per role; privileges differ) or select a different schema through
their options (``OPTIONS["options"] = "-c search_path=..."``, a libpq ``service``, MySQL's
``init_command``). A false "different" costs one more no-op check; a false "same" leaves a
schema unmigrated, so every option is compared except those known only to tune the link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: The settings that say where the tables go.
FIELDS = ("ENGINE", "HOST", "PORT", "NAME", "USER")
#: OPTIONS that change how, not where: TLS, timeouts, pooling, encodings, passwords.
LINK_OPTIONS = frozenset(
    {
        "application_name",
        "autocommit",
        "charset",
        "client_encoding",
        "connect_timeout",
        "isolation_level",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "passfile",
        "passwd",
        "password",
        "pool",
        "server_side_binding",
        "ssl",
        "ssl_mode",
        "sslcert",
        "sslcrl",
        "sslkey",
        "sslmode",
        "sslpassword",
        "sslrootcert",
        "target_session_attrs",
        "timeout",
        "transaction_mode",
    }
)


def target_key(entry: Mapping[str, Any]) -> tuple[str, ...]:
    """What identifies the schema an alias migrates: its database, its user, its options."""
    options = entry.get("OPTIONS") or {}
    relevant = {
        str(key): value for key, value in options.items() if str(key).lower() not in LINK_OPTIONS
    }
    return (
        *(str(entry.get(field) or "") for field in FIELDS),
        json.dumps(relevant, sort_keys=True, default=str),
    )


def distinct_databases(
    aliases: list[str], databases: Mapping[str, Mapping[str, Any]]
) -> list[tuple[str, str | None]]:
    """Each alias once, with the earlier alias that is the same staging target, if any."""
    first: dict[tuple[str, ...], str] = {}
    result: list[tuple[str, str | None]] = []
    for alias in dict.fromkeys(aliases):
        key = target_key(databases[alias])
        result.append((alias, first.get(key)))
        first.setdefault(key, alias)
    return result
