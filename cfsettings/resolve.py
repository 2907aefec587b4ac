"""One pass from an environment to everything cfsettings decides: a :class:`Resolution`.

Which binding source is read (and which are ignored), every bound service, what each one is
(a :class:`Match` with its kind and rule, an :class:`Ignored` with its reason, or an error),
how to reach each match (its :class:`Endpoint`, S3 ``Bucket`` or SMTP ``Relay``, or the error
reading it), and for each family (databases, caches, storages, mail) which service becomes
``default`` and how. ``databases()``, ``caches()``, ``storages()``, ``email_settings()``, the
system checks and explain all read this one result, so they cannot disagree; it is frozen
and nothing is kept between calls, so no result depends on what ran before.

Resolving never raises for bad bindings: each problem is kept, as its message, where it
arose. The builders raise them (``databases()`` those that stop ``DATABASES``), the checks
and explain report them.

The result's records are in ``cfsettings.resolution``; a :class:`Family` (below) says which
setting a kind of service feeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from cfsettings.bindings.classify import (
    CACHE_KINDS,
    DATABASE_KINDS,
    EMAIL_KINDS,
    MEMCACHED,
    MYSQL,
    POSTGRESQL,
    REDIS,
    S3,
    SMTP,
    STORAGE_KINDS,
    Ignored,
    Match,
    classify,
)
from cfsettings.bindings.endpoint import read_endpoint
from cfsettings.bindings.service import CERT_DIR_VARIABLE
from cfsettings.bindings.sources import Service, binding_source, read_services
from cfsettings.defaults import choose_default
from cfsettings.errors import improperly_configured_type
from cfsettings.resolution import Bound, Resolution, Resolved


class Family:
    """One setting built from bound services: which kinds feed it and what steers it."""

    __slots__ = ("kinds", "noun", "setting", "url_variable", "variable")

    def __init__(
        self, setting: str, kinds: tuple[str, ...], variable: str, url_variable: str, noun: str
    ) -> None:
        self.setting: Final = setting  # "DATABASES"
        self.kinds: Final = kinds
        self.variable: Final = variable  # names the default service
        self.url_variable: Final = url_variable  # used when none is bound ("": none)
        self.noun: Final = noun  # for messages: "database"

    def __repr__(self) -> str:
        return f"Family({self.setting!r})"


DATABASE_FAMILY = Family(
    "DATABASES", DATABASE_KINDS, "CFSETTINGS_DEFAULT_DATABASE", "DATABASE_URL", "database"
)
CACHE_FAMILY = Family("CACHES", CACHE_KINDS, "CFSETTINGS_DEFAULT_CACHE", "REDIS_URL", "cache")
STORAGE_FAMILY = Family("STORAGES", STORAGE_KINDS, "CFSETTINGS_DEFAULT_STORAGE", "", "storage")
EMAIL_FAMILY = Family("EMAIL", EMAIL_KINDS, "CFSETTINGS_DEFAULT_EMAIL", "", "mail relay")
FAMILIES = (DATABASE_FAMILY, CACHE_FAMILY, STORAGE_FAMILY, EMAIL_FAMILY)
#: The families that fall back to a URL variable (``DATABASE_URL``, ``REDIS_URL``).
URL_FAMILIES = (DATABASE_FAMILY, CACHE_FAMILY)
#: Each kind as messages name it.
KIND_NAMES = {
    MYSQL: "MySQL",
    POSTGRESQL: "PostgreSQL",
    REDIS: "Redis",
    MEMCACHED: "Memcached",
    S3: "S3-compatible object storage",
    SMTP: "an SMTP relay",
}


def resolve(environ: Mapping[str, str], families: tuple[Family, ...] = FAMILIES) -> Resolution:
    """Read, classify and resolve every binding of ``environ``, once.

    Every service is classified, so errors and defaults are the same whatever ``families``
    says; only the matches of ``families`` are read (their endpoint, bucket or relay). A
    builder asks for its own family: a worker then neither imports nor runs the readers of
    the others, whose ``Resolved`` keep neither a reading nor its error.
    """
    kinds = frozenset(kind for family in families for kind in family.kinds)
    source, ignored = binding_source(environ)
    error = None
    services: list[Service] = []
    try:
        services = read_services(environ)
    except improperly_configured_type() as exc:
        error = str(exc)
    resolved = tuple(_resolve_service(service, kinds) for service in services)
    matched = [(r.decision.kind, r) for r in resolved if isinstance(r.decision, Match)]
    return Resolution(
        source=source,
        ignored_sources=tuple(ignored),
        error=error,
        services=resolved,
        databases=_bound(DATABASE_FAMILY, matched, environ),
        caches=_bound(CACHE_FAMILY, matched, environ),
        storages=_bound(STORAGE_FAMILY, matched, environ),
        email=_bound(EMAIL_FAMILY, matched, environ),
        cert_dir=environ.get(CERT_DIR_VARIABLE) or None,
        environ=environ,
    )


def _resolve_service(service: Service, kinds: frozenset[str]) -> Resolved:
    try:
        decision = classify(service)
    except improperly_configured_type() as exc:
        return Resolved(service, None, error=str(exc))
    if isinstance(decision, Ignored) or decision.kind not in kinds:
        return Resolved(service, decision)
    try:
        return _read(service, decision)
    except improperly_configured_type() as exc:
        return Resolved(service, decision, error=str(exc))


def _read(service: Service, match: Match) -> Resolved:
    """A match read by its kind's reader; buckets and relays imported only when bound."""
    if match.kind in STORAGE_KINDS:
        from cfsettings.bindings.s3 import read_bucket

        return Resolved(service, match, bucket=read_bucket(match))
    if match.kind in EMAIL_KINDS:
        from cfsettings.bindings.smtp import read_relay

        return Resolved(service, match, relay=read_relay(match))
    return Resolved(service, match, endpoint=read_endpoint(match))


def _bound(
    family: Family, matched: list[tuple[str, Resolved]], environ: Mapping[str, str]
) -> Bound:
    members = tuple(r for kind, r in matched if kind in family.kinds)
    requested = environ.get(family.variable) or None
    default = default_error = None
    if members:
        try:
            default = choose_default(
                [member.service.name for member in members],
                argument=None,
                variable_value=requested,
                variable=family.variable,
            )
        except improperly_configured_type() as exc:
            default_error = str(exc)
    return Bound(
        family=family,
        services=members,
        requested=requested,
        default=default,
        default_error=default_error,
        url=environ.get(family.url_variable, "").strip(),
    )
