"""Django's ``EMAIL_*`` settings from a bound SMTP relay, or the console locally.

Django sends through one SMTP server, so one bound relay is used: the one named by
``default=`` or ``CFSETTINGS_DEFAULT_EMAIL``, else the only one, else the first by name, as
``databases()`` picks its default. Every bound relay is read, so a broken binding stops
``settings.py`` even when another relay is the one used.
"""

from __future__ import annotations

import os

from cfsettings.bindings.classify import EMAIL_KINDS, classify_all, matches_of
from cfsettings.bindings.smtp import Relay, read_relay
from cfsettings.bindings.sources import read_services
from cfsettings.defaults import pick_default

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

DEFAULT_EMAIL_VARIABLE = "CFSETTINGS_DEFAULT_EMAIL"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
#: Seconds before a request that sends mail gives up on an unreachable relay (Django's
#: default is to wait for ever).
EMAIL_TIMEOUT = 10


def email_settings(
    default: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    local_backend: str | None = CONSOLE_BACKEND,
    timeout: int | None = EMAIL_TIMEOUT,
) -> dict[str, Any]:
    """The ``EMAIL_*`` settings, for ``globals().update(email_settings())`` in settings.py.

    With a bound relay: the SMTP backend, its host, port, login and TLS flags, and
    ``DEFAULT_FROM_EMAIL``/``SERVER_EMAIL`` when the binding names a sender. Without one:
    only ``EMAIL_BACKEND = local_backend`` (the console: mail is printed, not sent), or
    nothing at all with ``local_backend=None``, which keeps the project's own.
    """
    env = os.environ if environ is None else environ
    matches = matches_of(classify_all(read_services(env)), EMAIL_KINDS)
    if not matches:
        return {"EMAIL_BACKEND": local_backend} if local_backend else {}
    relays = {match.service.name: read_relay(match) for match in matches}
    chosen = pick_default(
        matches, default or env.get(DEFAULT_EMAIL_VARIABLE), DEFAULT_EMAIL_VARIABLE
    )
    return from_relay(relays[chosen.service.name], timeout)


def from_relay(relay: Relay, timeout: int | None = EMAIL_TIMEOUT) -> dict[str, Any]:
    """The settings for one relay."""
    result: dict[str, Any] = {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": relay.host,
        "EMAIL_PORT": relay.port,
        "EMAIL_HOST_USER": relay.username,
        "EMAIL_HOST_PASSWORD": relay.password,
        "EMAIL_USE_TLS": relay.use_tls,
        "EMAIL_USE_SSL": relay.use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }
    if relay.sender:
        result["DEFAULT_FROM_EMAIL"] = relay.sender
    if relay.server_email:
        result["SERVER_EMAIL"] = relay.server_email
    return result
