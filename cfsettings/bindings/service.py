"""``Service``: one bound service instance, as every binding source describes it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VCAP_SERVICES = "VCAP_SERVICES"


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
