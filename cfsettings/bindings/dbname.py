"""The database name, and the rule for when the credentials disagree on it.

``name`` is ambiguous: IBM Compose-style credentials and other brokers put the instance or
deployment name there, and in binding directories Cloud Foundry writes, the binding's name
overwrites a credential ``name``. So, strongest first:

1. an explicit key: ``database``, ``dbname``, ``db_name``, ``database_name``, ``db``;
2. the path of a URI (``uri``, then ``jdbcUrl``, then ``r2dbc-url``);
3. ``name`` (never for Google's broker, where ``Name`` is the service account).

A weaker source that names another database is noted (explain shows it), never used.
Redis takes a database *number* from the URI path, never from ``name``; a ``database``
entry (which beats the path) only in binding directories, where spring-cloud-bindings defines
it: in ``VCAP_SERVICES`` documents brokers use ``database`` for other things.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cfsettings.bindings.fields import first_key, text
from cfsettings.bindings.vocabulary import (
    AMBIGUOUS_DATABASE_KEYS,
    EXPLICIT_DATABASE_KEYS,
    MEMCACHED,
    REDIS,
)

if TYPE_CHECKING:
    from cfsettings.bindings.fields import Where
    from cfsettings.bindings.uris import UriFacts

_WHY = {
    "explicit": "an explicit database key beats a URI's path and 'name'",
    "uri": "a URI's path beats 'name', which brokers also use for the instance name",
    "name": "",
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
