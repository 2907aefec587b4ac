"""``Service``: one bound service instance, as every binding source describes it."""

from __future__ import annotations

from typing import Any, Final

#: The variables bindings come from (``sources`` says which wins).
VCAP_SERVICES = "VCAP_SERVICES"
VCAP_SERVICES_FILE_PATH = "VCAP_SERVICES_FILE_PATH"
SERVICE_BINDING_ROOT = "SERVICE_BINDING_ROOT"
CNB_BINDINGS = "CNB_BINDINGS"
#: Where certificates given inline in bindings are written (``tls``).
CERT_DIR_VARIABLE = "CFSETTINGS_CERT_DIR"


class Service:
    """One bound service instance. ``repr`` never shows credentials.

    A record (docs/architecture.rst, "Records"): fields fixed by ``__slots__``, set once in
    ``__init__`` (``Final``: mypy refuses a later assignment). Two records of the same binding
    are equal whatever source they came from, so a binding listed twice counts once;
    ``credentials`` is a dict, so a service is not hashable.
    """

    __slots__ = ("credentials", "label", "name", "plan", "source", "tags")

    def __init__(
        self,
        name: str,
        label: str,
        tags: list[str],
        credentials: dict[str, Any],
        plan: str = "",
        source: str = VCAP_SERVICES,
    ) -> None:
        self.name: Final = name
        self.label: Final = label
        self.tags: Final = tags
        self.credentials: Final = credentials
        self.plan: Final = plan
        self.source: Final = source

    def __repr__(self) -> str:
        return f"Service(name={self.name!r}, label={self.label!r}, tags={self.tags!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Service):
            return NotImplemented
        return self._compared() == other._compared()

    def _compared(self) -> tuple[object, ...]:
        """All but ``source``."""
        return (self.name, self.label, self.tags, self.credentials, self.plan)

    @property
    def user_provided(self) -> bool:
        return self.label == "user-provided"

    @property
    def from_directory(self) -> bool:
        """Read from a binding directory (one file per entry), not a JSON document."""
        return self.source in (SERVICE_BINDING_ROOT, CNB_BINDINGS)
