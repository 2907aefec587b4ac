"""Read one service's credentials into an ``Endpoint``: where and how to connect.

Brokers spell the same facts many ways. A discrete field (``host``, ``port``, ...) wins over
the same fact inside a URI, and the URI fills whatever the fields leave out; ``uri`` beats
``jdbcUrl``. Keys are compared case-insensitively. Known exceptions, where a broker uses a
field for something else:

- Google Cloud's broker (credentials with ``PrivateKeyData``): ``Name`` is the service
  account, never a database name.
- Redis and Memcached: ``name``/``database`` are not read; a Redis database index comes
  only from the URI path.
- Redis ``tls_port``: TLS on that port, which wins over ``port``.
- IBM Cloud Databases nest credentials under ``connection.<engine>``: ``composed[0]`` is the
  URI, ``authentication`` holds the user, ``certificate.certificate_base64`` the CA.
"""

from __future__ import annotations

from cfsettings.bindings.classify import (
    JDBC_KEYS,
    MEMCACHED,
    MYSQL,
    POSTGRESQL,
    REDIS,
    SCHEMES,
    WEB_SCHEMES,
    Match,
    lower_keys,
    nested_connection,
)
from cfsettings.bindings.uri import query_pairs, split, unquote
from cfsettings.errors import improperly_configured

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a fresh worker pays ~3 ms)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_PORTS = {MYSQL: 3306, POSTGRESQL: 5432, REDIS: 6379, MEMCACHED: 11211}
WEB_PREFIXES = tuple(f"{scheme}://" for scheme in WEB_SCHEMES)

HOST_KEYS = ("host", "hostname", "db_host", "endpoint_address")
PORT_KEYS = ("port", "db_port")
USER_KEYS = ("username", "user", "uid", "db_user", "db_username", "master_username")
PASSWORD_KEYS = ("password", "pw", "db_password", "master_password")
DATABASE_KEYS: tuple[str, ...] = ("database", "dbname", "db_name", "database_name", "name", "db")
CA_KEYS = ("ca_certificate", "ca_cert", "cacert", "cacrt", "sslrootcert", "ssl_ca", "tls_ca")
CLIENT_CERT_KEYS = ("clientcert", "client_cert", "sslcert", "ssl_cert")
CLIENT_KEY_KEYS = ("clientkey", "client_key", "sslkey", "ssl_key")
TLS_FLAG_KEYS = ("sslrequired", "ssl_required", "ssl", "tls")

#: URI query parameters (and their values) that demand TLS, from libpq, MySQL and JDBC.
TLS_ON: dict[str, tuple[str, ...]] = {
    "sslmode": ("require", "verify-ca", "verify-full"),
    "ssl-mode": ("required", "verify_ca", "verify_identity"),
    "ssl_mode": ("required", "verify_ca", "verify_identity"),
    "usessl": ("true",),
    "requiressl": ("true",),
    "ssl": ("true", "1"),
}
TLS_OFF: dict[str, tuple[str, ...]] = {
    "sslmode": ("disable",),
    "ssl-mode": ("disabled",),
    "ssl_mode": ("disabled",),
    "usessl": ("false",),
}


class Endpoint:
    """Connection facts for one service. ``repr`` hides the password and certificates."""

    __slots__ = (
        "ca",
        "client_cert",
        "client_key",
        "database",
        "host",
        "kind",
        "params",
        "password",
        "port",
        "servers",
        "service",
        "tls",
        "username",
    )

    def __init__(self, service: str, kind: str) -> None:
        self.service = service
        self.kind = kind
        self.host = ""
        self.port = DEFAULT_PORTS[kind]
        self.username = ""
        self.password = ""
        self.database = ""
        self.params: dict[str, str] = {}
        self.tls: bool | None = None  # None: the credentials do not say
        self.ca: str | None = None  # PEM text, or a path given by the broker
        self.client_cert: str | None = None
        self.client_key: str | None = None
        self.servers: list[str] = []

    def __repr__(self) -> str:
        secret = ", password='********'" if self.password else ""
        host, database = (
            "'********'" if self.password and value == self.password else repr(value)
            for value in (self.host, self.database)
        )  # a broker may reuse the password as a name: it is masked wherever it appears
        return (
            f"Endpoint(service={self.service!r}, kind={self.kind!r}, host={host}, "
            f"port={self.port!r}, database={database}, tls={self.tls!r}{secret})"
        )


