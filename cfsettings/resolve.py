"""One pass from an environment to everything cfsettings decides: a :class:`Resolution`.

Which binding source is read (and which are ignored), every bound service, what each one is
(a :class:`Match` with its kind and rule, an :class:`Ignored` with its reason, or an error),
how to reach each match (its :class:`Endpoint`, or the error reading it), and for databases
and caches which service becomes ``default`` and how. ``databases()``, ``caches()``, the
system checks and explain all read this one result, so they cannot disagree; it is frozen
and nothing is kept between calls, so no result depends on what ran before.

Resolving never raises for bad bindings: each problem is kept, as its message, where it
arose. The builders raise them (``databases()`` those that stop ``DATABASES``), the checks
and explain report them.

The records are ``NamedTuple``s: immutable and typed like frozen dataclasses, but a frozen
dataclass costs about ten times as much to define (each one ``exec``s its methods), and every
worker defines them again when settings.py imports cfsettings (see ``bench/RESULTS.md``).
"""

# No ``from __future__ import annotations``: NamedTuple and TypedDict would then compile
# each annotation string whenever a worker imports cfsettings (see bench/RESULTS.md).
from collections.abc import Mapping
from typing import NamedTuple

from cfsettings.bindings.classify import (
    CACHE_KINDS,
    DATABASE_KINDS,
    MEMCACHED,
    MYSQL,
    POSTGRESQL,
    REDIS,
    Ignored,
    Match,
    classify,
)
from cfsettings.bindings.endpoint import Endpoint, read_endpoint
from cfsettings.bindings.sources import Service, binding_source, read_services
from cfsettings.bindings.tls import CERT_DIR_VARIABLE
from cfsettings.defaults import DefaultChoice, choose_default
from cfsettings.errors import improperly_configured, improperly_configured_type


class Family(NamedTuple):
    """One setting built from bound services: which kinds feed it and what steers it."""

    setting: str  # "DATABASES"
    kinds: tuple[str, ...]
    variable: str  # names the default service
    url_variable: str  # the fallback when no service of these kinds is bound
    noun: str  # for messages: "database"


DATABASE_FAMILY = Family(
    "DATABASES", DATABASE_KINDS, "CFSETTINGS_DEFAULT_DATABASE", "DATABASE_URL", "database"
)
CACHE_FAMILY = Family("CACHES", CACHE_KINDS, "CFSETTINGS_DEFAULT_CACHE", "REDIS_URL", "cache")
FAMILIES = (DATABASE_FAMILY, CACHE_FAMILY)
#: Each kind as messages name it.
KIND_NAMES = {MYSQL: "MySQL", POSTGRESQL: "PostgreSQL", REDIS: "Redis", MEMCACHED: "Memcached"}


class Resolved(NamedTuple):
    """One bound service: what it is and how to reach it, or what is wrong with it.

    ``decision`` is ``None`` when the service cannot be classified (``error`` says why); a
    match whose credentials cannot be read has ``endpoint`` ``None`` and an ``error``.
    """

    service: Service
    decision: Match | Ignored | None
    endpoint: Endpoint | None = None
    error: str | None = None

    @property
    def match(self) -> Match | None:
        return self.decision if isinstance(self.decision, Match) else None

    @property
    def ignored(self) -> Ignored | None:
        return self.decision if isinstance(self.decision, Ignored) else None


class Bound(NamedTuple):
    """The bound services of one family, and which becomes ``default`` without an argument."""

    family: Family
    services: tuple[Resolved, ...]  # the matches of the family's kinds, in binding order
    requested: str | None  # the family's variable, as set
    default: DefaultChoice | None  # None: nothing bound, or ``default_error``
    default_error: str | None
    url: str  # the family's URL variable, stripped ("" when unset); it may hold a password

    def __repr__(self) -> str:
        """Everything but ``url``, whose password must not be shown."""
        shown = ", ".join(
            f"{name}={value!r}" for name, value in self._asdict().items() if name != "url"
        )
        return f"Bound({shown})"

    @property
    def names(self) -> list[str]:
        return [resolved.service.name for resolved in self.services]

    def choose(self, argument: str | None) -> DefaultChoice:
        """The default with ``default=argument``, raising as ``databases()`` would."""
        if not argument:
            if self.default_error is not None:
                raise improperly_configured(self.default_error)
            assert self.default is not None, "only called when services are bound"
            return self.default
        return choose_default(
            self.names,
            argument=argument,
            variable_value=self.requested,
            variable=self.family.variable,
        )


class Resolution(NamedTuple):
    """Everything cfsettings decides from one environment."""

    source: str | None  # the binding source read, None when none is set
    ignored_sources: tuple[str, ...]  # set too, but not read
    error: str | None  # why the bindings cannot be read at all
    services: tuple[Resolved, ...]
    databases: Bound
    caches: Bound
    cert_dir: str | None  # CFSETTINGS_CERT_DIR

    def bound(self, family: Family) -> Bound:
        return self.databases if family == DATABASE_FAMILY else self.caches

    def endpoints(self, family: Family, argument: str | None) -> tuple[str, dict[str, Endpoint]]:
        """What ``databases()``/``caches()`` build from: the name of the service that becomes
        ``default`` (``argument``, the ``default=`` of those functions, wins) and every bound
        endpoint of ``family`` by service name; ``("", {})`` when none is bound.

        Raises what stops that setting: unreadable bindings, a service that cannot be
        classified, a default naming no bound service, credentials that cannot be read.
        """
        self.raise_for_bindings()
        bound = self.bound(family)
        if not bound.services:
            return "", {}
        chosen = bound.choose(argument).name
        endpoints = {}
        for resolved in bound.services:
            if resolved.endpoint is None:
                raise improperly_configured(str(resolved.error))
            endpoints[resolved.service.name] = resolved.endpoint
        return chosen, endpoints

    def raise_for_bindings(self) -> None:
        """Raise what stops every setting built from bindings: an unreadable document, or a
        service that cannot be classified (it might be of either family)."""
        if self.error is not None:
            raise improperly_configured(self.error)
        for resolved in self.services:
            if resolved.decision is None:
                raise improperly_configured(str(resolved.error))


def resolve(environ: Mapping[str, str]) -> Resolution:
    """Read, classify and resolve every binding of ``environ``, once."""
    source, ignored = binding_source(environ)
    error = None
    services: list[Service] = []
    try:
        services = read_services(environ)
    except improperly_configured_type() as exc:
        error = str(exc)
    resolved = tuple(_resolve_service(service) for service in services)
    return Resolution(
        source=source,
        ignored_sources=tuple(ignored),
        error=error,
        services=resolved,
        databases=_bound(DATABASE_FAMILY, resolved, environ),
        caches=_bound(CACHE_FAMILY, resolved, environ),
        cert_dir=environ.get(CERT_DIR_VARIABLE) or None,
    )


def _resolve_service(service: Service) -> Resolved:
    try:
        decision = classify(service)
    except improperly_configured_type() as exc:
        return Resolved(service, None, error=str(exc))
    if isinstance(decision, Ignored):
        return Resolved(service, decision)
    try:
        return Resolved(service, decision, endpoint=read_endpoint(decision))
    except improperly_configured_type() as exc:
        return Resolved(service, decision, error=str(exc))


def _bound(family: Family, resolved: tuple[Resolved, ...], environ: Mapping[str, str]) -> Bound:
    members = tuple(r for r in resolved if r.match is not None and r.match.kind in family.kinds)
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
