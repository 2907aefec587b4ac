"""Records cannot be changed once built: checked by mypy, not run.

The lint session runs ``mypy --strict`` on this file. Every assignment below must be refused
(``Cannot assign to final attribute``); strict mode reports an unused ``type: ignore``, so if
a field stopped being ``Final`` this file would fail the lint session.
"""

from cfsettings.bindings.classify import Ignored, Match
from cfsettings.bindings.endpoint import Endpoint
from cfsettings.bindings.reading import Reader
from cfsettings.bindings.s3 import Bucket
from cfsettings.bindings.service import Service
from cfsettings.bindings.smtp import Relay
from cfsettings.defaults import DefaultChoice
from cfsettings.resolution import Bound, Resolution, Resolved
from cfsettings.resolve import Family


def change(
    service: Service,
    match: Match,
    ignored: Ignored,
    endpoint: Endpoint,
    resolution: Resolution,
    resolved: Resolved,
    bound: Bound,
    family: Family,
    choice: DefaultChoice,
    reader: Reader,
    bucket: Bucket,
    relay: Relay,
) -> None:
    service.name = "x"  # type: ignore[misc]
    service.credentials = {}  # type: ignore[misc]
    match.kind = "x"  # type: ignore[misc]
    ignored.reason = "x"  # type: ignore[misc]
    endpoint.host = "x"  # type: ignore[misc]
    endpoint.password = "x"  # type: ignore[misc]
    resolution.error = "x"  # type: ignore[misc]
    resolution.services = ()  # type: ignore[misc]
    resolved.error = "x"  # type: ignore[misc]
    bound.default = None  # type: ignore[misc]
    family.kinds = ()  # type: ignore[misc]
    choice.name = "x"  # type: ignore[misc]
    reader.fields = {}  # type: ignore[misc]
    bucket.secret_key = "x"  # type: ignore[misc]
    relay.password = "x"  # type: ignore[misc]
