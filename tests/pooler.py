"""A real PgBouncer in front of the loopback PostgreSQL, started and stopped by the tests.

Hosted PostgreSQL often sits behind PgBouncer in ``transaction`` pool mode (a server
connection per transaction, not per client), which breaks session state: advisory locks,
server-side cursors, ``SET``. Tests that must prove something works through it start one here::

    from tests.pooler import pgbouncer, pgbouncer_transaction  # context manager / fixture

    def test_through_the_pooler(pgbouncer_transaction):
        settings = {"HOST": pgbouncer_transaction.host, "PORT": str(pgbouncer_transaction.port)}

    with pgbouncer("session", default_pool_size=4) as pooler:
        ...

The fixtures are plain pytest fixtures: import them into the test module (``# noqa: F401``)
or a ``conftest.py``. Note that PgBouncer 1.18 (Debian 12) does not carry prepared statements
across server connections: connect with ``prepare_threshold=None`` in psycopg (Django's
default client-side binding never prepares).

Each pooler gets a free loopback port and a temporary directory of its own (``pgbouncer.ini``,
``userlist.txt``, ``pgbouncer.log``, ``pgbouncer.pid``), removed afterwards. Every database name
is passed through to ``127.0.0.1:5432`` (the ``*`` fallback), so a test's unique database needs
no configuring. Authentication is ``trust`` (as on the loopback server), but PgBouncer still
only admits users listed in its auth file: ``users=`` at start, or ``add_user`` later (it
reloads the running pooler). PgBouncer refuses to run as root, so as root it is started with
``-u postgres`` (or ``-u nobody``) and its directory is handed to that user. Missing
``pgbouncer`` (Debian package ``pgbouncer``) or PostgreSQL: skipped locally, a failure under
``CI=true`` (``tests.servers.unavailable``). Its log is appended to the error if it fails to start.

Self-contained on purpose (only ``tests.servers`` and the standard library) so other branches
can take it as is.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import HOST, POSTGRES_PORT, require_port, unavailable

POOL_MODES = ("session", "transaction", "statement")
#: Debian's path first, then whatever PATH finds.
CANDIDATES = ("/usr/sbin/pgbouncer",)
#: The unprivileged accounts PgBouncer may switch to when the tests run as root, in order
#: (a CI container with PostgreSQL in a service container may have no ``postgres`` user).
RUN_AS = ("postgres", "nobody")
START_SECONDS = 10.0
STOP_SECONDS = 10.0


def find_pgbouncer() -> str | None:
    for candidate in CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("pgbouncer")


def free_port() -> int:
    """A loopback port free right now (PgBouncer binds it a moment later; start() retries)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Pooler:
    """A running PgBouncer: connect to ``host``:``port`` with any database name."""

    host: str
    port: int
    pool_mode: str
    directory: Path
    process: subprocess.Popen[bytes]
    users: list[str] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return self.directory / "pgbouncer.log"

    def log(self) -> str:
        """PgBouncer's own log and stderr (to attach to a failing assertion)."""
        return "".join(
            path.read_text(errors="replace")
            for path in (self.directory / "pgbouncer.stderr", self.log_path)
            if path.exists()
        )

    def settings(self, name: str, user: str = "postgres") -> dict[str, str]:
        """A Django DATABASES entry for ``name`` reached through this pooler."""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": user,
            "PASSWORD": "",
            "HOST": self.host,
            "PORT": str(self.port),
        }

    def add_user(self, user: str, password: str = "") -> None:
        """Admit ``user`` (e.g. a role a test created) and reload the running pooler."""
        if user in self.users:
            return
        self.users.append(user)
        _write_userlist(self.directory, self.users, {user: password})
        self.process.send_signal(signal.SIGHUP)
        time.sleep(0.3)  # the reload is asynchronous; new logins after it see the user

    def stop(self) -> None:
        """Immediate shutdown (SIGTERM: clients are disconnected), killed if it lingers."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)


_PASSWORDS: dict[Path, dict[str, str]] = {}


def _write_userlist(directory: Path, users: list[str], passwords: dict[str, str]) -> None:
    known = _PASSWORDS.setdefault(directory, {})
    known.update(passwords)
    lines = []
    for user in users:
        secret = known.get(user, "").replace('"', '""')
        lines.append(f'"{user.replace(chr(34), chr(34) * 2)}" "{secret}"\n')
    (directory / "userlist.txt").write_text("".join(lines))


def _config(directory: Path, port: int, pool_mode: str, options: dict[str, str | int]) -> str:
    settings: dict[str, str | int] = {
        "listen_addr": HOST,
        "listen_port": port,
        "unix_socket_dir": "",  # loopback TCP only; no socket file in /tmp to clash
        "auth_type": "trust",
        "auth_file": str(directory / "userlist.txt"),
        "pool_mode": pool_mode,
        "max_client_conn": 500,
        "default_pool_size": 20,
        "logfile": str(directory / "pgbouncer.log"),
        "pidfile": str(directory / "pgbouncer.pid"),
        "admin_users": "postgres",
        # psycopg/JDBC send these at start-up; PgBouncer would otherwise refuse the login.
        "ignore_startup_parameters": "extra_float_digits,options",
    }
    settings.update(options)
    lines = ["[databases]", f"* = host={HOST} port={POSTGRES_PORT}", "", "[pgbouncer]"]
    lines.extend(f"{key} = {value}" for key, value in settings.items())
    return "\n".join(lines) + "\n"


def _wait_listening(process: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@contextmanager
def pgbouncer(
    pool_mode: str = "transaction",
    *,
    users: tuple[str, ...] = ("postgres",),
    **options: str | int,
) -> Iterator[Pooler]:
    """Start PgBouncer in ``pool_mode`` for the block; extra ini settings as keywords
    (``default_pool_size=2``, ``server_idle_timeout=5`` ...)."""
    if pool_mode not in POOL_MODES:
        raise ValueError(f"pool_mode must be one of {POOL_MODES}, not {pool_mode!r}")
    binary = find_pgbouncer()
    if binary is None:
        unavailable("PgBouncer", "not installed: apt-get install pgbouncer")
    assert binary is not None
    require_port("PostgreSQL", POSTGRES_PORT)
    directory = Path(tempfile.mkdtemp(prefix="cfs-pgbouncer-"))
    account = _unprivileged() if os.geteuid() == 0 else None
    try:
        if account is not None:  # PgBouncer refuses root: it drops to RUN_AS, who must write here
            os.chown(directory, account.pw_uid, account.pw_gid)
        _write_userlist(directory, list(users), {})
        pooler = _start(binary, directory, pool_mode, list(users), options, account)
        try:
            yield pooler
        finally:
            pooler.stop()
    finally:
        _PASSWORDS.pop(directory, None)
        shutil.rmtree(directory, ignore_errors=True)


def _unprivileged() -> pwd.struct_passwd:
    for name in RUN_AS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    unavailable("PgBouncer", f"it refuses root, and none of the users {RUN_AS} exists")
    raise AssertionError("unreachable")  # pragma: no cover - unavailable() raises


def _start(
    binary: str,
    directory: Path,
    pool_mode: str,
    users: list[str],
    options: dict[str, str | int],
    account: pwd.struct_passwd | None,
) -> Pooler:
    log = directory / "pgbouncer.log"
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = free_port()
        ini = directory / "pgbouncer.ini"
        ini.write_text(_config(directory, port, pool_mode, options))
        argv = [binary, *(("-u", account.pw_name) if account else ()), str(ini)]
        with open(directory / "pgbouncer.stderr", "ab") as stderr:  # errors before the log opens
            process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=stderr, stderr=subprocess.STDOUT
            )
        if _wait_listening(process, port):
            return Pooler(HOST, port, pool_mode, directory, process, users)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=STOP_SECONDS)
    text = "".join(
        path.read_text(errors="replace")
        for path in (directory / "pgbouncer.stderr", log)
        if path.exists()
    )
    unavailable("PgBouncer", f"{binary} did not start; its log:\n{text[-3000:]}")
    raise AssertionError("unreachable")  # pragma: no cover - unavailable() raises


@pytest.fixture
def pgbouncer_transaction() -> Iterator[Pooler]:
    """A PgBouncer in transaction pool mode (the hosted-PostgreSQL default)."""
    with pgbouncer("transaction") as pooler:
        yield pooler


@pytest.fixture
def pgbouncer_session() -> Iterator[Pooler]:
    """A PgBouncer in session pool mode (a server connection per client, as if direct)."""
    with pgbouncer("session") as pooler:
        yield pooler
