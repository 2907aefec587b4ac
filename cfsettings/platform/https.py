"""HTTPS behind Cloud Foundry's router.

The router (and the Envoy proxy in the container) terminates TLS and talks plain HTTP to the
app, saying ``X-Forwarded-Proto: https``. Unless Django trusts that header it believes every
request is plain HTTP: a browser's ``Origin: https://<route>`` then fails the CSRF check (403 on
every login form), and ``check --deploy`` rightly warns about cookies, redirects and HSTS. On
Cloud Foundry the header is safe to trust: the router is the only way in, and it overwrites
whatever a client sent.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from cfsettings.hosts import routes
from cfsettings.platform.detect import on_cloud_foundry

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
#: An hour: long enough for ``check --deploy`` and for browsers to keep to HTTPS, short enough
#: that a route moved to a host that cannot serve HTTPS recovers within the hour. Raise it
#: (``SECURE_HSTS_SECONDS``) once the site is known to stay on HTTPS.
DEFAULT_HSTS_SECONDS = 3600

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
#: A host name (one label or more), optionally behind a ``*.`` wildcard of two labels or more:
#: ``*.com`` would trust a whole top-level domain.
_ROUTE_HOST = re.compile(rf"(?:\*\.(?={_LABEL}\.{_LABEL}))?{_LABEL}(?:\.{_LABEL})*")
_MAX_HOST = 253


def https_settings(
    *, environ: Mapping[str, str] | None = None, hsts_seconds: int = DEFAULT_HSTS_SECONDS
) -> dict[str, Any]:
    """The HTTPS settings for an app behind Cloud Foundry's router; ``{}`` elsewhere.

    ``SECURE_PROXY_SSL_HEADER``, ``SECURE_SSL_REDIRECT``, secure session and CSRF cookies,
    ``SECURE_HSTS_SECONDS`` (``hsts_seconds``, without subdomains or preload: both outlive a
    mistake and are the site owner's call) and ``CSRF_TRUSTED_ORIGINS`` from the routes.
    """
    env = os.environ if environ is None else environ
    if not on_cloud_foundry(env):
        return {}
    return {
        "SECURE_PROXY_SSL_HEADER": PROXY_SSL_HEADER,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": hsts_seconds,
        "CSRF_TRUSTED_ORIGINS": csrf_trusted_origins(environ=env),
    }


def csrf_trusted_origins(*, environ: Mapping[str, str] | None = None) -> list[str]:
    """``https://<host>`` for each of the app's routes (``https://*.<domain>`` for a wildcard
    route); ``[]`` off Cloud Foundry. A route that is not a host name is left out: nothing
    here can ever trust every origin."""
    env = os.environ if environ is None else environ
    if not on_cloud_foundry(env):
        return []
    return trusted_origins(routes(env))[0]


def trusted_origins(found: list[str]) -> tuple[list[str], list[str]]:
    """The origins of ``found`` routes, and the routes left out (for explain)."""
    origins: list[str] = []
    rejected: list[str] = []
    for route in found:
        origin = route_origin(route)
        if origin is None:
            rejected.append(route)
        elif origin not in origins:
            origins.append(origin)
    return origins, rejected


def route_origin(route: str) -> str | None:
    """``shop.example.com/path`` -> ``https://shop.example.com``; ``None`` unless the route
    is a host name (``*``, blanks, schemes, user info and bad ports are refused)."""
    netloc = route.strip().lower().split("/", 1)[0]
    host, colon, port = netloc.partition(":")
    if colon and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return None
    if len(host) > _MAX_HOST or not _ROUTE_HOST.fullmatch(host):
        return None
    suffix = f":{int(port)}" if colon and int(port) != 443 else ""
    return f"https://{host}{suffix}"
