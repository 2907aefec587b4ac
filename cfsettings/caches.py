"""Build Django's ``CACHES`` from bound Redis/Memcached services, ``REDIS_URL`` or memory.

Passwords go into ``OPTIONS`` rather than into ``LOCATION`` URLs: Django's error pages hide
settings whose key names a password, but print a ``LOCATION`` as it is. The bound services
come from :func:`cfsettings.resolve.resolve`, as the checks and explain see them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cfsettings.bindings.classify import MEMCACHED, REDIS
from cfsettings.bindings.endpoint import Endpoint, join_host_port
from cfsettings.databases import merge_options
from cfsettings.defaults import with_default
from cfsettings.errors import improperly_configured
from cfsettings.resolve import CACHE_FAMILY, resolve

if TYPE_CHECKING:
    from cfsettings.entries import CacheConfig
    from cfsettings.resolution import Resolution


REDIS_URL = CACHE_FAMILY.url_variable
DEFAULT_CACHE_VARIABLE = CACHE_FAMILY.variable

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
PYMEMCACHE_BACKEND = "django.core.cache.backends.memcached.PyMemcacheCache"
#: Memcached behind SASL (MemCachier, Memcached Cloud) needs pylibmc's binary protocol.
PYLIBMC_BACKEND = "django.core.cache.backends.memcached.PyLibMCCache"
LOCMEM_BACKEND = "django.core.cache.backends.locmem.LocMemCache"

#: Fail fast instead of hanging a request when the cache is unreachable.
REDIS_DEFAULT_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 5, "socket_timeout": 5}
REDIS_URL_SCHEMES = ("redis", "rediss", "unix")


def caches(
    default: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    key_prefix: str = "",
    timeout: int | None = 300,
    redis_options: Mapping[str, Any] | None = None,
    memcached_options: Mapping[str, Any] | None = None,
    cert_dir: str | None = None,
    resolution: Resolution | None = None,
) -> dict[str, CacheConfig]:
    """A complete ``CACHES`` setting.

    In order: bound Redis or Memcached services (``VCAP_SERVICES``); ``REDIS_URL``; a
    per-process ``LocMemCache``. ``default`` (or ``CFSETTINGS_DEFAULT_CACHE``) names the bound
    service that becomes ``default`` when several are bound; each is also its own alias.
    ``resolution`` (from :func:`cfsettings.resolve.resolve`) is used instead of resolving
    ``environ`` again, so that ``databases()`` and ``caches()`` can share one.
    """
    if resolution is None:
        resolution = resolve(os.environ if environ is None else environ, (CACHE_FAMILY,))
    common: CacheConfig = {"KEY_PREFIX": key_prefix, "TIMEOUT": timeout}
    overrides = {REDIS: redis_options, MEMCACHED: memcached_options}
    cert_dir = cert_dir or resolution.cert_dir

    chosen, endpoints = resolution.endpoints(CACHE_FAMILY, default)
    if endpoints:
        entries: dict[str, CacheConfig] = {
            name: {**from_endpoint(endpoint, overrides, cert_dir), **common}
            for name, endpoint in endpoints.items()
        }
        return with_default(entries, chosen)

    url = resolution.caches.url
    if url:
        return {"default": {**from_redis_url(url, redis_options), **common}}

    return {"default": {"BACKEND": LOCMEM_BACKEND, "LOCATION": "cfsettings", **common}}


def from_endpoint(
    endpoint: Endpoint,
    overrides: Mapping[str, Mapping[str, Any] | None],
    cert_dir: str | None,
) -> CacheConfig:
    """One ``CACHES`` entry for a bound Redis or Memcached service."""
    if endpoint.kind == REDIS:
        scheme = "rediss" if endpoint.tls else "redis"
        database = endpoint.database or "0"
        if not (database.isascii() and database.isdigit()):
            raise improperly_configured(
                f"Service {endpoint.service!r} (redis): the path of 'uri' must be a database "
                "number such as /0."
            )
        options: dict[str, Any] = dict(REDIS_DEFAULT_OPTIONS)
        options.update(_login(endpoint.username, endpoint.password))
        if "client_name" in endpoint.params:  # a binding directory's client-name entry
            options["client_name"] = endpoint.params["client_name"]
        if endpoint.ca:
            from cfsettings.bindings.tls import certificate_file  # only with certificates

            options["ssl_ca_certs"] = certificate_file(endpoint.ca, cert_dir)
        location = f"{scheme}://{join_host_port(endpoint.host, endpoint.port)}/{database}"
        return {
            "BACKEND": REDIS_BACKEND,
            "LOCATION": location,
            "OPTIONS": merge_options(options, overrides.get(REDIS)),
        }
    servers = endpoint.servers or [join_host_port(endpoint.host, endpoint.port)]
    if endpoint.username or endpoint.password:
        options = {"binary": True, "username": endpoint.username, "password": endpoint.password}
        backend = PYLIBMC_BACKEND
    else:
        options = {}
        backend = PYMEMCACHE_BACKEND
    return {
        "BACKEND": backend,
        "LOCATION": servers if len(servers) > 1 else servers[0],
        "OPTIONS": merge_options(options, overrides.get(MEMCACHED)),
    }


def from_redis_url(url: str, redis_options: Mapping[str, Any] | None) -> CacheConfig:
    """``REDIS_URL`` as a ``RedisCache`` entry, its login moved from the URL to ``OPTIONS``."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise improperly_configured(f"{REDIS_URL} is not a valid URL (bad host or port).") from None
    if parts.scheme not in REDIS_URL_SCHEMES:
        raise improperly_configured(
            f"{REDIS_URL} must start with redis://, rediss:// or unix://"
            + (f", not {parts.scheme}://." if parts.scheme.isalpha() else ".")
        )
    netloc = parts.netloc.rpartition("@")[2]
    location = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    options = dict(REDIS_DEFAULT_OPTIONS)
    options.update(_login(unquote(parts.username or ""), unquote(parts.password or "")))
    return {
        "BACKEND": REDIS_BACKEND,
        "LOCATION": location,
        "OPTIONS": merge_options(options, redis_options),
    }


def _login(username: str, password: str) -> dict[str, str]:
    login = {}
    if username:
        login["username"] = username
    if password:
        login["password"] = password
    return login
