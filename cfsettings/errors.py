"""The one exception type cfsettings raises for bad configuration.

Django's ``ImproperlyConfigured`` is imported only when an error is raised: importing
``django.core.exceptions`` costs a fresh worker tens of milliseconds, and settings that are
fine should not pay for it.
"""

from __future__ import annotations


def improperly_configured(message: str) -> Exception:
    """Build (not raise) an ``ImproperlyConfigured`` so callers can ``raise ... from None``."""
    from django.core.exceptions import ImproperlyConfigured

    return ImproperlyConfigured(message)
