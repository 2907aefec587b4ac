"""Benchmark 2: requests/s of a database-backed page with cfsettings' connection settings.

    python bench/throughput.py                       # MariaDB and PostgreSQL, about 7 minutes
    python bench/throughput.py --databases mariadb --rounds 1 --duration 1   # smoke

A minimal Django site (written to a temporary directory: one view that reads 20 rows through
the ORM) runs under gunicorn (2 sync workers) on loopback and is loaded by ``wrk -t1 -c4`` for
a few seconds at a time, with three ``DATABASES`` settings:

- ``cfsettings``: ``databases()`` reading the realistic ``VCAP_SERVICES`` of ``vcap_fixture.py``
  pointed at the local server: its defaults, persistent connections (``CONN_MAX_AGE=600``)
  with health checks on;
- ``classic``: the hard-coded dict of the tutorials, ``CONN_MAX_AGE=0`` (a new connection,
  and a new login, for every request);
- ``tuned``: the same dict hand-tuned for speed, ``CONN_MAX_AGE=None`` and no health checks:
  the practical limit;
- ``tuned+checks``: the same with ``CONN_HEALTH_CHECKS=True``, the limit for settings that
  still notice a broken connection before using it.

All four sites run side by side and take turns under load, in an order that rotates every
round; each round yields ratios of requests/s, and the report gives their medians, with
latency percentiles and errors. After the load, the server side of the sites' connections is
killed and the page requested again: with health checks on, no request may fail.

The app logs in with a password as a user made for the run (``cfsbench_<random>``, with a
random password that is never printed) to a database made for the run; both are dropped at
the end, so that runs at the same time (a smoke test in CI) cannot disturb each other. On
PostgreSQL the user is a member of the role ``cfsbench`` (created if missing, NOLOGIN).
This machine's ``pg_hba.conf`` trusts every loopback login, which makes a new connection far
cheaper than on Cloud Foundry, where it authenticates with SCRAM. With ``--pg-auth scram``
(the default) the script adds, once, this line at the top of the ``pg_hba.conf`` that the
server reports (and reloads the configuration)::

    host all +cfsbench 127.0.0.1/32 scram-sha-256  # cfsettings bench

It changes nothing for any other user; delete the line to undo it. When the file cannot be
written, or with ``--pg-auth trust``, the benchmark runs with trust and says that this
understates what persistent connections save.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vcap_fixture

HOST = "127.0.0.1"
GROUP = "cfsbench"
RUN = secrets.token_hex(4)
USER = DATABASE = f"{GROUP}_{RUN}"
HBA_MARKER = "# cfsettings bench"
HBA_LINE = f"host all +{GROUP} {HOST}/32 scram-sha-256  {HBA_MARKER}"
CONFIGS = ("cfsettings", "classic", "tuned", "tuned+checks")
ENGINES = {"mariadb": "django.db.backends.mysql", "postgresql": "django.db.backends.postgresql"}
PORTS = {"mariadb": 3306, "postgresql": 5432}
#: cfsettings' binding to use as ``default`` for each server.
SERVICE = {"mariadb": vcap_fixture.MYSQL_NAME, "postgresql": vcap_fixture.POSTGRES_NAME}
#: Targets from issue 6: cfsettings / classic at least, cfsettings / tuned at least.
TARGET_OVER_CLASSIC = {"mariadb": 2.0, "postgresql": 10.0}
TARGET_OVER_TUNED = 0.95

SETTINGS = """\
import os

