"""Build ``ALLOWED_HOSTS`` from the app's Cloud Foundry routes."""

from __future__ import annotations

import os
from collections.abc import Mapping

from cfsettings.bindings.sources import VCAP_APPLICATION, read_application
from cfsettings.errors import improperly_configured

LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
#: The container's own address: Cloud Foundry's HTTP health check sends it as the Host.
INTERNAL_IP_VARIABLE = "CF_INSTANCE_INTERNAL_IP"


def allowed_hosts(*extra: str, environ: Mapping[str, str] | None = None) -> list[str]:
    """Host names Django should answer to: the app's routes plus ``extra``, never ``"*"``.

    On Cloud Foundry these are the hosts of ``application_uris`` (or the legacy ``uris``)
    from ``VCAP_APPLICATION`` and the container's internal IP; elsewhere the loopback names.
    """
    env = os.environ if environ is None else environ
    if "*" in extra:
        raise improperly_configured(
            "allowed_hosts() never allows '*': list the host names, or a '.example.com' suffix."
        )
    application = read_application(env)
    hosts: list[str] = []
    if application is None:
        hosts.extend(LOCAL_HOSTS)
    else:
        hosts.extend(_host_of(route) for route in _routes(application))
        internal_ip = env.get(INTERNAL_IP_VARIABLE, "").strip()
        if internal_ip:
            hosts.append(f"[{internal_ip}]" if ":" in internal_ip else internal_ip)
    hosts.extend(extra)
    # "*" cannot come from extra (refused above), nor from a route: Cloud Foundry has no such
    # route, and a hand-written VCAP_APPLICATION must not open the app to every Host header.
    return list(dict.fromkeys(host for host in hosts if host and host != "*"))


def routes(environ: Mapping[str, str]) -> list[str]:
    """The app's routes (``application_uris``, or the legacy ``uris``), as Cloud Foundry
    lists them; ``[]`` off the platform or for an app without a route."""
    application = read_application(environ)
    return [] if application is None else _routes(application)


def _routes(application: Mapping[str, object]) -> list[str]:
    found = application.get("application_uris") or application.get("uris") or []
    if not isinstance(found, list) or not all(isinstance(route, str) for route in found):
        raise improperly_configured(
            f"{VCAP_APPLICATION}: 'application_uris' must be a list of strings."
        )
    return found


def _host_of(route: str) -> str:
    """``app.example.com:443/path`` -> ``app.example.com``: Django compares bare hosts."""
    host = route.strip().split("://", 1)[-1].split("/", 1)[0]
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    host = host.rsplit(":", 1)[0] if ":" in host else host
    # A wildcard route (*.apps.example.com) is spelled .apps.example.com in ALLOWED_HOSTS.
    return host[1:] if host.startswith("*.") else host
