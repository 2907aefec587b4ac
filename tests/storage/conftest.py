"""The real servers of the storage and e-mail tests: moto for S3, aiosmtpd for SMTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.objectstore import S3Server, moto_server
from tests.smtp import smtp_servers


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One moto server for the session; each test makes buckets of its own."""
    with moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def smtp_server(tmp_path, monkeypatch) -> Iterator[Any]:
    """``smtp_server(mode)`` starts an SMTP server whose certificate clients trust."""
    with smtp_servers(tmp_path) as start:
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        yield start


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """A failing test that used moto shows the end of moto's log (aiosmtpd logs through
    ``logging``, which pytest shows already)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    server = getattr(item, "funcargs", {}).get("moto_s3")
    if report.failed and isinstance(server, S3Server) and server.log.exists():
        report.sections.append(("moto_server log", server.log.read_text()[-4000:]))
