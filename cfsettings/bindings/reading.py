"""Typed reads of one service's credentials, for the bucket and SMTP relay readers.

Every problem is an ``ImproperlyConfigured`` naming the service, its kind and the field,
never the value: a value in the wrong place may well be a secret.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import SplitResult, urlsplit

from cfsettings.bindings.classify import Match, lower_keys
from cfsettings.bindings.fields import Where

TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")


class Reader(Where):
    """The lower-cased credentials of one matched service; ``Where`` names it in errors."""

    __slots__ = ("fields",)

    def __init__(self, service: str, kind: str, fields: dict[str, Any]) -> None:
        super().__init__(service, kind)
        self.fields: Final = fields

    @classmethod
    def of(cls, match: Match) -> Reader:
        return cls(match.service.name, match.kind, lower_keys(match.service.credentials))

    def key(self, keys: tuple[str, ...]) -> str | None:
        """The first of ``keys`` holding a value (neither null nor empty)."""
        return next((k for k in keys if self.fields.get(k) not in (None, "")), None)

    def text(self, keys: tuple[str, ...]) -> str | None:
        """The first of ``keys`` as text (numbers allowed: a port, a numeric bucket)."""
        key = self.key(keys)
        if key is None:
            return None
        value = self.fields[key]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.error(f"'{key}' must be a string")
        return str(value).strip()

    def port(self, keys: tuple[str, ...]) -> int | None:
        key = self.key(keys)
        if key is None:
            return None
        return self.port_number(self.fields[key], key)

    def port_number(self, value: Any, field: str) -> int:
        text = str(value).strip() if isinstance(value, (str, int)) else ""
        if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
            raise self.error(f"'{field}' is not a port number")
        if not 0 < int(text) < 65536:
            raise self.error(f"'{field}' is not a port number")
        return int(text)

    def flag(self, keys: tuple[str, ...], extra: dict[str, str] | None = None) -> bool | None:
        """A yes/no field (a JSON boolean or ``true``/``false`` text); ``None`` if absent.

        ``extra`` holds URI query parameters, consulted after the fields.
        """
        for key in keys:
            if key in self.fields and self.fields[key] not in (None, ""):
                return self.boolean(self.fields[key], key)
        for key in keys:
            if extra and key in extra:
                return self.boolean(extra[key], key)
        return None

    def boolean(self, value: Any, field: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
            return value.strip().lower() in TRUE
        raise self.error(f"'{field}' must be true or false")

    def uri(self, key: str, schemes: tuple[str, ...]) -> tuple[str, SplitResult]:
        """``key``'s URI, split, and its lower-cased scheme: one of ``schemes`` or a web
        link (``http``/``https``, which the caller decides about); anything else, a bad port
        included, is an error naming the field."""
        text = self.text((key,)) or ""
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError:
            port = 0
        if port == 0:  # urlsplit refuses ports above 65535, not 0
            raise self.error(f"'{key}' is not a valid URI (bad host or port)")
        scheme = parts.scheme.lower()
        if not scheme:
            raise self.error(f"'{key}' is not a URI (it has no scheme)")
        if scheme not in (*schemes, "http", "https"):
            expected = " or ".join(", ".join(schemes).rsplit(", ", 1))
            raise self.error(f"'{key}' has the scheme {scheme!r}, not {expected}")
        return scheme, parts
