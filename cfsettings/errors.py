"""The one exception type cfsettings raises for bad configuration.

Django's ``ImproperlyConfigured`` is imported only when an error is raised or handled:
``import cfsettings`` must not import Django (a settings module imports cfsettings before
Django has finished loading), and settings that are fine never need it.
"""

from __future__ import annotations


def improperly_configured(message: str) -> Exception:
    """Build (not raise) an ``ImproperlyConfigured`` so callers can ``raise ... from None``."""
    return improperly_configured_type()(message)


def improperly_configured_type() -> type[Exception]:
    """Django's ``ImproperlyConfigured``; in an ``except`` clause it is only evaluated when an
    exception is being handled."""
    from django.core.exceptions import ImproperlyConfigured

    return ImproperlyConfigured
