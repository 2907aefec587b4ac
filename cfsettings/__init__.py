"""Django settings from Cloud Foundry service bindings.

``databases()``, ``caches()`` and ``allowed_hosts()`` read the environment when called.
Importing this package has no side effects and imports no database driver.
"""

from cfsettings.caches import caches
from cfsettings.databases import databases
from cfsettings.email import email_settings
from cfsettings.hosts import allowed_hosts
from cfsettings.storage import storages

__all__ = ["allowed_hosts", "caches", "databases", "email_settings", "storages"]
__version__ = "0.1.0"
