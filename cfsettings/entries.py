"""``DatabaseConfig`` and ``CacheConfig``: the entries of ``DATABASES`` and ``CACHES``, typed.

For type checkers only (``DATABASES: dict[str, DatabaseConfig] = databases()``), so they
live apart from the builders: a ``TypedDict`` is costly to define, and every worker would
define both when its settings import cfsettings (``bench/RESULTS.md``). ``cfsettings``
exports them, imported on first use; the builders name them under ``TYPE_CHECKING``.
"""

# No ``from __future__ import annotations``: TypedDict keeps its annotations as real types.
from typing import Any, TypedDict


class DatabaseConfig(TypedDict, total=False):
    """One ``DATABASES`` entry, as Django reads it (the keys cfsettings or dj-database-url
    may set), for type checkers: ``DATABASES: dict[str, DatabaseConfig] = databases()``."""

    ENGINE: str
    NAME: str
    USER: str
    PASSWORD: str
    HOST: str
    PORT: str | int
    CONN_MAX_AGE: int | None
    CONN_HEALTH_CHECKS: bool
    OPTIONS: dict[str, Any]
    TEST: dict[str, Any]
    ATOMIC_REQUESTS: bool
    AUTOCOMMIT: bool
    DISABLE_SERVER_SIDE_CURSORS: bool
    TIME_ZONE: str


class CacheConfig(TypedDict, total=False):
    """One ``CACHES`` entry, as Django reads it, for type checkers:
    ``CACHES: dict[str, CacheConfig] = caches()``."""

    BACKEND: str
    LOCATION: str | list[str]
    OPTIONS: dict[str, Any]
    KEY_PREFIX: str
    TIMEOUT: int | None
    VERSION: int
    KEY_FUNCTION: str
