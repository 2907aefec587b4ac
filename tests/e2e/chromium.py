"""Debian's Chromium, driven by its chromedriver through Selenium, headless and offline.

The route's name resolves to the test router (``--host-resolver-rules``, port 443 mapped to
the router's port, so that the browser's ``Origin`` is ``https://<route>`` exactly as on the
platform), and the router's certificate is accepted by its key's hash only.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


@contextmanager
def chromium(
    user_data: Path, hosts: tuple[str, ...], router_port: int, spki_sha256: str
) -> Iterator[object]:
    """A Selenium driver whose ``https://<host>/`` for each of ``hosts`` is the router."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(binary) is None:
            unavailable("Chromium", f"{binary} is missing (apt-get install chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data}")
    rules = ", ".join(f"MAP {host}:443 127.0.0.1:{router_port}" for host in hosts)
    options.add_argument(f"--host-resolver-rules={rules}, EXCLUDE localhost")
    options.add_argument(f"--ignore-certificate-errors-spki-list={spki_sha256}")
    service = Service(CHROMEDRIVER, log_output=str(user_data.parent / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