def read_endpoint(match: Match) -> Endpoint:
    """Collect the connection facts of a matched service, or raise naming what is missing."""
    service, kind = match.service, match.kind
    endpoint = Endpoint(service.name, kind)
    fields = _flatten(service.credentials)

    for source in ("jdbcurl", "uri"):  # later sources override earlier ones
        if source in fields:
            _apply_uri(endpoint, fields[source], source, kind)

    host = _first(fields, HOST_KEYS)
    if host is None and isinstance(fields.get("hosts"), list) and fields["hosts"]:
        host = _host_entry(endpoint, fields["hosts"][0])
    if host is not None:
        endpoint.host = _text(endpoint, host, "host").strip("[]")
    if kind == REDIS and _first(fields, ("tls_port",)) is not None:
        endpoint.port = _port(endpoint, fields["tls_port"], "tls_port")
        endpoint.tls = True
    elif (port_key := _first_key(fields, PORT_KEYS)) is not None:
        endpoint.port = _port(endpoint, fields[port_key], port_key)
    for keys, attribute in ((USER_KEYS, "username"), (PASSWORD_KEYS, "password")):
        value = _first(fields, keys)
        if value is not None:
            setattr(endpoint, attribute, _text(endpoint, value, attribute))
    if kind in (MYSQL, POSTGRESQL):
        database_keys = DATABASE_KEYS
        if "privatekeydata" in fields:  # Google's broker: Name is the service account
            database_keys = tuple(key for key in DATABASE_KEYS if key != "name")
        database = _first(fields, database_keys)
        if database is not None:
            endpoint.database = _text(endpoint, database, "database")
    if kind == MEMCACHED and "servers" in fields:
        endpoint.servers = _servers(endpoint, fields["servers"])

    _read_tls(endpoint, fields)
    _require(endpoint)
    return endpoint


def _flatten(credentials: dict[str, Any]) -> dict[str, Any]:
    """Lower-case keys, with the nested layouts some brokers use lifted to the top."""
    fields = lower_keys(credentials)
    for key in JDBC_KEYS:
        if key in fields:
            fields.setdefault("jdbcurl", fields[key])
    uri_key = next(
        (key for key in _uri_keys() if key in fields and not _web_link(fields[key])), None
    )
    if uri_key is not None:
        fields["uri"] = fields[uri_key]
    else:
        fields.pop("uri", None)  # at most a dashboard link
    tls = fields.get("tls")
    if isinstance(tls, dict):  # Tanzu MySQL: tls.cert.ca
        cert = tls.get("cert")
        if isinstance(cert, dict) and "ca" in cert:
            fields.setdefault("ca_certificate", cert["ca"])
        del fields["tls"]
    nested = nested_connection(credentials)
    if nested is not None:  # IBM Cloud Databases
        composed = nested.get("composed")
        if isinstance(composed, list) and composed:
            fields.setdefault("uri", composed[0])
        auth = nested.get("authentication")
        if isinstance(auth, dict):
            for key in ("username", "password"):
                if key in auth:
                    fields.setdefault(key, auth[key])
        for key in ("hosts", "database"):
            if key in nested:
                fields.setdefault(key, nested[key])
        certificate = nested.get("certificate")
        if isinstance(certificate, dict) and "certificate_base64" in certificate:
            fields.setdefault("ca_certificate_base64", certificate["certificate_base64"])
    return fields


def _web_link(value: Any) -> bool:
    """A dashboard or console link that brokers put beside (or instead of) the real URI."""
    return isinstance(value, str) and value.strip().lower().startswith(WEB_PREFIXES)


def _uri_keys() -> tuple[str, ...]:
    from cfsettings.bindings.classify import URI_KEYS

    return URI_KEYS


def _first(fields: dict[str, Any], keys: tuple[str, ...]) -> Any:
    key = _first_key(fields, keys)
    return None if key is None else fields[key]


