"""Django settings from Cloud Foundry service bindings.

``databases()``, ``caches()`` and ``allowed_hosts()`` read the environment when called.
Importing this package has no side effects and imports no database driver.
``DatabaseConfig`` and ``CacheConfig`` type their entries for type checkers.
"""

from cfsettings.caches import CacheConfig, caches
from cfsettings.databases import DatabaseConfig, databases
from cfsettings.hosts import allowed_hosts

__all__ = ["CacheConfig", "DatabaseConfig", "allowed_hosts", "caches", "databases"]
__version__ = "0.1.0"
