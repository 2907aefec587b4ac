"""Build Django's ``DATABASES`` from bound services, ``DATABASE_URL`` or SQLite.

:func:`databases` reads top to bottom as the precedence order it documents; the bound
services come from :func:`cfsettings.resolve.resolve`, as the checks and explain see them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cfsettings.bindings.classify import MYSQL, POSTGRESQL
from cfsettings.bindings.endpoint import Endpoint
from cfsettings.bindings.target import libpq_host_port
from cfsettings.connections import Connecting, ConnectionPlan
from cfsettings.defaults import with_default
from cfsettings.errors import improperly_configured
from cfsettings.resolution import Resolution, Resolved
from cfsettings.resolve import DATABASE_FAMILY, resolve

if TYPE_CHECKING:
    from cfsettings.entries import DatabaseConfig


DATABASE_URL = DATABASE_FAMILY.url_variable
DEFAULT_DATABASE_VARIABLE = DATABASE_FAMILY.variable

ENGINES = {
    MYSQL: "django.db.backends.mysql",
    POSTGRESQL: "django.db.backends.postgresql",
}
SQLITE_ENGINE = "django.db.backends.sqlite3"

#: Strict mode, so that MySQL refuses bad data instead of truncating it (Django's mysql.W002).
MYSQL_SQL_MODE = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
MYSQL_DEFAULT_OPTIONS: dict[str, Any] = {
    "charset": "utf8mb4",
    "init_command": f"SET sql_mode='{MYSQL_SQL_MODE}'",
}

#: libpq keywords copied from a PostgreSQL URI's query string into ``OPTIONS``; anything else
#: there (JDBC or ORM flags) is ignored rather than handed to libpq, which would reject it.
LIBPQ_PARAMETERS = frozenset(
    {
        "application_name",
        "channel_binding",
        "connect_timeout",
        "gssencmode",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "options",
        "sslcert",
        "sslcompression",
        "sslcrl",
        "sslkey",
        "sslmode",
        "sslnegotiation",
        "sslrootcert",
        "target_session_attrs",
        "tcp_user_timeout",
    }
)


def databases(
    default: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    sqlite_path: str | os.PathLike[str] = "db.sqlite3",
    conn_max_age: int | None = 600,
    conn_health_checks: bool = True,
    mysql_options: Mapping[str, Any] | None = None,
    postgresql_options: Mapping[str, Any] | None = None,
    cert_dir: str | None = None,
    asgi: bool | None = None,
    pooler: str | None = None,
    resolution: Resolution | None = None,
) -> dict[str, DatabaseConfig]:
    """A complete ``DATABASES`` setting.

    In order: bound database services (``VCAP_SERVICES``); ``DATABASE_URL``; SQLite at
    ``sqlite_path``. ``default`` (or ``CFSETTINGS_DEFAULT_DATABASE``) names the bound
    service that becomes ``default`` when several are bound; each is also its own alias.
    ``asgi`` and ``pooler`` (see :mod:`cfsettings.connections`) say how connections are used.
    ``resolution`` (from :func:`cfsettings.resolve.resolve`) is used instead of resolving
    ``environ`` again, so that every builder can share one.
    """
    if resolution is None:
        resolution = resolve(os.environ if environ is None else environ, (DATABASE_FAMILY,))
    connecting = Connecting(resolution.environ, asgi, pooler)
    tuning: DatabaseConfig = {
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": conn_health_checks,
    }
    overrides = {MYSQL: mysql_options, POSTGRESQL: postgresql_options}
    cert_dir = cert_dir or resolution.cert_dir

    chosen, members = resolution.members(DATABASE_FAMILY, default)
    if members:
        entries = {
            resolved.service.name: _from_resolved(resolved, tuning, overrides, cert_dir, connecting)
            for resolved in members
        }
        result = with_default(entries, chosen)
        if chosen != "default":  # the test runner must not create the same database twice
            result[chosen]["TEST"] = {"MIRROR": "default"}
        return result

    url = resolution.databases.url
    if url:
        return {"default": from_url(url, tuning, overrides, connecting)}

    return {"default": {"ENGINE": SQLITE_ENGINE, "NAME": os.path.abspath(sqlite_path)}}


def _from_resolved(
    resolved: Resolved,
    tuning: DatabaseConfig,
    overrides: Mapping[str, Mapping[str, Any] | None],
    cert_dir: str | None,
    connecting: Connecting,
) -> DatabaseConfig:
    endpoint = resolved.endpoint
    assert endpoint is not None, "Resolution.members raises for an unread service"
    plan = connecting.plan(endpoint, resolved.service.credentials)
    return from_endpoint(endpoint, tuning, overrides, cert_dir, plan)


def from_endpoint(
    endpoint: Endpoint,
    tuning: DatabaseConfig,
    overrides: Mapping[str, Mapping[str, Any] | None],
    cert_dir: str | None,
    plan: ConnectionPlan,
) -> DatabaseConfig:
    """One ``DATABASES`` entry for a bound MySQL or PostgreSQL service."""
    options: dict[str, Any]
    if endpoint.kind == MYSQL:
        options = dict(MYSQL_DEFAULT_OPTIONS)
        ssl = _tls_files(
            endpoint, cert_dir, {"ca": "ca", "cert": "client_cert", "key": "client_key"}
        )
        if ssl:
            options["ssl"] = ssl
        # A CA alone does not make mysqlclient refuse a server without TLS (with MariaDB
        # Connector/C, REQUIRED does not either): VERIFY_CA does, with both client libraries.
        if "ca" in ssl:
            options["ssl_mode"] = "VERIFY_CA"
        elif endpoint.tls:
            options["ssl_mode"] = "REQUIRED"
    else:
        options = {
            k.lower(): v for k, v in endpoint.params.items() if k.lower() in LIBPQ_PARAMETERS
        }
        for name in ("sslrootcert", "sslcert", "sslkey"):
            if name in options:
                options[name] = _inline_pem(options[name], cert_dir)
        files = _tls_files(
            endpoint,
            cert_dir,
            {"sslrootcert": "ca", "sslcert": "client_cert", "sslkey": "client_key"},
        )
        options.update(files)
        if "sslmode" not in options:
            if "sslrootcert" in options:
                options["sslmode"] = "verify-full"
            elif endpoint.tls:
                options["sslmode"] = "require"
    host, port = (
        libpq_host_port(endpoint.hosts) if endpoint.hosts else (endpoint.host, endpoint.port)
    )
    entry: DatabaseConfig = {
        "ENGINE": ENGINES[endpoint.kind],
        "NAME": endpoint.database,
        "USER": endpoint.username,
        "PASSWORD": endpoint.password,
        "HOST": host,
        "PORT": port,
        **tuning,
    }
    plan.apply(entry, options)  # poolers, ASGI, the stated limit: cfsettings.connections
    entry["OPTIONS"] = merge_options(options, overrides.get(endpoint.kind))
    return entry


def _inline_pem(value: str, cert_dir: str | None) -> str:
    """A path as it is; PEM text (Google's broker puts it in its URI) written to a file."""
    from cfsettings.bindings.tls import is_pem, write_pem  # imported only with certificates

    return write_pem(value, cert_dir) if is_pem(value) else value


def _tls_files(
    endpoint: Endpoint, cert_dir: str | None, names: Mapping[str, str]
) -> dict[str, str]:
    """Paths for the endpoint's certificates, writing inline PEM text to private files."""
    files = {}
    for option, attribute in names.items():
        value = getattr(endpoint, attribute)
        if value:
            from cfsettings.bindings.tls import certificate_file  # only with certificates

            files[option] = certificate_file(value, cert_dir)
    return files


def from_url(
    url: str,
    tuning: DatabaseConfig,
    overrides: Mapping[str, Mapping[str, Any] | None],
    connecting: Connecting,
) -> DatabaseConfig:
    """``DATABASE_URL`` through dj-database-url, with cfsettings' defaults on top."""
    import dj_database_url

    try:
        config: DatabaseConfig = dj_database_url.parse(
            url,
            conn_max_age=tuning["CONN_MAX_AGE"],
            conn_health_checks=tuning["CONN_HEALTH_CHECKS"],
        )
    except (ValueError, KeyError, TypeError):
        raise improperly_configured(f"{DATABASE_URL} cannot be read: {_url_problem(url)}") from None
    kind = {ENGINES[MYSQL]: MYSQL, ENGINES[POSTGRESQL]: POSTGRESQL}.get(config.get("ENGINE", ""))
    if kind is not None:
        options = dict(MYSQL_DEFAULT_OPTIONS) if kind == MYSQL else {}
        options.update(config.get("OPTIONS") or {})
        connecting.plan_url(config, kind, options).apply(config, options)
        config["OPTIONS"] = merge_options(options, overrides.get(kind))
    return config


def _url_problem(url: str) -> str:
    """Why dj-database-url refused ``url``, without showing the URL (it holds a password)."""
    from urllib.parse import urlsplit

    try:
        urlsplit(url).port  # noqa: B018 - validates the host and port
    except ValueError:
        return "it is not a valid URL (bad host or port, or a character left unencoded)."
    scheme = url.partition("://")[0] if "://" in url else ""
    if scheme and scheme.isidentifier():
        return f"the scheme {scheme!r} is not supported."
    return "it is not a database URL such as postgres://user:password@host/name."


def merge_options(
    defaults: Mapping[str, Any], overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``defaults`` updated by ``overrides``; an override of ``None`` removes the key."""
    merged = dict(defaults)
    for key, value in (overrides or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
