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
    CLIENT_CERT_KEYS,
    CLIENT_KEY_KEYS,
    TLS_FLAG_KEYS,
    TLS_OFF,
    TLS_ON,
)

if TYPE_CHECKING:
    from cfsettings.bindings.fields import Where


def read_tls(
    where: Where, fields: dict[str, Any], params: dict[str, str], tls: bool | None
) -> dict[str, Any]:
    """``tls``, ``ca``, ``client_cert`` and ``client_key`` for an ``Endpoint``.

    ``tls`` is what the URI's scheme said (``rediss``) or ``None``; the query parameters, then
    a flag field, then a CA override it in that order.
    """
    lowered = {key.lower(): value.lower() for key, value in params.items()}
    for key, values in TLS_OFF.items():
        if lowered.get(key) in values:
            tls = False
    for key, values in TLS_ON.items():
        if lowered.get(key) in values:
            tls = True
    flag = first(fields, TLS_FLAG_KEYS)
    if isinstance(flag, bool) or (isinstance(flag, str) and flag.lower() in ("true", "false")):
        tls = flag is True or str(flag).lower() == "true"
    facts: dict[str, Any] = {}
    ca = first(fields, CA_KEYS)
    if ca is None and "ca_certificate_base64" in fields:
        ca = from_base64(where, fields["ca_certificate_base64"], "certificate_base64")
    if ca is not None:
        facts["ca"] = pem_or_path(where, ca, "CA certificate")
        tls = True
    for keys, attribute in ((CLIENT_CERT_KEYS, "client_cert"), (CLIENT_KEY_KEYS, "client_key")):
        value = first(fields, keys)
        if value is not None:
            facts[attribute] = pem_or_path(where, value, attribute.replace("_", " "))
    facts["tls"] = tls
    return facts


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
