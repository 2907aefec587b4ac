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

The records are ``NamedTuple``s: immutable and typed like frozen dataclasses, but a frozen
dataclass costs about ten times as much to define (each one ``exec``s its methods), and every
worker defines them again when settings.py imports cfsettings (see ``bench/RESULTS.md``).
"""

# No ``from __future__ import annotations``: NamedTuple and TypedDict would then compile
# each annotation string whenever a worker imports cfsettings (see bench/RESULTS.md).
from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

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
from cfsettings.bindings.endpoint import Endpoint, read_endpoint
from cfsettings.bindings.sources import Service, binding_source, read_services
from cfsettings.bindings.tls import CERT_DIR_VARIABLE
from cfsettings.defaults import DefaultChoice, choose_default
from cfsettings.errors import improperly_configured, improperly_configured_type

if TYPE_CHECKING:
    from cfsettings.bindings.s3 import Bucket
    from cfsettings.bindings.smtp import Relay


class Family(NamedTuple):
    """One setting built from bound services: which kinds feed it and what steers it."""

    setting: str  # "DATABASES"
    kinds: tuple[str, ...]
    variable: str  # names the default service
    url_variable: str  # the fallback when no service of these kinds is bound ("": none)
    noun: str  # for messages: "database"


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


class Resolved(NamedTuple):
    """One bound service: what it is and how to reach it, or what is wrong with it.

    ``decision`` is ``None`` when the service cannot be classified (``error`` says why). A
    match has what its kind is read into: ``endpoint`` (databases, caches), ``bucket`` (S3)
    or ``relay`` (SMTP); or, when its credentials cannot be read, none of them and an
    ``error``.
    """

    service: Service
    decision: Match | Ignored | None
    endpoint: Endpoint | None = None
    error: str | None = None
    bucket: "Bucket | None" = None
    relay: "Relay | None" = None

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
    storages: Bound
    email: Bound
    cert_dir: str | None  # CFSETTINGS_CERT_DIR
    #: What was resolved: the builders read serving facts (workers, poolers) from it too.
    environ: Mapping[str, str]

    def __repr__(self) -> str:
        """Everything but ``environ``, which holds every secret."""
        shown = ", ".join(
            f"{name}={value!r}" for name, value in self._asdict().items() if name != "environ"
        )
        return f"Resolution({shown})"

    def bound(self, family: Family) -> Bound:
        every = (self.databases, self.caches, self.storages, self.email)
        return {bound.family.setting: bound for bound in every}[family.setting]

    def members(self, family: Family, argument: str | None) -> tuple[str, tuple[Resolved, ...]]:
        """What a builder builds from: the name of the service that becomes ``default``
        (``argument``, the builder's ``default=``, wins) and the bound services of ``family``,
        every one read; ``("", ())`` when none is bound.

        Raises what stops that setting: unreadable bindings, a service that cannot be
        classified, a default naming no bound service, credentials that cannot be read.
        """
        self.raise_for_bindings()
        bound = self.bound(family)
        if not bound.services:
            return "", ()
        chosen = bound.choose(argument).name
        for resolved in bound.services:
            if resolved.error is not None:
                raise improperly_configured(resolved.error)
        return chosen, bound.services

    def endpoints(self, family: Family, argument: str | None) -> tuple[str, dict[str, Endpoint]]:
        """:meth:`members` as each service's ``Endpoint`` by name (databases, caches)."""
        chosen, members = self.members(family, argument)
        return chosen, {r.service.name: r.endpoint for r in members if r.endpoint is not None}

    def raise_for_bindings(self) -> None:
        """Raise what stops every setting built from bindings: an unreadable document, or a
        service that cannot be classified (it might be of either family)."""
        if self.error is not None:
            raise improperly_configured(self.error)
        for resolved in self.services:
            if resolved.decision is None:
                raise improperly_configured(str(resolved.error))


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
    return Resolution(
        source=source,
        ignored_sources=tuple(ignored),
        error=error,
        services=resolved,
        databases=_bound(DATABASE_FAMILY, resolved, environ),
        caches=_bound(CACHE_FAMILY, resolved, environ),
        storages=_bound(STORAGE_FAMILY, resolved, environ),
        email=_bound(EMAIL_FAMILY, resolved, environ),
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
