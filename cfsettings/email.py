"""Django's mail settings from a bound SMTP relay, or the console locally.

Django 6.1 replaced ``EMAIL_BACKEND`` and the other ``EMAIL_*`` settings (deprecated there)
by ``MAILERS``, a dict of named configurations like ``DATABASES``. So on Django 6.1 and later
every bound relay becomes a mailer named after its service, and one of them also
``default``; before 6.1 Django sends through one SMTP server, and the ``EMAIL_*`` settings
describe the default relay only. The default is the one named by ``default=`` or
``CFSETTINGS_DEFAULT_EMAIL``, else the only one, else the first by name, as ``databases()``
picks its default. Every bound relay is read, so a broken binding stops ``settings.py`` even
when another relay is the one used.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cfsettings.defaults import with_default
from cfsettings.resolve import EMAIL_FAMILY, resolve

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cfsettings.bindings.smtp import Relay
    from cfsettings.resolution import Resolution

DEFAULT_EMAIL_VARIABLE = EMAIL_FAMILY.variable
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
#: The settings a relay becomes before Django 6.1 (``from_relay``), and the senders.
EMAIL_NAMES = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
)
SENDER_NAMES = ("DEFAULT_FROM_EMAIL", "SERVER_EMAIL")
#: Seconds before a request that sends mail gives up on an unreachable relay (Django's
#: default is to wait for ever).
EMAIL_TIMEOUT = 10


def email_settings(
    default: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    local_backend: str | None = CONSOLE_BACKEND,
    timeout: int | None = EMAIL_TIMEOUT,
    mailers: bool | None = None,
    resolution: Resolution | None = None,
) -> dict[str, Any]:
    """The mail settings, for ``globals().update(email_settings())`` in settings.py.

    With a bound relay: the SMTP backend with its host, port, login and TLS flags, as
    ``MAILERS`` (``mailers=True``; the default on Django 6.1 and later) or as the ``EMAIL_*``
    settings; and ``DEFAULT_FROM_EMAIL``/``SERVER_EMAIL`` when the binding names a sender.
    Without one: ``local_backend`` (the console: mail is printed, not sent), or nothing at all
    with ``local_backend=None``, which keeps the project's own. ``resolution`` (from
    :func:`cfsettings.resolve.resolve`) is used instead of resolving ``environ`` again.
    """
    if resolution is None:
        resolution = resolve(os.environ if environ is None else environ, (EMAIL_FAMILY,))
    chosen, members = resolution.members(EMAIL_FAMILY, default)
    if not members and not local_backend:
        return {}
    use_mailers = mailers_supported() if mailers is None else mailers
    if not members:
        if use_mailers:
            return {"MAILERS": {"default": {"BACKEND": local_backend}}}
        return {"EMAIL_BACKEND": local_backend}
    relays = {r.service.name: r.relay for r in members if r.relay is not None}
    relay = relays[chosen]
    result: dict[str, Any] = (
        {"MAILERS": with_default({n: mailer(r, timeout) for n, r in relays.items()}, chosen)}
        if use_mailers
        else from_relay(relay, timeout)
    )
    if relay.sender:
        result["DEFAULT_FROM_EMAIL"] = relay.sender
    if relay.server_email:
        result["SERVER_EMAIL"] = relay.server_email
    return result


def mailer(relay: Relay, timeout: int | None = EMAIL_TIMEOUT) -> dict[str, Any]:
    """One ``MAILERS`` entry (Django 6.1 and later) for a relay."""
    options = {
        "host": relay.host,
        "port": relay.port,
        "username": relay.username,
        "password": relay.password,
        "use_tls": relay.use_tls,
        "use_ssl": relay.use_ssl,
        "timeout": timeout,
    }
    return {"BACKEND": SMTP_BACKEND, "OPTIONS": options}


def from_relay(relay: Relay, timeout: int | None = EMAIL_TIMEOUT) -> dict[str, Any]:
    """The ``EMAIL_*`` settings (before Django 6.1) for one relay."""
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": relay.host,
        "EMAIL_PORT": relay.port,
        "EMAIL_HOST_USER": relay.username,
        "EMAIL_HOST_PASSWORD": relay.password,
        "EMAIL_USE_TLS": relay.use_tls,
        "EMAIL_USE_SSL": relay.use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }


def mailers_supported() -> bool:
    """Django 6.1 and later, where ``MAILERS`` replaces the ``EMAIL_*`` settings.

    settings.py runs inside Django, so importing it here costs nothing there.
    """
    import django

    return django.VERSION >= (6, 1)
