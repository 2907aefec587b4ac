"""Django settings from Cloud Foundry service bindings.

``databases()``, ``caches()``, ``allowed_hosts()``, ``storages()`` and ``email_settings()``
read the environment when called (or share one ``cfsettings.resolve.resolve`` result passed
as ``resolution=``); the platform settings (``secret_key()``, ``https_settings()``,
``csrf_trusted_origins()``, ``logging_config()``, ``static_settings()``) are empty off Cloud
Foundry; ``configure()`` applies all of them to a settings module without replacing what the
project set. ``DatabaseConfig`` and ``CacheConfig`` type their entries for type checkers.
Importing this package has no side effects and imports no database driver.

Every worker imports this package while Django loads its settings, so only what most settings
modules call is imported here; the other functions are imported on first use (``LAZY``,
PEP 562), and a settings module that does not call them does not pay for them.
"""

from typing import TYPE_CHECKING

from cfsettings.caches import caches
from cfsettings.databases import databases
from cfsettings.hosts import allowed_hosts

if TYPE_CHECKING:
    from cfsettings.appliers import configure
    from cfsettings.email import email_settings
    from cfsettings.entries import CacheConfig, DatabaseConfig
    from cfsettings.platform.detect import on_cloud_foundry
    from cfsettings.platform.https import csrf_trusted_origins, https_settings
    from cfsettings.platform.logging import logging_config
    from cfsettings.platform.secret_key import secret_key
    from cfsettings.platform.static import static_settings
    from cfsettings.storage import storages

__all__ = [
    "CacheConfig",
    "DatabaseConfig",
    "allowed_hosts",
    "caches",
    "configure",
    "csrf_trusted_origins",
    "databases",
    "email_settings",
    "https_settings",
    "logging_config",
    "on_cloud_foundry",
    "secret_key",
    "static_settings",
    "storages",
]
__version__ = "0.1.0"

#: Public name -> the module that defines it, imported on first use.
LAZY = {
    "CacheConfig": "cfsettings.entries",
    "DatabaseConfig": "cfsettings.entries",
    "configure": "cfsettings.appliers",
    "csrf_trusted_origins": "cfsettings.platform.https",
    "email_settings": "cfsettings.email",
    "https_settings": "cfsettings.platform.https",
    "logging_config": "cfsettings.platform.logging",
    "on_cloud_foundry": "cfsettings.platform.detect",
    "secret_key": "cfsettings.platform.secret_key",
    "static_settings": "cfsettings.platform.static",
    "storages": "cfsettings.storage",
}


def __getattr__(name: str) -> object:
    """Import a public function on first use and keep it, as an eager import would."""
    if name not in LAZY:
        raise AttributeError(f"module 'cfsettings' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *LAZY})
