"""``Service``: one bound service instance, as every binding source describes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The variables bindings come from (``sources`` says which wins).
VCAP_SERVICES = "VCAP_SERVICES"
VCAP_SERVICES_FILE_PATH = "VCAP_SERVICES_FILE_PATH"
SERVICE_BINDING_ROOT = "SERVICE_BINDING_ROOT"
CNB_BINDINGS = "CNB_BINDINGS"


@dataclass(frozen=True)
class Service:
    """One bound service instance. ``repr`` never shows credentials.

    Two records of the same binding are equal whatever source they came from, so a binding
    listed twice counts once; ``credentials`` is a dict, so a service is not hashable.
    """

    name: str
    label: str
    tags: list[str]
    credentials: dict[str, Any] = field(repr=False)
    plan: str = field(default="", repr=False)
    source: str = field(default=VCAP_SERVICES, repr=False, compare=False)

    __hash__ = None  # type: ignore[assignment]

    @property
    def user_provided(self) -> bool:
        return self.label == "user-provided"

    @property
    def from_directory(self) -> bool:
        """Read from a binding directory (one file per entry), not a JSON document."""
        return self.source in (SERVICE_BINDING_ROOT, CNB_BINDINGS)
