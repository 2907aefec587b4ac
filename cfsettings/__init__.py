"""Django settings from Cloud Foundry service bindings.

``databases()``, ``caches()``, ``allowed_hosts()``, ``storages()`` and ``email_settings()``
read the environment when called (or share one ``cfsettings.resolve.resolve`` result passed
as ``resolution=``); the platform settings (``secret_key()``, ``https_settings()``,
``csrf_trusted_origins()``, ``logging_config()``, ``static_settings()``) are empty off Cloud
Foundry; ``configure()`` applies all of them to a settings module without replacing what the
project set. ``DatabaseConfig`` and ``CacheConfig`` type their entries for type checkers.
Importing this package has no side effects and imports no database driver.
"""

from cfsettings.caches import CacheConfig, caches
from cfsettings.configure import configure
from cfsettings.databases import DatabaseConfig, databases
from cfsettings.email import email_settings
from cfsettings.hosts import allowed_hosts
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
