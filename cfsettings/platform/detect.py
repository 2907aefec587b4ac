"""Whether the app runs on Cloud Foundry, and the facts of ``VCAP_APPLICATION`` it needs.

Cloud Foundry sets ``VCAP_APPLICATION`` in every app container and in the staging container
(where the buildpack runs ``collectstatic``), and nothing else sets it: so "running on Cloud
Foundry" means exactly "``VCAP_APPLICATION`` is set and not blank". A laptop copying it to try
something out is treated as Cloud Foundry, which is what trying something out wants.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cfsettings.bindings.sources import VCAP_APPLICATION, read_application

if TYPE_CHECKING:
    from collections.abc import Mapping


def on_cloud_foundry(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``VCAP_APPLICATION`` is set: the test every platform setting uses."""
    env = os.environ if environ is None else environ
    return bool(env.get(VCAP_APPLICATION, "").strip())


def application_name(environ: Mapping[str, str]) -> str:
    """The app's name for messages that tell what to type (``cf set-env <app> ...``)."""
    application = read_application(environ) or {}
    name = application.get("application_name", application.get("name"))
    return name if isinstance(name, str) and name.strip() else "<app>"
