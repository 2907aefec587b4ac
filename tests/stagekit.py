"""Run the test project's ``manage.py`` as real processes, the way Cloud Foundry would.

Database settings (with their passwords) travel in the environment as JSON, never in argv.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db.backends.base.base import BaseDatabaseWrapper

from tests.servers import HOST, MARIADB_PORT, POSTGRES_PORT

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "tests" / "stageproject"
HOSTILE_PASSWORD = "p@ss:w/o#rd%?+ é"
SUPERUSER = {
    "DJANGO_SUPERUSER_USERNAME": "admin",
    "DJANGO_SUPERUSER_PASSWORD": "admin-" + HOSTILE_PASSWORD,
    "DJANGO_SUPERUSER_EMAIL": "admin@example.com",
    "DJANGO_SUPERUSER_TEAM": "ops",
}


def sqlite(path: Path | str) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def postgres(name: str, user: str = "postgres", password: str = "") -> dict:
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": user,
        "PASSWORD": password,
        "HOST": HOST,
        "PORT": str(POSTGRES_PORT),
    }


def mariadb(name: str, user: str = "root", password: str = "") -> dict:
    return {
        "ENGINE": "django.db.backends.mysql",
        "NAME": name,
        "USER": user,
        "PASSWORD": password,
        "HOST": HOST,
        "PORT": str(MARIADB_PORT),
        "OPTIONS": {"charset": "utf8mb4"},
    }


def environment(
    databases: dict, *, paths: tuple[Path, ...] = (), superuser: bool = True, **variables: str
) -> dict[str, str]:
    """The environment of one ``manage.py`` process of the test project."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_SUPERUSER_", "STAGE_"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "stageproject.settings"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *map(str, paths)])
    env["STAGE_DATABASES"] = json.dumps(databases)
    if superuser:
        env.update(SUPERUSER)
    env.update(variables)
    return env


def command(*args: str, project: Path = PROJECT) -> list[str]:
    return [sys.executable, str(project / "manage.py"), *args]


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(*args), env=env, cwd=PROJECT, capture_output=True, text=True, timeout=timeout
    )


class Process:
    """A running ``manage.py`` whose output is read as it comes, to act on a given line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.popen = subprocess.Popen(
            command(*args),
            env=env,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.errors: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(stream, into), daemon=True)
            for stream, into in ((self.popen.stdout, self.lines), (self.popen.stderr, self.errors))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.popen.kill()
                self.finish(timeout=5)
                raise AssertionError(f"never printed {text!r}: {self.stdout}{self.stderr}")
            time.sleep(0.02)

    def finish(self, timeout: float = 120) -> int:
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            raise
        finally:
            for reader in self._readers:
                reader.join(timeout=5)
        return self.popen.returncode

    @property
    def stderr(self) -> str:
        return "".join(self.errors)

    @property
    def stdout(self) -> str:
        return "".join(self.lines)


def closed_port() -> int:
    """A loopback port nothing listens on: a database that is down."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def assert_no_secret(*outputs: str) -> None:
    for output in outputs:
        for secret in (HOSTILE_PASSWORD, SUPERUSER["DJANGO_SUPERUSER_PASSWORD"]):
            assert secret not in output, "a password leaked into the output"
        assert "p@ss" not in output and "w/o#rd" not in output


def write_app(root: Path, name: str, migrations: dict[str, str], models: str = "") -> None:
    """An app a test writes on the fly: a package with models and the given migration files."""
    package = root / name
    (package / "migrations").mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("from django.db import models\n\n" + models)
    (package / "migrations" / "__init__.py").write_text("")
    for filename, source in migrations.items():
        (package / "migrations" / f"{filename}.py").write_text(source)


@contextmanager
def default_database(path: Path) -> Iterator[BaseDatabaseWrapper]:
    """In this process, point the ``default`` alias at a fresh SQLite file for the block.

    The unit-test settings use an in-memory database that ``close()`` cannot reset; a file per
    test keeps each test's migrations to itself.
    """
    from django.db import connections

    original = connections["default"]
    connection = original.copy()
    connection.settings_dict["NAME"] = str(path)
    connections["default"] = connection
    try:
        yield connection
    finally:
        connection.close()
        connections["default"] = original