def _first_key(fields: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` with a value (neither null nor empty), to name it in errors."""
    for key in keys:
        value = fields.get(key)
        if value is not None and value != "":
            return key
    return None


def _text(endpoint: Endpoint, value: Any, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _error(endpoint, f"'{field}' must be a string")
    return str(value)


def _port(endpoint: Endpoint, value: Any, field: str) -> int:
    text = (
        str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    )
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise _error(endpoint, f"'{field}' is not a port number")
    return int(text)


def _host_entry(endpoint: Endpoint, entry: Any) -> str:
    """An item of ``hosts``: ``"host"``, ``"host:port"`` or ``{"hostname": ..., "port": ...}``."""
    if isinstance(entry, dict):
        if "port" in entry:
            endpoint.port = _port(endpoint, entry["port"], "hosts[0].port")
        return _text(endpoint, entry.get("hostname", entry.get("host", "")), "hosts[0]")
    text = _text(endpoint, entry, "hosts[0]")
    host, port = _split_host_port(endpoint, text, "hosts[0]")
    if port is not None:
        endpoint.port = port
    return host


def _split_host_port(endpoint: Endpoint, text: str, field: str) -> tuple[str, int | None]:
    if text.startswith("["):  # [ipv6]:port
        host, _, rest = text[1:].partition("]")
        return host, _port(endpoint, rest[1:], field) if rest.startswith(":") else None
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, _port(endpoint, port, field)
    return text, None


def _servers(endpoint: Endpoint, value: Any) -> list[str]:
    """Memcached ``servers``: a list, or one string separated by commas or spaces."""
    if not isinstance(value, (list, str)):
        raise _error(endpoint, "'servers' must be a list or a string")
    items = value if isinstance(value, list) else value.replace(",", " ").split()
    servers = []
    for item in items:
        host, port = _split_host_port(endpoint, _text(endpoint, item, "servers"), "servers")
        servers.append(join_host_port(host, port or DEFAULT_PORTS[MEMCACHED]))
    return servers


def join_host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 host in brackets: the one way cfsettings writes an address."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _apply_uri(endpoint: Endpoint, value: Any, key: str, kind: str) -> None:
    field = "jdbcUrl" if key == "jdbcurl" else "uri"
    text = _text(endpoint, value, field).strip()
    if text.lower().startswith("jdbc:"):
        text = text[5:]
    try:
        parts = split(text)
        port = parts.port
    except ValueError:
        raise _error(endpoint, f"'{field}' is not a valid URI (bad host or port)") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES[kind]:
        if field == "uri":
            raise _error(
                endpoint,
                f"'{field}' has the scheme {scheme!r}, not one of {kind}'s"
                if scheme
                else f"'{field}' is not a URI (it has no scheme)",
            )
        return  # a jdbcUrl for another engine says nothing about this one
    params = query_pairs(parts.query)
    if parts.hostname:
        endpoint.host = parts.hostname
    if port == 0:  # split(), like urlsplit, refuses ports above 65535 but not 0
        raise _error(endpoint, f"'{field}' is not a valid URI (bad host or port)")
    if port is not None:
        endpoint.port = port
    if parts.username is not None:
        endpoint.username = unquote(parts.username)
    if parts.password is not None:
        endpoint.password = unquote(parts.password)
    if field == "jdbcUrl":  # JDBC carries the login in the query string
        endpoint.username = params.pop("user", endpoint.username)
        endpoint.password = params.pop("password", endpoint.password)
    path = unquote(parts.path.lstrip("/"))
    if path:
        endpoint.database = path
    if scheme == "rediss":
        endpoint.tls = True
    endpoint.params.update(params)


def _read_tls(endpoint: Endpoint, fields: dict[str, Any]) -> None:
    lowered = {key.lower(): value.lower() for key, value in endpoint.params.items()}
    for key, values in TLS_OFF.items():
        if lowered.get(key) in values:
            endpoint.tls = False
    for key, values in TLS_ON.items():
        if lowered.get(key) in values:
            endpoint.tls = True
    flag = _first(fields, TLS_FLAG_KEYS)
    if isinstance(flag, bool) or (isinstance(flag, str) and flag.lower() in ("true", "false")):
        endpoint.tls = flag is True or str(flag).lower() == "true"
    ca = _first(fields, CA_KEYS)
    if ca is None and "ca_certificate_base64" in fields:
        ca = _from_base64(endpoint, fields["ca_certificate_base64"], "certificate_base64")
    if ca is not None:
        endpoint.ca = _pem_or_path(endpoint, ca, "CA certificate")
        endpoint.tls = True
    for keys, attribute in ((CLIENT_CERT_KEYS, "client_cert"), (CLIENT_KEY_KEYS, "client_key")):
        value = _first(fields, keys)
        if value is not None:
            setattr(endpoint, attribute, _pem_or_path(endpoint, value, attribute.replace("_", " ")))


def _pem_or_path(endpoint: Endpoint, value: Any, what: str) -> str:
    import os

    from cfsettings.bindings.tls import is_pem, normalise_pem

    text = _text(endpoint, value, what)
    if is_pem(text.replace("\\n", "\n")):
        if _unencodable(text):
            raise _error(endpoint, f"the {what} is not valid text (unpaired surrogates)")
        return normalise_pem(text)
    if os.path.isabs(text) and os.path.isfile(text):
        return text
    decoded = _from_base64(endpoint, text, what, quiet=True)
    if decoded is not None and is_pem(decoded):
        return normalise_pem(decoded)
    raise _error(endpoint, f"the {what} is neither PEM text nor an existing file")


def _unencodable(text: str) -> bool:
    """JSON's ``\\ud800`` escapes make strings no file can hold: writing the PEM would fail."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _from_base64(endpoint: Endpoint, value: Any, field: str, quiet: bool = False) -> str | None:
    import base64
    import binascii

    try:
        return base64.b64decode(_text(endpoint, value, field), validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        if quiet:
            return None
        raise _error(endpoint, f"'{field}' is not valid base64") from None


def _require(endpoint: Endpoint) -> None:
    if endpoint.kind == MEMCACHED and endpoint.servers:
        return
    if not endpoint.host:
        raise _error(
            endpoint, "the credentials have no host (looked for host, hostname, hosts, uri)"
        )
    if endpoint.kind in (MYSQL, POSTGRESQL) and not endpoint.database:
        raise _error(
            endpoint,
            "the credentials have no database name (looked for name, database, dbname, "
            "db_name, database_name, db and the path of uri)",
        )


def _error(endpoint: Endpoint, problem: str) -> Exception:
    return improperly_configured(f"Service {endpoint.service!r} ({endpoint.kind}): {problem}.")
