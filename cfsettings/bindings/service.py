"""``Service``: one bound service instance, as every binding source describes it."""

# No ``from __future__ import annotations``: NamedTuple would compile each annotation string
# whenever a worker imports cfsettings (see bench/RESULTS.md).
from typing import Any, NamedTuple

#: The variables bindings come from (``sources`` says which wins).
VCAP_SERVICES = "VCAP_SERVICES"
VCAP_SERVICES_FILE_PATH = "VCAP_SERVICES_FILE_PATH"
SERVICE_BINDING_ROOT = "SERVICE_BINDING_ROOT"
CNB_BINDINGS = "CNB_BINDINGS"


class Service(NamedTuple):
    """One bound service instance. ``repr`` never shows credentials.

    A ``NamedTuple``, not a frozen dataclass: as immutable and typed, but a worker defines a
    frozen dataclass about ten times slower (it ``exec``s its methods at import). Two records
    of the same binding are equal whatever source they came from, so a binding listed twice
    counts once; ``credentials`` is a dict, so a service is not hashable.
    """

    name: str
    label: str
    tags: list[str]
    credentials: dict[str, Any]
    plan: str = ""
    source: str = VCAP_SERVICES

    def __repr__(self) -> str:
        return f"Service(name={self.name!r}, label={self.label!r}, tags={self.tags!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Service):
            return NotImplemented
        return self[:5] == other[:5]  # all but ``source``

    def __ne__(self, other: object) -> bool:
        return not self == other

    @property
    def user_provided(self) -> bool:
        return self.label == "user-provided"

    @property
    def from_directory(self) -> bool:
        """Read from a binding directory (one file per entry), not a JSON document."""
        return self.source in (SERVICE_BINDING_ROOT, CNB_BINDINGS)
