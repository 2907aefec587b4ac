"""A real SMTP server on loopback for the tests: aiosmtpd with AUTH, STARTTLS or implicit TLS.

``smtp_server`` starts one per test on a free port, with a login of its own and a throwaway
CA and server certificate (``SSL_CERT_FILE`` makes the client trust that CA, as it would a
relay's public one). The ``smtp_server`` fixture (``tests/storage/conftest.py``) gives each
test its own. Every message it accepts is kept with the login it was sent under and
whether the session was encrypted, so a test sees what the relay saw.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import HOST, unavailable

#: How each mode serves: STARTTLS on a plain port (587's way), TLS from the first byte (465's
#: way), or no TLS at all (AUTH then allowed in the clear, as some internal relays do).
MODES = ("starttls", "implicit", "plain")


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    login: str | None
    encrypted: bool


@dataclass
class SmtpServer:
    host: str
    port: int
    mode: str
    username: str
    password: str
    ca_file: str
    messages: list[Received] = field(default_factory=list)
    refused_logins: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 and localhost; (ca, cert, key) files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cfsettings test SMTP CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login.decode() if session.authenticated else None
        ssl_object = server.transport.get_extra_info("ssl_object")
        self.server.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                content=envelope.original_content or envelope.content,
                login=login,
                encrypted=ssl_object is not None,
            )
        )
        return "250 OK"


@contextmanager
def smtp_servers(directory: Path) -> Iterator[Any]:
    """``start(mode)`` runs a server (one of ``MODES``) until the block ends and returns it.

    Clients trust its certificate through ``SSL_CERT_FILE`` = ``start(...).ca_file``.
    """
    try:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword
    except ImportError:
        unavailable("aiosmtpd", "not installed: pip install aiosmtpd")
    ca_file, cert_file, key_file = make_certificates(directory)
    controllers: list[Any] = []

    def start(mode: str = "starttls") -> SmtpServer:
        assert mode in MODES, mode
        relay = SmtpServer(
            HOST, free_port(), mode, "app-mailer", secrets.token_urlsafe(12) + ":/@%", str(ca_file)
        )

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == relay.username
                and data.password.decode() == relay.password
            )
            if not ok and isinstance(data, LoginPassword):
                relay.refused_logins.append(data.login.decode())
            # handled=False: aiosmtpd then answers 535 itself (handled=True, its default,
            # would leave the client waiting for a reply).
            return AuthResult(success=ok, handled=False, auth_data=data)

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        options: dict[str, Any] = {
            "hostname": HOST,
            "port": relay.port,
            "authenticator": authenticate,
            # With implicit TLS every session is encrypted, but aiosmtpd only counts STARTTLS.
            "auth_require_tls": mode == "starttls",
            "server_hostname": "localhost",
        }
        if mode == "starttls":
            options.update(tls_context=context, require_starttls=True)
        elif mode == "implicit":
            options["ssl_context"] = context
        controller = Controller(_Handler(relay), **options)
        try:
            controller.start()
        except Exception as exc:  # any start failure means no server
            unavailable(f"aiosmtpd ({mode})", f"it did not start: {type(exc).__name__}: {exc}")
        controllers.append(controller)
        return relay

    try:
        yield start
    finally:
        for controller in controllers:
            # A client that a refused login left connected (Django's backend does not close
            # it) would hold stop() for 30 s on Python 3.13, whose Server.wait_closed() waits
            # for every client: close them first (close_clients is new in 3.13).
            server = getattr(controller, "server", None)
            if hasattr(server, "close_clients"):
                controller.loop.call_soon_threadsafe(server.close_clients)
            controller.stop()
