"""What one resolve pass decided: the records of a :class:`Resolution`.

``cfsettings.resolve.resolve`` builds them; the builders, the checks and explain read them.
A ``Resolution`` holds, per bound service, a :class:`Resolved` (what it is, how to reach it,
or what is wrong with it) and, per family, a :class:`Bound` (its services and which becomes
``default``). Like every record (docs/architecture.rst, "Records") their fields are ``Final``
and set once; nothing is kept between calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from cfsettings.bindings.classify import Ignored, Match
from cfsettings.defaults import DefaultChoice, choose_default
from cfsettings.errors import improperly_configured

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cfsettings.bindings.endpoint import Endpoint
    from cfsettings.bindings.s3 import Bucket
    from cfsettings.bindings.service import Service
    from cfsettings.bindings.smtp import Relay
    from cfsettings.resolve import Family


class Resolved:
    """One bound service: what it is and how to reach it, or what is wrong with it.

    ``decision`` is ``None`` when the service cannot be classified (``error`` says why). A
    match has what its kind is read into: ``endpoint`` (databases, caches), ``bucket`` (S3)
    or ``relay`` (SMTP); or, when its credentials cannot be read, none of them and an
    ``error``.
    """

    __slots__ = ("bucket", "decision", "endpoint", "error", "relay", "service")

    def __init__(
        self,
        service: Service,
        decision: Match | Ignored | None,
        endpoint: Endpoint | None = None,
        error: str | None = None,
        bucket: Bucket | None = None,
        relay: Relay | None = None,
    ) -> None:
        self.service: Final = service
        self.decision: Final = decision
        self.endpoint: Final = endpoint
        self.error: Final = error
        self.bucket: Final = bucket
        self.relay: Final = relay

    def __repr__(self) -> str:
        return (
            f"Resolved(service={self.service!r}, decision={self.decision!r}, "
            f"endpoint={self.endpoint!r}, error={self.error!r}, bucket={self.bucket!r}, "
            f"relay={self.relay!r})"
        )

    @property
    def match(self) -> Match | None:
        return self.decision if isinstance(self.decision, Match) else None

    @property
    def ignored(self) -> Ignored | None:
        return self.decision if isinstance(self.decision, Ignored) else None


class Bound:
    """The bound services of one family, and which becomes ``default`` without an argument."""

    __slots__ = ("default", "default_error", "family", "requested", "services", "url")

    def __init__(
        self,
        family: Family,
        services: tuple[Resolved, ...],
        requested: str | None,
        default: DefaultChoice | None,
        default_error: str | None,
        url: str,
    ) -> None:
        self.family: Final = family
        #: The matches of the family's kinds, in binding order.
        self.services: Final = services
        self.requested: Final = requested  # the family's variable, as set
        self.default: Final = default  # None: nothing bound, or ``default_error``
        self.default_error: Final = default_error
        #: The family's URL variable, stripped ("" when unset); it may hold a password.
        self.url: Final = url

    def __repr__(self) -> str:
        """Everything but ``url``, whose password must not be shown."""
        return (
            f"Bound(family={self.family!r}, services={self.services!r}, "
            f"requested={self.requested!r}, default={self.default!r}, "
            f"default_error={self.default_error!r})"
        )

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


class Resolution:
    """Everything cfsettings decides from one environment."""

    __slots__ = (
        "caches",
        "cert_dir",
        "databases",
        "email",
        "environ",
        "error",
        "ignored_sources",
        "services",
        "source",
        "storages",
    )

    def __init__(
        self,
        source: str | None,
        ignored_sources: tuple[str, ...],
        error: str | None,
        services: tuple[Resolved, ...],
        databases: Bound,
        caches: Bound,
        storages: Bound,
        email: Bound,
        cert_dir: str | None,
        environ: Mapping[str, str],
    ) -> None:
        self.source: Final = source  # the binding source read, None when none is set
        self.ignored_sources: Final = ignored_sources  # set too, but not read
        self.error: Final = error  # why the bindings cannot be read at all
        self.services: Final = services
        self.databases: Final = databases
        self.caches: Final = caches
        self.storages: Final = storages
        self.email: Final = email
        self.cert_dir: Final = cert_dir  # CFSETTINGS_CERT_DIR
        #: What was resolved: the builders read serving facts (workers, poolers) from it too.
        self.environ: Final = environ

    def __repr__(self) -> str:
        """Everything but ``environ``, which holds every secret."""
        return (
            f"Resolution(source={self.source!r}, ignored_sources={self.ignored_sources!r}, "
            f"error={self.error!r}, services={self.services!r}, "
            f"databases={self.databases!r}, caches={self.caches!r}, "
            f"storages={self.storages!r}, email={self.email!r}, cert_dir={self.cert_dir!r})"
        )

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