SECRET_KEY = os.environ["BENCH_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["benchapp"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

CONFIG = os.environ["BENCH_CONFIG"]
if CONFIG == "cfsettings":
    from cfsettings import databases

    DATABASES = databases()  # VCAP_SERVICES, CFSETTINGS_DEFAULT_DATABASE from the environment
else:
    DATABASES = {
        "default": {
            "ENGINE": os.environ["BENCH_ENGINE"],
            "NAME": os.environ["BENCH_NAME"],
            "USER": os.environ["BENCH_USER"],
            "PASSWORD": os.environ["BENCH_PASSWORD"],
            "HOST": "127.0.0.1",
            "PORT": os.environ["BENCH_PORT"],
        }
    }
    if CONFIG.startswith("tuned"):
        DATABASES["default"]["CONN_MAX_AGE"] = None  # for ever
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = CONFIG == "tuned+checks"
"""

URLS = """\
from django.urls import path

from benchapp.views import index

urlpatterns = [path("", index)]
"""

WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
application = get_wsgi_application()
"""

MODELS = """\
from django.db import models


class Entry(models.Model):
    author = models.CharField(max_length=100)
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
"""

VIEWS = """\
from django.http import HttpResponse
from django.utils.html import escape

from benchapp.models import Entry


def index(request):
    entries = Entry.objects.order_by("-id").values_list("author", "text")[:20]
    items = "".join(f"<li>{escape(author)}: {escape(text)}</li>" for author, text in entries)
    return HttpResponse(f"<!doctype html><title>Guestbook</title><ul>{items}</ul>")
"""

SEED = """\
import django

django.setup()
from django.core.management import call_command

call_command("migrate", run_syncdb=True, verbosity=0)
from benchapp.models import Entry

if Entry.objects.count() < 20:
    Entry.objects.bulk_create(
        Entry(author=f"Visitor {n}", text=f"Hello from visitor {n}!" * 3) for n in range(20)
    )
"""


def write_project(directory: Path) -> None:
    files = {
        "benchsite/__init__.py": "",
        "benchsite/settings.py": SETTINGS,
        "benchsite/urls.py": URLS,
        "benchsite/wsgi.py": WSGI,
        "benchapp/__init__.py": "",
        "benchapp/models.py": MODELS,
        "benchapp/views.py": VIEWS,
        "seed.py": SEED,
    }
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)


# --- servers ------------------------------------------------------------------------------


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def prepare_mariadb(password: str) -> None:
    import MySQLdb

    conn = MySQLdb.connect(host=HOST, port=PORTS["mariadb"], user="root", passwd="")
    try:
        cursor = conn.cursor()
        cursor.execute(f"CREATE DATABASE `{DATABASE}` CHARACTER SET utf8mb4")
        for host in (HOST, "localhost"):
            cursor.execute(
                f"CREATE USER IF NOT EXISTS '{USER}'@'{host}' IDENTIFIED BY %s", [password]
            )
            cursor.execute(f"ALTER USER '{USER}'@'{host}' IDENTIFIED BY %s", [password])
            cursor.execute(f"GRANT ALL PRIVILEGES ON `{DATABASE}`.* TO '{USER}'@'{host}'")
    finally:
        conn.close()


