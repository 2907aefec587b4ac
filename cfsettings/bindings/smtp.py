"""Read an SMTP relay from one service's credentials.

``cf cups mail -t smtp -p '{"host": ..., "port": ..., "username": ..., "password": ...,
"from": ..., "tls": true}'`` and ``smtp://user:password@host:port?from=..`` /
``smtps://...`` URIs, and SendGrid's binding (``hostname``, ``username``, ``password``; or an
``api_key``, which SendGrid's relay takes as the password of the user ``apikey``).

When the binding does not say, the port decides the encryption as RFC 8314 assigns them:
465 is implicit TLS (``EMAIL_USE_SSL``), 587 STARTTLS (``EMAIL_USE_TLS``), anything else
none; an ``smtps`` URI is implicit TLS. Without a port: 465 with implicit TLS, else 587.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, unquote

from cfsettings.bindings.classify import Match
from cfsettings.bindings.reading import Reader

URI_KEYS = ("uri", "url", "smtp_uri", "smtp_url", "smtpuri", "smtpurl")
HOST_KEYS = ("host", "hostname", "smtp_host", "smtp_hostname", "server", "smtp_server")
PORT_KEYS = ("port", "smtp_port")
USER_KEYS = ("username", "user", "login", "smtp_username", "smtp_user")
PASSWORD_KEYS = ("password", "smtp_password")
SENDER_KEYS = ("from", "from_email", "from_address", "sender", "default_from_email", "mail_from")
SSL_KEYS = ("use_ssl", "ssl", "implicit_tls")
TLS_KEYS = ("use_tls", "tls", "starttls")
SENDGRID_HOST = "smtp.sendgrid.net"
SENDGRID_USER = "apikey"
IMPLICIT_TLS_PORT = 465
SUBMISSION_PORT = 587


class Relay:
    """How to hand mail to one bound relay. ``repr`` hides the password."""

    __slots__ = (
        "host",
        "password",
        "port",
        "sender",
        "server_email",
        "service",
        "use_ssl",
        "use_tls",
        "username",
    )

    def __init__(
        self,
        service: str,
        host: str,
        port: int,
        username: str = "",
        password: str = "",
        use_tls: bool = False,
        use_ssl: bool = False,
        sender: str | None = None,
        server_email: str | None = None,
    ) -> None:
        self.service: Final = service
        self.host: Final = host
        self.port: Final = port
        self.username: Final = username
        self.password: Final = password
        self.use_tls: Final = use_tls
        self.use_ssl: Final = use_ssl
        self.sender: Final = sender
        self.server_email: Final = server_email

    def __repr__(self) -> str:
        return (
            f"Relay(service={self.service!r}, host={self.host!r}, port={self.port!r}, "
            f"username={self.username!r}, use_tls={self.use_tls!r}, use_ssl={self.use_ssl!r}, "
            f"sender={self.sender!r}, server_email={self.server_email!r})"
        )


def read_relay(match: Match) -> Relay:
    """Collect a matched service's relay, or raise naming the service and the field."""
    reader = Reader.of(match)
    uri = _read_uri(reader)
    params = dict(parse_qsl(uri.pop("query", ""), keep_blank_values=True))
    sendgrid = "sendgrid" in match.service.label.lower()

    host = reader.text(HOST_KEYS) or uri.get("host") or (SENDGRID_HOST if sendgrid else "")
    if not host:
        raise reader.error(
            "the credentials have no host (looked for host, hostname, smtp_host and uri)"
        )
    username = reader.text(USER_KEYS) or uri.get("username", "")
    password = reader.text(PASSWORD_KEYS) or uri.get("password", "")
    api_key = reader.text(("api_key", "apikey"))
    if api_key and not password:
        username, password = username or SENDGRID_USER, api_key
    if bool(username) != bool(password):
        raise reader.error(
            "the credentials have a username but no password"
            if username
            else "the credentials have a password but no username"
        )

    port = reader.port(PORT_KEYS) or (int(uri["port"]) if "port" in uri else None)
    use_ssl = reader.flag(SSL_KEYS, params)
    use_tls = reader.flag(TLS_KEYS, params)
    if use_ssl is None:
        use_ssl = uri.get("scheme") == "smtps" or (port == IMPLICIT_TLS_PORT and not use_tls)
    if port is None:
        port = IMPLICIT_TLS_PORT if use_ssl else SUBMISSION_PORT
    if use_tls is None:
        use_tls = not use_ssl and port == SUBMISSION_PORT
    if use_tls and use_ssl:
        raise reader.error(
            "the credentials ask for both STARTTLS (tls) and implicit TLS (ssl); set one"
        )

    sender = _address(reader, SENDER_KEYS) or _query_address(reader, params)
    return Relay(
        service=match.service.name,
        host=host,
        port=port,
        username=username,
        password=password,
        use_tls=use_tls,
        use_ssl=use_ssl,
        sender=sender,
        server_email=_address(reader, ("server_email",)) or sender,
    )


def _read_uri(reader: Reader) -> dict[str, str]:
    key = reader.key(URI_KEYS)
    if key is None:
        return {}
    scheme, parts = reader.uri(key, ("smtp", "smtps"))
    if scheme in ("http", "https"):
        return {}  # a dashboard link beside the relay's fields
    port = parts.port
    found = {"scheme": scheme, "query": parts.query}
    if port:
        found["port"] = str(port)
    if parts.hostname:
        found["host"] = parts.hostname
    if parts.username:
        found["username"] = unquote(parts.username)
    if parts.password:
        found["password"] = unquote(parts.password)
    return found


def _address(reader: Reader, keys: tuple[str, ...]) -> str | None:
    key = reader.key(keys)
    if key is None:
        return None
    return _checked(reader, reader.text((key,)) or "", key)


def _query_address(reader: Reader, params: dict[str, str]) -> str | None:
    return _checked(reader, params["from"], "from") if params.get("from") else None


def _checked(reader: Reader, address: str, key: str) -> str:
    """An address, or ``Name <address>``: enough to catch a value in the wrong field."""
    if "@" not in address or not address.isprintable():
        raise reader.error(f"'{key}' is not an e-mail address")
    return address
