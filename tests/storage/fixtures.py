"""Bucket and SMTP relay bindings modelled on real brokers (``tests/fixtures/storage``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "storage"


def storage_document(name: str) -> dict[str, Any]:
    """The ``VCAP_SERVICES`` document of one bucket or relay fixture."""
    return json.loads((HERE / f"{name}.json").read_text())


def storage_names() -> list[str]:
    return sorted(path.stem for path in HERE.glob("*.json"))
