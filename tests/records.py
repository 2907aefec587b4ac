"""Records as plain data, to compare them by value.

cfsettings' records (``Service``, ``Match``, ``Endpoint``, ``Resolution``...) are slotted
classes compared by identity (docs/architecture.rst, "Records"); a test that means "the same
facts" compares ``data(a) == data(b)``.
"""

from __future__ import annotations

from typing import Any


def data(value: Any) -> Any:
    """``value`` with every record replaced by its type name and fields, recursively."""
    slots = [name for cls in type(value).__mro__ for name in getattr(cls, "__slots__", ())]
    if slots:
        fields = {name: data(getattr(value, name)) for name in slots}
        return (type(value).__name__, fields)
    if isinstance(value, (list, tuple)):
        return [data(item) for item in value]
    if isinstance(value, dict):
        return {key: data(item) for key, item in value.items()}
    return value