def prepare_postgresql(password: str, auth: str) -> str:
    """Create the user and database; returns the authentication actually in force."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=HOST, port=PORTS["postgresql"], user="postgres", autocommit=True
    ) as c:
        if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [GROUP]).fetchone():
            with contextlib.suppress(psycopg.errors.DuplicateObject):  # a run at the same time
                c.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(GROUP)))
        c.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                sql.Identifier(USER), sql.Literal(password), sql.Identifier(GROUP)
            )
        )
        c.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(DATABASE), sql.Identifier(USER)
            )
        )
        if auth == "scram":
            auth = require_password_auth(c)
    if auth == "scram":
        try:
            psycopg.connect(
                host=HOST, port=PORTS["postgresql"], user=USER, dbname=DATABASE, password="x"
            ).close()
        except psycopg.OperationalError:
            return "scram-sha-256 (checked: a wrong password is refused)"
        print("  warning: a wrong password was accepted: PostgreSQL still trusts this user")
        return "trust (the pg_hba.conf line did not take effect)"
    return "trust"


def require_password_auth(conn) -> str:
    """Put ``HBA_LINE`` first in pg_hba.conf (once) and reload; ``trust`` when not allowed."""
    path = Path(conn.execute("SHOW hba_file").fetchone()[0])
    try:
        lines = path.read_text().splitlines()
        if HBA_LINE not in lines:
            others = [line for line in lines if HBA_MARKER not in line]  # an older version
            path.write_text("\n".join([HBA_LINE, *others]) + "\n")
            print(f"  added to {path} (once; delete the line to undo): {HBA_LINE}")
        conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)  # the postmaster reloads asynchronously
        return "scram"
    except OSError as exc:
        print(
            f"  cannot edit {path} ({exc.strerror}): PostgreSQL trusts this login, which "
            "understates what persistent connections save on Cloud Foundry"
        )
        return "trust"


def drop_run_objects(database: str) -> None:
    """Drop this run's user and database."""
    if database == "mariadb":
        import MySQLdb

        conn = MySQLdb.connect(host=HOST, port=PORTS["mariadb"], user="root", passwd="")
        try:
            cursor = conn.cursor()
            cursor.execute(f"DROP DATABASE IF EXISTS `{DATABASE}`")
            for host in (HOST, "localhost"):
                cursor.execute(f"DROP USER IF EXISTS '{USER}'@'{host}'")
        finally:
            conn.close()
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=HOST, port=PORTS["postgresql"], user="postgres", autocommit=True
    ) as c:
        c.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
        )
        c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(USER)))


def kill_app_connections(database: str) -> int:
    """End the server side of every connection of the benchmark user; how many there were."""
    if database == "mariadb":
        import MySQLdb

        conn = MySQLdb.connect(host=HOST, port=PORTS["mariadb"], user="root", passwd="")
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT id FROM information_schema.processlist WHERE user = %s", [USER])
            ids = [row[0] for row in cursor.fetchall()]
            for ident in ids:
                with contextlib.suppress(MySQLdb.OperationalError):  # gone meanwhile
                    cursor.execute(f"KILL {int(ident)}")
            return len(ids)
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(
        host=HOST, port=PORTS["postgresql"], user="postgres", autocommit=True
    ) as c:
        rows = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", [USER]
        ).fetchall()
        return len(rows)


