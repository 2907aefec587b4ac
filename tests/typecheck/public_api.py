"""The public API as a settings module uses it, for ``mypy --strict`` (the lint session).

The entries are real ``TypedDict``s: a key Django does not read is refused, and strict mode
fails this file if that ``type: ignore`` ever goes unused.
"""

from cfsettings import CacheConfig, DatabaseConfig, allowed_hosts, caches, databases

DATABASES: dict[str, DatabaseConfig] = databases()
CACHES: dict[str, CacheConfig] = caches()
ALLOWED_HOSTS: list[str] = allowed_hosts()

ENGINE: str = DATABASES["default"]["ENGINE"]
DATABASES["default"]["NOT_A_SETTING"] = 1  # type: ignore[typeddict-unknown-key]
CACHES["default"]["TIMEOUT"] = "never"  # type: ignore[typeddict-item]
