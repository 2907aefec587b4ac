"""Django settings from Cloud Foundry service bindings.

``databases()``, ``caches()``, ``allowed_hosts()``, ``storages()`` and ``email_settings()``
read the environment when called. Importing this package has no side effects and imports no
database driver; ``storages`` and ``email_settings`` are imported when first used, so a
project that needs neither does not pay for them.
"""

from __future__ import annotations

from cfsettings.caches import caches
from cfsettings.databases import databases
from cfsettings.hosts import allowed_hosts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cfsettings.email import email_settings
    from cfsettings.storage import storages

__all__ = ["allowed_hosts", "caches", "databases", "email_settings", "storages"]
__version__ = "0.1.0"

_LAZY = {"email_settings": "cfsettings.email", "storages": "cfsettings.storage"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'cfsettings' has no attribute {name!r}")
