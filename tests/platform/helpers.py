"""Environments for the platform tests."""

from __future__ import annotations

import json
from typing import Any


def on_cf(*routes: str, **extra: str) -> dict[str, str]:
    """An app container's environment: ``VCAP_APPLICATION`` with ``routes``."""
    application: dict[str, Any] = {"application_name": "shop", "application_uris": list(routes)}
    return {"VCAP_APPLICATION": json.dumps(application), **extra}


def bound(*services: dict[str, Any]) -> str:
    """``VCAP_SERVICES`` binding user-provided ``services``."""
    return json.dumps({"user-provided": [{"label": "user-provided", **s} for s in services]})
