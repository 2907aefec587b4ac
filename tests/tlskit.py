"""Test certificates made with openssl, and a throwaway redis-server that speaks only TLS.

``make_ca`` makes a CA the way real CAs are made (what Python 3.13's strict verification
requires); ``make_ca(..., LAX_CA)`` the one ``openssl req -x509`` makes by default, which lacks
``keyUsage``: the shape of CA some brokers still issue, and Python 3.13 rejects.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import HOST, port_open, unavailable

STRICT_CA = """\
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""
#: What ``openssl req -x509`` adds by default: no keyUsage.
LAX_CA = """\
basicConstraints = critical, CA:TRUE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""
SERVER = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""
EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def require_tools() -> None:
    if shutil.which("redis-server") is None or shutil.which("openssl") is None:
        unavailable("redis-server over TLS", "redis-server or openssl is not installed")


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _config(directory: Path, name: str, extensions: str) -> str:
    path = directory / f"{name}.cnf"
    path.write_text(f"[req]\ndistinguished_name = dn\n[dn]\n[extensions]\n{extensions}")
    return str(path)


def make_ca(directory: Path, name: str, extensions: str = STRICT_CA) -> str:
    """A self-signed CA (``name``.pem, ``name``.key in ``directory``); returns its PEM."""
    openssl(
        "req", "-x509", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "1",
        "-subj", f"/CN={name}", "-config", _config(directory, name, extensions),
        "-extensions", "extensions",
        cwd=directory,
    )  # fmt: skip
    return (directory / f"{name}.pem").read_text()


def make_cert(directory: Path, name: str, issuer: str, extensions: str | None = SERVER) -> str:
    """``name``.pem and ``name``.key signed by the CA named ``issuer``; returns its PEM.

    ``extensions=None`` makes an X.509 version 1 certificate, which has none.
    """
    config = _config(directory, name, extensions or "")
    openssl(
        "req", "-new", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr",
        "-subj", f"/CN={name}", "-config", config,
        cwd=directory,
    )  # fmt: skip
    with_extensions = ("-extfile", config, "-extensions", "extensions") if extensions else ()
    openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", f"{issuer}.pem", "-CAkey", f"{issuer}.key",
        "-CAcreateserial", "-out", f"{name}.pem", "-days", "1", *with_extensions,
        cwd=directory,
    )  # fmt: skip
    return (directory / f"{name}.pem").read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def tls_redis_server(directory: Path, cert: str, ca: str) -> Iterator[int]:
    """A redis-server on loopback speaking only TLS with ``cert``; yields its port."""
    binary = shutil.which("redis-server")
    assert binary is not None, "call require_tools() first"
    port = free_port()
    options = (
        f"--port 0 --tls-port {port} --bind {HOST} --tls-cert-file {cert}.pem "
        f"--tls-key-file {cert}.key --tls-ca-cert-file {ca}.pem --tls-auth-clients no "
        f"--appendonly no --dir {directory}"
    )
    process = subprocess.Popen(
        [binary, *options.split(), "--save", ""],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 5
        while not port_open(port):
            if process.poll() is not None:
                unavailable("redis-server over TLS", process.stderr.read().decode()[-200:])
            if time.monotonic() > deadline:
                unavailable("redis-server over TLS", f"port {port} never opened")
            time.sleep(0.02)
        yield port
    finally:
        process.terminate()
        process.wait(5)
        process.stderr.close()
