"""Decide what kind of service each binding is: a database, a cache, a bucket or an SMTP relay.

The rules are the ones java-cfenv and Spring Cloud Connectors users know (tags, label,
URI scheme, ``jdbcUrl``), plus Memcached, which those libraries do not detect. Evidence is
weighed in this order, strongest first, and the first level that names exactly one kind wins:

1. the scheme of a URI in the credentials (``uri``, ``url``, ``<scheme>Uri``, ``jdbcUrl``);
2. the service's tags;
3. the service's label (substring, so ``p.mysql``, ``cleardb``, ``rediscloud`` all count);
4. the shape of the credentials (a ``servers`` list means Memcached; a bucket with an access
   key and its secret means S3-compatible storage).

A level whose evidence names two kinds is ambiguous: the next level may settle it, and an
error names the service when none does. Each service is classified once, so a service that
several rules recognise still yields one database or cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

from cfsettings.bindings.service import Service
from cfsettings.bindings.vocabulary import (
    CACHE_KINDS,
    DATABASE_KINDS,
    EMAIL_KINDS,
    JDBC_KEYS,
    LABEL_PARTS,
    MEMCACHED,
    MYSQL,
    POSTGRESQL,
    R2DBC_KEYS,
    REDIS,
    S3,
    S3_ACCESS_KEYS,
    S3_BUCKET_KEYS,
    S3_SECRET_KEYS,
    SCHEME_KIND,
    SMTP,
    STORAGE_KINDS,
    TAGS,
    URI_KEYS,
    WEB_SCHEMES,
)
from cfsettings.errors import improperly_configured

#: The kinds are defined in ``vocabulary``; importers of this module may keep using them here.
__all__ = [
    "CACHE_KINDS",
    "DATABASE_KINDS",
    "EMAIL_KINDS",
    "MEMCACHED",
    "MYSQL",
    "POSTGRESQL",
    "REDIS",
    "S3",
    "SMTP",
    "STORAGE_KINDS",
    "Ignored",
    "Match",
    "classify",
    "classify_all",
    "lower_keys",
    "matches_of",
    "nested_connection",
    "uri_schemes",
]


class Match:
    """A service recognised as ``kind``, and the rule that decided it (for explain).

    A record, like ``Service``; matches are compared by identity."""

    __slots__ = ("kind", "rule", "service")

    def __init__(self, service: Service, kind: str, rule: str) -> None:
        self.service: Final = service
        self.kind: Final = kind
        self.rule: Final = rule

    def __repr__(self) -> str:
        return f"Match(service={self.service.name!r}, kind={self.kind!r}, rule={self.rule!r})"


class Ignored:
    """A service that is none of the kinds cfsettings configures, and why."""

    __slots__ = ("reason", "service")

    def __init__(self, service: Service, reason: str) -> None:
        self.service: Final = service
        self.reason: Final = reason

    def __repr__(self) -> str:
        return f"Ignored(service={self.service.name!r}, reason={self.reason!r})"


def lower_keys(credentials: dict[str, Any]) -> dict[str, Any]:
    """Credentials with lower-case keys; the first spelling of a key wins."""
    lowered: dict[str, Any] = {}
    for key, value in credentials.items():
        lowered.setdefault(key.lower(), value)
    return lowered


def uri_schemes(service: Service) -> list[tuple[str, str]]:
    """``(credential key, scheme)`` for every URI-like credential, ``jdbc:`` prefix removed."""
    found: list[tuple[str, str]] = []
    for key, value in _uri_values(service.credentials):
        if not isinstance(value, str) or ":" not in value:
            continue
        text = value.strip().lower()
        for prefix in ("jdbc:", "r2dbc:pool:", "r2dbc:"):
            text = text.removeprefix(prefix)
        scheme = text.split(":", 1)[0]
        if _is_scheme(scheme):  # else not a URI (``host:port``, or a secret): never echo it
            found.append((key, scheme))
    return found


_SCHEME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+-.")


def _is_scheme(text: str) -> bool:
    """RFC 3986 scheme syntax (lower-cased): a letter, then letters, digits, ``+-.``."""
    return text[:1].isalpha() and text.isascii() and _SCHEME_CHARACTERS.issuperset(text)


#: Every credential key that may hold a connection URI, and its rank: the order they are read.
URI_KEY_RANK = {key: rank for rank, key in enumerate((*URI_KEYS, *JDBC_KEYS, *R2DBC_KEYS))}


def _uri_values(credentials: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    lowered = lower_keys(credentials)
    # Look up the service's few keys, not every known key (this runs for every service).
    for key in sorted(
        (key for key in lowered if key in URI_KEY_RANK), key=URI_KEY_RANK.__getitem__
    ):
        yield key, lowered[key]
    nested = nested_connection(credentials)
    if nested is not None:
        composed = nested.get("composed")
        if isinstance(composed, list) and composed:
            yield "connection.composed", composed[0]


def nested_connection(credentials: dict[str, Any]) -> dict[str, Any] | None:
    """IBM Cloud Databases nest everything under ``connection.<engine>``; return that block."""
    connection = credentials.get("connection")
    if not isinstance(connection, dict):
        return None
    blocks = [
        value for key, value in connection.items() if key in SCHEME_KIND and isinstance(value, dict)
    ]
    return blocks[0] if len(blocks) == 1 else None


def classify(service: Service) -> Match | Ignored:
    """Recognise one service, or say why it is not a database or cache."""
    schemes = uri_schemes(service)
    by_scheme = _by_scheme(schemes)
    unknown_scheme = None if by_scheme else _unknown_scheme(schemes)
    ambiguous: list[str] = []
    for found in _levels(service, by_scheme):
        if not found:
            continue
        kinds = {kind for kind, _ in found}
        if len(kinds) == 1:
            kind, rule = found[0]
            if unknown_scheme is not None:
                raise improperly_configured(
                    f"Service {service.name!r} looks like {kind} ({rule}) but its "
                    f"{unknown_scheme}; cfsettings cannot tell how to connect."
                )
            return Match(service, kind, rule)
        ambiguous.append(", ".join(rule for _, rule in found))  # several kinds
    if ambiguous:
        raise improperly_configured(
            f"Service {service.name!r} is ambiguous: {'; '.join(ambiguous)}. "
            "Give it one engine's tag (for example with `cf update-user-provided-service -t`)."
        )
    if unknown_scheme is not None:
        return Ignored(service, f"its {unknown_scheme}, which is not a database or cache")
    return Ignored(service, "no tag, label, URI scheme or credential matched a known kind")


def _levels(service: Service, by_scheme: list[tuple[str, str]]) -> Iterator[list[tuple[str, str]]]:
    """Each level's ``(kind, rule)`` findings, strongest first; a level is only read when
    the ones before it did not decide (this runs for every bound service)."""
    yield by_scheme
    yield _by_tags(service)
    yield _by_label(service)
    yield _by_shape(lower_keys(service.credentials))


def _by_scheme(schemes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    found = []
    for key, scheme in schemes:
        kind = SCHEME_KIND.get(scheme)
        if kind is not None:
            label = "jdbcUrl" if key in JDBC_KEYS[:2] else key
            found.append((kind, f"URI scheme {scheme!r} in {label!r}"))
    return found


def _unknown_scheme(schemes: list[tuple[str, str]]) -> str | None:
    for key, scheme in schemes:
        if scheme not in SCHEME_KIND and scheme not in WEB_SCHEMES:
            return f"{key!r} has the scheme {scheme!r}"
    return None


def _by_tags(service: Service) -> list[tuple[str, str]]:
    if not service.tags:
        return []
    tags = {tag.lower() for tag in service.tags}
    return [(kind, f"tag {tag!r}") for kind, names in TAGS.items() for tag in names if tag in tags]


def _by_label(service: Service) -> list[tuple[str, str]]:
    label = service.label.lower()
    found: list[tuple[str, str]] = []
    for kind, parts in LABEL_PARTS.items():
        for part in parts:
            if part in label:
                found.append((kind, f"label {service.label!r}"))
                break
    return found


def _by_shape(keys: dict[str, Any]) -> list[tuple[str, str]]:
    if "servers" in keys:
        return [(MEMCACHED, "credential 'servers'")]
    found = []
    for names in _S3_SHAPE:  # most services have no bucket: stop at the first missing key
        key = next((k for k in names if k in keys), None)
        if key is None:
            return []
        found.append(key)
    return [(S3, f"credentials {', '.join(repr(key) for key in found)}")]


_S3_SHAPE = (S3_BUCKET_KEYS, S3_ACCESS_KEYS, S3_SECRET_KEYS)


def classify_all(services: Iterable[Service]) -> list[Match | Ignored]:
    """Classify every service, in binding order."""
    return [classify(service) for service in services]


def matches_of(decisions: Iterable[Match | Ignored], kinds: tuple[str, ...]) -> list[Match]:
    """The matches whose kind is one of ``kinds``."""
    return [d for d in decisions if isinstance(d, Match) and d.kind in kinds]
