"""One router and one browser per test module, in front of the module's own ``app``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.e2e.chromium import chromium
from tests.e2e.router import ATTACKER, Router, make_certificate, router


@dataclass
class Routed:
    driver: object
    router: Router


@pytest.fixture(scope="module")
def routed(app, route, tmp_path_factory) -> Iterator[Routed]:
    """The module's ``app`` (anything with a ``port``) behind the router, and a browser."""
    directory = tmp_path_factory.mktemp("router")
    certificate = make_certificate(directory, route, ATTACKER)
    with router(app.port, certificate) as front:
        hosts = (route, ATTACKER)
        with chromium(directory / "profile", hosts, front.port, certificate.spki_sha256) as driver:
            yield Routed(driver, front)
