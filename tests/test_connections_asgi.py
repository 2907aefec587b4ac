"""Under ASGI (uvicorn, a real server and load), cfsettings' pool holds what it says, no more.

A tiny project with an ``async def`` view that reads through the ORM runs under ``python -m
uvicorn`` (one worker) with ``DATABASES = databases()``: nothing says ASGI but the command
line. Its binding states ``max_conns``, which sizes the pool. ``wrk`` loads it with more
clients than the pool has connections while ``pg_stat_activity`` of its own database is
polled. The same project with ``CFSETTINGS_ASGI=false`` (the persistent connections
cfsettings used to set) shows that the probe sees a leak when there is one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import HOST, POSTGRES_PORT, postgres_database_as, unavailable

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 6  # stated by the binding: (6 - 1 spare) / 1 worker = a pool of at most 5
POOL_MAX = 5
CLIENTS = 16
#: The app's role may hold no more, so that the leak shown below cannot exhaust a shared server.
ROLE_LIMIT = 12

FILES = {
    "site_settings.py": """\
from cfsettings import databases

SECRET_KEY = "tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["django.contrib.contenttypes"]
ROOT_URLCONF = "site_urls"
USE_TZ = True
DATABASES = databases()
""",
    "site_urls.py": """\
from django.contrib.contenttypes.models import ContentType
from django.http import JsonResponse
from django.urls import path


async def index(request):
    return JsonResponse({"models": [t.model async for t in ContentType.objects.order_by("id")]})


urlpatterns = [path("", index)]
""",
    "site_asgi.py": """\
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_settings")
application = get_asgi_application()
""",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def admin():
    import psycopg

    return psycopg.connect(host=HOST, port=POSTGRES_PORT, user="postgres", autocommit=True)


def count_connections(conn, database: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
    ).fetchone()
    return int(row[0]) if row else 0


class Peak:
    """The most connections to ``database`` seen while the block runs (polled every 20 ms)."""

    def __init__(self, database: str) -> None:
        self.database, self.value = database, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _poll(self) -> None:
        with admin() as conn:
            while not self._stop.is_set():
                self.value = max(self.value, count_connections(conn, self.database))
                self._stop.wait(0.02)


@pytest.fixture
def project(tmp_path):
    if shutil.which("wrk") is None:
        unavailable("wrk", "not installed: apt-get install wrk")
    with postgres_database_as("tests-only-pw", "cfsasgi") as (database, role), admin() as conn:
        conn.execute(f'ALTER ROLE "{role}" CONNECTION LIMIT {ROLE_LIMIT}')
        for name, text in FILES.items():
            (tmp_path / name).write_text(text)
        credentials = {
            "uri": f"postgres://{role}:tests-only-pw@{HOST}:{POSTGRES_PORT}/{database}",
            "max_conns": str(LIMIT),
        }
        binding = {"name": "orders-db", "label": "user-provided", "tags": ["postgresql"]}
        services = {"user-provided": [{**binding, "credentials": credentials}]}
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("VCAP_", "CFSETTINGS_", "GUNICORN_", "DJANGO_"))
            and k not in ("DATABASE_URL", "WEB_CONCURRENCY")
        }
        env.update(
            VCAP_SERVICES=json.dumps(services),
            DJANGO_SETTINGS_MODULE="site_settings",
            PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
        )
        subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
            cwd=tmp_path,
            env=env,
            check=True,
            timeout=60,
        )
        yield tmp_path, env, database


@contextmanager
def uvicorn(directory: Path, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    log = directory / "uvicorn.log"
    argv = [sys.executable, "-m", "uvicorn", "site_asgi:application"]
    argv += ["--host", HOST, "--port", str(port), "--log-level", "warning"]
    with log.open("ab") as out:
        process = subprocess.Popen(argv, cwd=directory, env=env, stdout=out, stderr=out)
    url = f"http://{HOST}:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"uvicorn did not serve {url}:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def wrk(url: str) -> tuple[int, int]:
    """Requests served and failed in a bounded run of ``CLIENTS`` connections."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CLIENTS}", "-d2s", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    served = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    failed = sum(int(n) for n in re.findall(r"(?:Non-2xx or 3xx responses|timeout): (\d+)", out))
    return served, failed


def test_an_async_view_under_load_holds_no_more_than_its_pool(project):
    directory, env, database = project
    with uvicorn(directory, env) as url, Peak(database) as peak:
        served, failed = wrk(url)
        time.sleep(0.3)
        with admin() as conn:
            after = count_connections(conn, database)
    assert served > 0
    assert failed == 0
    assert 1 <= peak.value <= POOL_MAX, f"{peak.value} server connections, pool max {POOL_MAX}"
    assert after <= POOL_MAX


def test_the_probe_sees_the_leak_of_persistent_connections_under_asgi(project):
    """cfsettings' settings before ASGI support: a connection per request context, kept."""
    directory, env, database = project
    with uvicorn(directory, {**env, "CFSETTINGS_ASGI": "false"}) as url, Peak(database) as peak:
        wrk(url)
    assert peak.value > POOL_MAX  # up to ROLE_LIMIT, where the server refuses more
