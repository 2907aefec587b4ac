"""TLS facts in credentials: whether TLS is demanded, and the CA and client certificate.

Brokers say "use TLS" in many ways (a URI's ``sslmode``/``useSSL``, an ``ssl`` flag, a CA
certificate); the strongest statement wins, and a CA always means TLS. Certificates come as
PEM text (sometimes with escaped newlines), base64 of PEM, or the path of a file.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from cfsettings.bindings.fields import first, text
from cfsettings.bindings.vocabulary import (
    CA_KEYS,
    CA_PARAMETERS,
    CLIENT_CERT_KEYS,
    CLIENT_KEY_KEYS,
    FALSE_WORDS,
    SSLMODE_KEYS,
    TLS_FLAG_KEYS,
    TLS_OFF,
    TLS_ON,
    TRUE_WORDS,
    VERIFYING_MODES,
)

if TYPE_CHECKING:
    from cfsettings.bindings.fields import Where


def read_tls(
    where: Where, fields: dict[str, Any], params: dict[str, str], tls: bool | None
) -> dict[str, Any]:
    """``tls``, ``ca``, ``client_cert`` and ``client_key`` for an ``Endpoint``.

    ``tls`` is what the address said (``rediss``, Redis ``tls_port``) or ``None``; the query
    parameters, then a flag field, then a CA override it in that order. A CA comes from a CA
    field, else a JDBC URL's ``serverSslCert``, else, when the TLS mode verifies the server
    (``verify-full``, ``VERIFY_IDENTITY``...), from the system's trust store.
    """
    lowered = {key.lower(): value.lower() for key, value in params.items()}
    for key, values in TLS_OFF.items():
        if lowered.get(key) in values:
            tls = False
    for key, values in TLS_ON.items():
        if lowered.get(key) in values:
            tls = True
    flag = _flag(first(fields, TLS_FLAG_KEYS))
    if flag is not None:
        tls = flag
    facts: dict[str, Any] = {}
    ca: Any = first(fields, CA_KEYS)
    what = "CA certificate"
    if ca is None and "ca_certificate_base64" in fields:
        ca = from_base64(where, fields["ca_certificate_base64"], "certificate_base64")
    if ca is None:
        parameter = next((k for k in params if k.lower() in CA_PARAMETERS), None)
        if parameter is not None:
            ca, what = params[parameter], f"CA certificate in {parameter!r}"
    if ca is not None:
        facts["ca"] = pem_or_path(where, ca, what)
        tls = True
    elif "sslrootcert" not in lowered and any(
        lowered.get(key) in VERIFYING_MODES for key in SSLMODE_KEYS
    ):
        facts["ca"] = system_ca_file(where)
    for keys, attribute in ((CLIENT_CERT_KEYS, "client_cert"), (CLIENT_KEY_KEYS, "client_key")):
        value = first(fields, keys)
        if value is not None:
            facts[attribute] = pem_or_path(where, value, attribute.replace("_", " "))
    facts["tls"] = tls
    return facts


def _flag(value: Any) -> bool | None:
    """A yes/no field: a JSON boolean, 0/1, or a word such as ``"yes"`` or ``"off"``."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, (str, int)) else ""
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def system_ca_file(where: Where) -> str:
    """The system's CA bundle, for a TLS mode that verifies the server without a bound CA.

    A file rather than libpq's ``sslrootcert=system``: that needs libpq 16 or later (psycopg's
    binary wheel bundles 18, but psycopg built against Debian 12's libpq, or psycopg2, gets
    15, which reads ``system`` as a file name and fails) and means nothing to mysqlclient.
    Python's ``ssl`` names the system's bundle (``SSL_CERT_FILE`` first), the same file
    libpq 18 opens for ``system`` here, and every driver reads a file.
    """
    import ssl

    cafile = ssl.get_default_verify_paths().cafile
    if cafile is None:
        raise where.error(
            "the TLS mode verifies the server's certificate, but the binding has no CA "
            "certificate and this system has no CA bundle (set SSL_CERT_FILE, or bind the CA "
            "as sslrootcert)"
        )
    return cafile


def pem_or_path(where: Where, value: Any, what: str) -> str:
    from cfsettings.bindings.tls import is_pem, normalise_pem

    given = text(where, value, what)
    if is_pem(given.replace("\\n", "\n")):
        if _unencodable(given):
            raise where.error(f"the {what} is not valid text (unpaired surrogates)")
        return normalise_pem(given)
    if os.path.isabs(given) and os.path.isfile(given):
        return given
    decoded = from_base64(where, given, what, quiet=True)
    if decoded is not None and is_pem(decoded):
        return normalise_pem(decoded)
    raise where.error(f"the {what} is neither PEM text nor an existing file")


def _unencodable(value: str) -> bool:
    """JSON's ``\\ud800`` escapes make strings no file can hold: writing the PEM would fail."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return True
    return False


def from_base64(where: Where, value: Any, field: str, quiet: bool = False) -> str | None:
    import base64
    import binascii

    try:
        return base64.b64decode(text(where, value, field), validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        if quiet:
            return None
        raise where.error(f"'{field}' is not valid base64") from None
