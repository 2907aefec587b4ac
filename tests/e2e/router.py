"""A stand-in for Cloud Foundry's router: TLS to the browser, plain HTTP to the app.

Like the gorouter (and the Envoy in the app container) it terminates TLS with a certificate for
the route, connects to the app from an address that is not the app's loopback (127.0.0.2:
gunicorn trusts ``X-Forwarded-*`` only from 127.0.0.1, so a test proxy on 127.0.0.1 hides
exactly the bug the platform shows), replaces any ``X-Forwarded-Proto``/``X-Forwarded-For`` the
client sent with its own, and passes the browser's ``Host`` (the route) unchanged.

It also serves one page for a second, hostile origin (``ATTACKER``): a form that posts to the
app from another site, as a cross-site request forgery would.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROUTER_ADDRESS = "127.0.0.2"
ATTACKER = "attacker.example.net"
DROPPED = {b"x-forwarded-proto", b"x-forwarded-for", b"connection", b"keep-alive"}


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path
    spki_sha256: str  # base64, for chromium's --ignore-certificate-errors-spki-list


def make_certificate(directory: Path, *hosts: str) -> Certificate:
    """A throwaway CA and a server certificate it signs for ``hosts``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cfsettings e2e test CA")])
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
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(host) for host in hosts]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "route.pem", directory / "route-key.pem"
    cert_path.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    return Certificate(cert_path, key_path, base64.b64encode(digest.finalize()).decode())


@dataclass
class Router:
    port: int
    app_port: int
    attacker_page: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, list[bytes], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    line, *headers = head[:-4].split(b"\r\n")
    length = 0
    for header in headers:
        name, _, value = header.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return line, headers, body


async def _handle(
    router: Router, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """One request per connection (``Connection: close``), which browsers handle fine."""
    try:
        request = await _read_request(reader)
        if request is None:
            return
        line, headers, body = request
        hosts = [h.partition(b":")[2] for h in headers if h.lower().startswith(b"host:")]
        host = hosts[0].strip().decode() if hosts else ""
        router.requests.append({"line": line.decode(), "host": host})
        if host.split(":")[0] == ATTACKER:
            page = router.attacker_page.encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                + f"Content-Length: {len(page)}\r\nConnection: close\r\n\r\n".encode()
                + page
            )
            await writer.drain()
            return
        client = writer.get_extra_info("peername")[0]
        kept = [h for h in headers if h.partition(b":")[0].strip().lower() not in DROPPED]
        forwarded = [
            *kept,
            b"X-Forwarded-Proto: https",
            f"X-Forwarded-For: {client}".encode(),
            b"Connection: close",
        ]
        app_reader, app_writer = await asyncio.open_connection(
            "127.0.0.1", router.app_port, local_addr=(ROUTER_ADDRESS, 0)
        )
        app_writer.write(line + b"\r\n" + b"\r\n".join(forwarded) + b"\r\n\r\n" + body)
        await app_writer.drain()
        while chunk := await app_reader.read(65536):
            writer.write(chunk)
        await writer.drain()
        app_writer.close()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@contextmanager
def router(app_port: int, certificate: Certificate) -> Iterator[Router]:
    """The router on 127.0.0.1, a free port, in a thread of its own until the block ends."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    state = Router(port=0, app_port=app_port)

    async def start() -> asyncio.Server:
        return await asyncio.start_server(
            lambda r, w: _handle(state, r, w), "127.0.0.1", 0, ssl=context
        )

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:

        async def stop() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