# --- gunicorn and wrk ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Site:
    """gunicorn serving the bench site with one configuration, stopped on exit."""

    def __init__(
        self,
        directory: Path,
        env: dict,
        workers: int,
        log: Path,
        app: str = "benchsite.wsgi",
        extra: tuple[str, ...] = (),
    ) -> None:
        """``app`` and ``extra`` server arguments let the ASGI (uvicorn workers) and pooler
        (threads) benchmarks start the same way."""
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}/"
        self.log = log
        argv = [sys.executable, "-m", "gunicorn", app, *extra, "--workers", str(workers)]
        argv += ["--bind", f"{HOST}:{self.port}", "--log-level", "warning"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                argv, cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def __enter__(self) -> Site:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if get(self.url) == 200:
                return self
            time.sleep(0.1)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        sys.exit(f"gunicorn did not serve {self.url}; its log ends with:\n{tail}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def wrk(url: str, duration: float, threads: int, connections: int) -> dict:
    """One bounded wrk run on loopback: requests/s, latency percentiles (ms), errors."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    out = subprocess.run(
        argv, capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct in ("50", "90", "99"):
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M).groups()
        result[f"p{pct}"] = float(value) * UNITS[unit]
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = (sum(map(int, socket_errors.groups())) if socket_errors else 0) + (
        int(non_2xx.group(1)) if non_2xx else 0
    )
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return result


# --- the benchmark ------------------------------------------------------------------------


def environments(database: str, password: str, secret: str, directory: Path) -> dict:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VCAP_", "CFSETTINGS_", "DJANGO_", "BENCH_"))
        and key not in ("DATABASE_URL", "REDIS_URL")
    }
    base.update(
        PYTHONPATH=str(directory),
        DJANGO_SETTINGS_MODULE="benchsite.settings",
        BENCH_SECRET_KEY=secret,
        BENCH_ENGINE=ENGINES[database],
        BENCH_PASSWORD=password,
        BENCH_PORT=str(PORTS[database]),
        BENCH_USER=USER,
        BENCH_NAME=DATABASE,
    )
    local = {"mysql": (HOST, PORTS["mariadb"], USER, password, DATABASE)}
    local["postgres"] = (HOST, PORTS["postgresql"], USER, password, DATABASE)
    local["redis"] = (HOST, 6379, "unused")
    local["memcached"] = (f"{HOST}:11211",)
    envs = {}
    for config in CONFIGS:
        env = dict(base, BENCH_CONFIG=config)
        if config == "cfsettings":
            env["VCAP_SERVICES"] = vcap_fixture.vcap_services(**local)
            env["CFSETTINGS_DEFAULT_DATABASE"] = SERVICE[database]
        envs[config] = env
    return envs


def show_settings(
    directory: Path,
    env: dict,
    fields: tuple[str, ...] = ("ENGINE", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS"),
) -> str:
    """The connection settings a configuration resolves to (no password)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(json.dumps({k: d.get(k) for k in "
        f"{fields!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=directory, env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(f"the settings do not load:\n{out.stderr[-2000:]}")
    return out.stdout.strip()


def bench_database(database: str, args: argparse.Namespace, directory: Path) -> dict:
    try:
        return _bench_database(database, args, directory)
    finally:
        drop_run_objects(database)


def _bench_database(database: str, args: argparse.Namespace, directory: Path) -> dict:
    password = secrets.token_urlsafe(18)
    print(f"\n== {database} (127.0.0.1:{PORTS[database]}, user {USER} with a password)")
    if database == "mariadb":
        prepare_mariadb(password)
        auth = "mysql_native_password"
    else:
        auth = prepare_postgresql(password, args.pg_auth)
    print(f"  authentication: {auth}")
    envs = environments(database, password, secrets.token_urlsafe(40), directory)
    seeded = subprocess.run(
        [sys.executable, "seed.py"], cwd=directory, env=envs["classic"], capture_output=True
    )
    if seeded.returncode:
        sys.exit(f"could not create the table:\n{seeded.stderr.decode()[-2000:]}")
    for config in CONFIGS:
        print(f"  {config:<13} {show_settings(directory, envs[config])}")

    log = directory / f"gunicorn-{database}.log"
    runs: dict = {config: [] for config in CONFIGS}
    broken = {}
    with contextlib.ExitStack() as stack:
        # All three sites run side by side (an idle one costs nothing) so that the slices of
        # load can alternate often: the noise of a shared machine comes in bursts.
        sites = {
            config: stack.enter_context(Site(directory, envs[config], args.workers, log))
            for config in CONFIGS
        }
        for site in sites.values():
            wrk(site.url, args.warmup, 1, args.connections)  # every worker has connected
        for round_ in range(args.rounds):
            order = CONFIGS[round_ % len(CONFIGS) :] + CONFIGS[: round_ % len(CONFIGS)]
            if round_ % 2:
                order = tuple(reversed(order))
            for config in order:
                runs[config].append(wrk(sites[config].url, args.duration, 1, args.connections))
            line = ", ".join(f"{c} {runs[c][-1]['rps']:.0f}" for c in CONFIGS)
            print(f"  round {round_ + 1}/{args.rounds}: requests/s {line}")

        killed = kill_app_connections(database)
        time.sleep(0.2)
        for config in ("cfsettings", "tuned"):
            statuses = [get(sites[config].url) for _ in range(args.after_kill)]
            broken[config] = (killed, sum(status != 200 for status in statuses), len(statuses))
    return {"runs": runs, "broken": broken, "auth": auth}


def summarise(database: str, result: dict) -> list:
    runs = result["runs"]
    rounds = len(runs["cfsettings"])

    def ratios(a: str, b: str) -> list:
        return [x["rps"] / y["rps"] for x, y in zip(runs[a], runs[b], strict=True)]

    def ratio(a: str, b: str) -> float:
        return statistics.median(ratios(a, b))

    def spread(a: str, b: str) -> str:
        """The middle half of the rounds' ratios: how far the machine's noise moved them."""
        if rounds < 4:
            return ""
        low, _, high = statistics.quantiles(ratios(a, b), n=4)
        return f" [middle half of rounds {low:.2f}-{high:.2f}]"

    print(f"\n{database}: medians of {rounds} rounds")
    print(f"  {'':<14}{'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for config in CONFIGS:
        rows = runs[config]
        print(
            f"  {config:<14}{statistics.median(r['rps'] for r in rows):8.0f} "
            + " ".join(
                f"{statistics.median(r[p] for r in rows):8.2f}" for p in ("p50", "p90", "p99")
            )
            + f" {sum(r['errors'] for r in rows):7d}"
        )
    over_classic, over_tuned = ratio("cfsettings", "classic"), ratio("cfsettings", "tuned")
    print("  ratios of requests/s, median of the rounds' ratios:")
    for a, b, note in (
        ("cfsettings", "classic", f"target: at least {TARGET_OVER_CLASSIC[database]:.0f}x"),
        ("cfsettings", "tuned", f"target: at least {TARGET_OVER_TUNED}x"),
        ("cfsettings", "tuned+checks", "the limit with health checks on"),
        ("tuned", "classic", ""),
        ("tuned+checks", "tuned", "what Django's health check costs"),
    ):
        label = f"{a} / {b}:"
        print(f"    {label:<27} {ratio(a, b):5.2f}x{spread(a, b)}" + (f" ({note})" if note else ""))
    for config, (killed, failed, sent) in result["broken"].items():
        checks = "health checks on" if config == "cfsettings" else "no health checks"
        print(
            f"  after killing all {killed} connections of the sites, {config} ({checks}): "
            f"{failed} of {sent} requests failed"
        )
    misses = []
    errors = sum(r["errors"] for rows in runs.values() for r in rows)
    if over_classic < TARGET_OVER_CLASSIC[database]:
        misses.append(f"{database}: cfsettings / classic {over_classic:.2f}x")
    if over_tuned < TARGET_OVER_TUNED:
        misses.append(f"{database}: cfsettings / tuned {over_tuned:.2f}x")
    if errors:
        misses.append(f"{database}: {errors} errors under load")
    if result["broken"]["cfsettings"][1]:
        misses.append(f"{database}: cfsettings failed requests after its connections broke")
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="mariadb,postgresql")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--after-kill", type=int, default=20, help="requests after the kill")
    parser.add_argument("--pg-auth", choices=("scram", "trust"), default="scram")
    args = parser.parse_args(argv)
    args.duration, args.warmup = max(1, round(args.duration)), max(1, round(args.warmup))

    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    unknown = set(databases) - set(PORTS)
    if unknown:
        parser.error(f"unknown database {', '.join(sorted(unknown))}; choose from {list(PORTS)}")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    import django

    print(
        f"throughput: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared by wrk, "
        f"gunicorn and the database; Django {django.get_version()}, gunicorn "
        f"{args.workers} sync workers, wrk -t1 -c{args.connections} -d{args.duration}s, "
        f"{args.rounds} interleaved rounds"
    )
    misses = []
    summaries = {}
    with tempfile.TemporaryDirectory(prefix="cfsettings-throughput-") as tmp:
        directory = Path(tmp)
        write_project(directory)
        for database in databases:
            if not port_open(PORTS[database]):
                print(f"\nskipped {database}: nothing listens on {HOST}:{PORTS[database]}")
                continue
            summaries[database] = bench_database(database, args, directory)
    for database, result in summaries.items():
        misses += summarise(database, result)
    print("\n" + ("targets met" if not misses else "targets missed: " + "; ".join(misses)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
