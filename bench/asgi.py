"""Benchmark 4: an async, database-backed view under ASGI, and the server connections it holds.

    python bench/asgi.py                          # 5 rounds of 3 s per site, about 2 minutes
    python bench/asgi.py --rounds 1 --duration 1  # smoke

A minimal Django site (written to a temporary directory; one ``async def`` view that reads 20
rows with ``async for``) runs under gunicorn with 2 uvicorn workers
(``-k uvicorn.workers.UvicornWorker``) on loopback and is loaded by ``wrk -t2 -c32``, with:

- ``cfsettings``: ``databases()`` reading a ``VCAP_SERVICES`` whose PostgreSQL binding states
  ``max_conns`` (the role's real ``CONNECTION LIMIT``). Nothing says ASGI: cfsettings finds
  the uvicorn worker class in gunicorn's command line, and sizes the pool from the limit;
- ``tuned``: the hand-written dict of Django's docs for ASGI: ``CONN_MAX_AGE=0`` and
  ``OPTIONS["pool"]`` sized by hand: by default as large as cfsettings' pool and kept full
  (``min_size = max_size``), without health checks: the fastest that fits the same limit;
- ``checked``: ``tuned`` with ``CONN_HEALTH_CHECKS=True`` (the pool checks each connection it
  lends), which cfsettings keeps on: what that check costs;
- ``old``: ``databases(asgi=False)``, cfsettings' defaults before ASGI support
  (``CONN_MAX_AGE=600``), run last and alone, because it holds connections it never gives back.

Each site logs in as a role of its own (``cfsbench_<run>_<site>``, ``CONNECTION LIMIT``
``--limit``), so a site cannot take the shared server's last connection and the count of
server connections per site is exact: ``pg_stat_activity`` rows of that role in this run's
database, polled every 50 ms during the load; the maximum is reported. ``cfsettings``,
``tuned`` and ``checked`` take turns under load, in an order that rotates every round; the
report gives the median of the rounds' ratios. After the load, the server side of every
connection of ``cfsettings`` and of ``tuned`` is killed (``pg_terminate_backend``, as a
database restart looks to the app) and ``--after-kill`` requests are sent to each: what the
health check costs above buys this. The roles and the database are dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import throughput  # helpers: wrk, free ports, gunicorn lifecycle
import vcap_fixture

HOST = throughput.HOST
PORT = throughput.PORTS["postgresql"]
GROUP = throughput.GROUP
RUN = throughput.RUN
DATABASE = f"{GROUP}_{RUN}_asgi"
SITES = ("cfsettings", "tuned", "checked", "old")
#: The sites that take turns under load; ``old`` runs alone afterwards.
INTERLEAVED = ("cfsettings", "tuned", "checked")
TARGET = 0.95

SETTINGS = """\
import os

SECRET_KEY = os.environ["BENCH_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["benchapp"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "benchsite.urls"
ASGI_APPLICATION = "benchsite.asgi.application"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

CONFIG = os.environ["BENCH_CONFIG"]
if CONFIG == "cfsettings":
    from cfsettings import databases

    DATABASES = databases()  # ASGI found in gunicorn's command line
elif CONFIG == "old":
    from cfsettings import databases

    DATABASES = databases(asgi=False)  # what cfsettings did before: CONN_MAX_AGE=600
else:  # tuned, or checked: the same with Django's health checks (the pool's check)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["BENCH_NAME"],
            "USER": os.environ["BENCH_USER"],
            "PASSWORD": os.environ["BENCH_PASSWORD"],
            "HOST": "127.0.0.1",
            "PORT": os.environ["BENCH_PORT"],
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": CONFIG == "checked",
            "OPTIONS": {"pool": json.loads(os.environ["BENCH_POOL"])},
        }
    }
"""

ASGI = """\
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
application = get_asgi_application()
"""

VIEWS = """\
from django.http import HttpResponse
from django.utils.html import escape

from benchapp.models import Entry


async def index(request):
    rows = Entry.objects.order_by("-id").values_list("author", "text")[:20]
    items = "".join([f"<li>{escape(a)}: {escape(t)}</li>" async for a, t in rows])
    return HttpResponse(f"<!doctype html><title>Guestbook</title><ul>{items}</ul>")
"""


def write_project(directory: Path) -> None:
    throughput.write_project(directory)  # models, urls, seed.py
    (directory / "benchsite" / "settings.py").write_text("import json\n" + SETTINGS)
    (directory / "benchsite" / "asgi.py").write_text(ASGI)
    (directory / "benchapp" / "views.py").write_text(VIEWS)


def admin():
    import psycopg

    return psycopg.connect(host=HOST, port=PORT, user="postgres", autocommit=True)


def create_roles(passwords: dict[str, str], limit: int, owner: str) -> None:
    """A role per site (members of ``cfsbench``), and the run's database owned by ``owner``."""
    from psycopg import sql

    with admin() as c:
        if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [GROUP]).fetchone():
            with contextlib.suppress(Exception):  # a run at the same time made it
                c.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(GROUP)))
        for site, password in passwords.items():
            c.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} CONNECTION LIMIT {} IN ROLE {}").format(
                    sql.Identifier(role(site)),
                    sql.Literal(password),
                    sql.Literal(limit),
                    sql.Identifier(GROUP),
                )
            )
        c.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(DATABASE), sql.Identifier(role(owner))
            )
        )


def grant_table() -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=HOST, port=PORT, user="postgres", dbname=DATABASE) as c:
        for site in ("cfsettings", "checked", "old"):  # "tuned" owns the database
            c.execute(
                sql.SQL("GRANT SELECT ON benchapp_entry TO {}").format(sql.Identifier(role(site)))
            )


def drop_everything(sites: tuple[str, ...] = SITES) -> None:
    from psycopg import sql

    with admin() as c:
        c.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
        )
        for site in sites:
            c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role(site))))


def role(site: str) -> str:
    return f"{GROUP}_{RUN}_{site}"


class Watcher:
    """Polls the number of server connections each role holds in this run's database."""

    def __init__(self) -> None:
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def reset(self, site: str) -> None:
        self.peak[site] = 0

    def _run(self) -> None:
        with admin() as c:
            while not self._stop.is_set():
                rows = c.execute(
                    "SELECT usename, count(*) FROM pg_stat_activity WHERE datname = %s "
                    "GROUP BY usename",
                    [DATABASE],
                ).fetchall()
                counts = dict(rows)
                for site in list(self.peak):
                    self.peak[site] = max(self.peak[site], counts.get(role(site), 0))
                self._stop.wait(0.05)


def asgi_site(directory: Path, env: dict, workers: int, log: Path) -> throughput.Site:
    """gunicorn with uvicorn workers serving the ASGI bench site."""
    app, worker = "benchsite.asgi:application", "uvicorn.workers.UvicornWorker"
    return throughput.Site(directory, env, workers, log, app=app, extra=("-k", worker))


def environments(passwords: dict[str, str], args: argparse.Namespace, directory: Path) -> dict:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VCAP_", "CFSETTINGS_", "DJANGO_", "BENCH_", "GUNICORN_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY")
    }
    base.update(
        PYTHONPATH=str(directory),
        DJANGO_SETTINGS_MODULE="benchsite.settings",
        BENCH_SECRET_KEY=secrets.token_urlsafe(40),
        BENCH_PORT=str(PORT),
        BENCH_NAME=DATABASE,
        WEB_CONCURRENCY=str(args.workers),
    )
    envs = {}
    for site in SITES:
        env = dict(base, BENCH_CONFIG=site, BENCH_USER=role(site), BENCH_PASSWORD=passwords[site])
        if site in ("tuned", "checked"):
            env["BENCH_POOL"] = json.dumps({"min_size": args.tuned_min, "max_size": args.tuned_max})
        else:
            document = vcap_fixture.document(
                postgres=(HOST, PORT, role(site), passwords[site], DATABASE)
            )
            for services in document.values():
                for service in services:
                    if service["name"] == vcap_fixture.POSTGRES_NAME:
                        service["credentials"]["max_conns"] = str(args.limit)
            env["VCAP_SERVICES"] = json.dumps(document)
            env["CFSETTINGS_DEFAULT_DATABASE"] = vcap_fixture.POSTGRES_NAME
        envs[site] = env
    return envs


def show_settings(directory: Path, env: dict) -> str:
    """What a site's settings resolve to, as gunicorn's workers would see them (no password)."""
    code = (
        "import sys, json, django; sys.argv = sys.argv[1:]; django.setup(); "
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(json.dumps({k: d.get(k) for k in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')} "
        "| {'pool': d['OPTIONS'].get('pool')}))"
    )
    argv = ["gunicorn", "-k", "uvicorn.workers.UvicornWorker"]  # as in the workers
    out = subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=directory, env=env, capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(f"the settings do not load:\n{out.stderr[-2000:]}")
    return out.stdout.strip()


def load(site: throughput.Site, name: str, watcher: Watcher, args: argparse.Namespace) -> dict:
    watcher.reset(name)
    result = throughput.wrk(site.url, args.duration, 2, args.connections)
    time.sleep(0.1)
    result["server_connections"] = watcher.peak[name]
    return result


def run(args: argparse.Namespace, directory: Path) -> dict:
    passwords = {site: secrets.token_urlsafe(18) for site in SITES}
    create_roles(passwords, args.limit, owner="tuned")
    envs = environments(passwords, args, directory)
    seeded = subprocess.run(
        [sys.executable, "seed.py"], cwd=directory, env=envs["tuned"], capture_output=True
    )
    if seeded.returncode:
        sys.exit(f"could not create the table:\n{seeded.stderr.decode()[-2000:]}")
    grant_table()
    for site in SITES:
        print(f"  {site:<11} {show_settings(directory, envs[site])}")
    runs: dict = {site: [] for site in SITES}
    broken: dict = {}
    log = directory / "gunicorn.log"
    with Watcher() as watcher:
        with contextlib.ExitStack() as stack:
            sites = {
                name: stack.enter_context(asgi_site(directory, envs[name], args.workers, log))
                for name in INTERLEAVED
            }
            for site in sites.values():
                throughput.wrk(site.url, args.warmup, 2, args.connections)
            for round_ in range(args.rounds):
                shift = round_ % len(INTERLEAVED)
                order = INTERLEAVED[shift:] + INTERLEAVED[:shift]
                if round_ % 2:
                    order = tuple(reversed(order))
                for name in order:
                    runs[name].append(load(sites[name], name, watcher, args))
                print(
                    f"  round {round_ + 1}/{args.rounds}: "
                    + ", ".join(
                        f"{n} {runs[n][-1]['rps']:.0f} req/s, "
                        f"{runs[n][-1]['server_connections']} server connections"
                        for n in INTERLEAVED
                    )
                )
            for name in ("cfsettings", "tuned"):  # what the pool's health check buys
                killed = kill_connections(name)
                time.sleep(0.2)
                statuses = [throughput.get(sites[name].url) for _ in range(args.after_kill)]
                failed = sum(status != 200 for status in statuses)
                broken[name] = (killed, failed, len(statuses))
        with asgi_site(directory, envs["old"], args.workers, log) as old:  # alone, after the others
            throughput.wrk(old.url, args.warmup, 2, args.connections)
            for _ in range(args.rounds):
                runs["old"].append(load(old, "old", watcher, args))
    return runs, broken


def kill_connections(site: str) -> int:
    """End the server side of every connection of a site's role (a restart, as the app sees it)."""
    with admin() as c:
        rows = c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
            [role(site)],
        ).fetchall()
    return len(rows)


def summarise(runs: dict, broken: dict, args: argparse.Namespace) -> list[str]:
    print(f"\nmedians of {len(runs['cfsettings'])} rounds (old: run alone afterwards)")
    print(
        f"  {'':<11}{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'max server conns':>17}"
    )
    for site in SITES:
        rows = runs[site]
        print(
            f"  {site:<11}{statistics.median(r['rps'] for r in rows):8.0f} "
            f"{statistics.median(r['p50'] for r in rows):8.2f} "
            f"{statistics.median(r['p99'] for r in rows):8.2f} "
            f"{sum(r['errors'] for r in rows):7d} {max(r['server_connections'] for r in rows):17d}"
        )
    ratio = statistics.median(
        a["rps"] / b["rps"] for a, b in zip(runs["cfsettings"], runs["tuned"], strict=True)
    )
    old = statistics.median(r["rps"] for r in runs["old"]) / statistics.median(
        r["rps"] for r in runs["tuned"]
    )
    checked = statistics.median(
        a["rps"] / b["rps"] for a, b in zip(runs["cfsettings"], runs["checked"], strict=True)
    )
    cost = statistics.median(
        a["rps"] / b["rps"] for a, b in zip(runs["checked"], runs["tuned"], strict=True)
    )
    print(f"  cfsettings / tuned: {ratio:.2f}x (target: at least {TARGET}x, no errors)")
    print(f"  cfsettings / checked: {checked:.2f}x (the same pool with health checks)")
    print(f"  checked / tuned:    {cost:.2f}x (what the pool's health check costs)")
    print(f"  old / tuned:        {old:.2f}x (cfsettings before ASGI support)")
    for name, (killed, failed, sent) in broken.items():
        checks = "health checks on" if name == "cfsettings" else "no health checks"
        print(
            f"  after killing all {killed} server connections of {name} ({checks}): "
            f"{failed} of {sent} requests failed"
        )
    misses = []
    if ratio < TARGET:
        misses.append(f"cfsettings / tuned {ratio:.2f}x")
    errors = sum(r["errors"] for r in runs["cfsettings"])
    if errors:
        misses.append(f"cfsettings: {errors} errors")
    peak = max(r["server_connections"] for r in runs["cfsettings"])
    bound = args.workers * json.loads(show_pool(args))["max_size"]
    if peak > bound:
        misses.append(f"cfsettings held {peak} server connections, more than its pools ({bound})")
    return misses


def show_pool(args: argparse.Namespace) -> str:
    """The pool cfsettings computes for this run's limit and workers (the bound to check)."""
    from cfsettings.concurrency import Process
    from cfsettings.connections import pool_options

    pool, _ = pool_options(args.limit, Process(True, "bench", args.workers, 1, None))
    return json.dumps(pool)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--limit", type=int, default=30, help="each role's CONNECTION LIMIT")
    parser.add_argument("--after-kill", type=int, default=30, help="requests after the kill")
    parser.add_argument("--tuned-min", type=int, help="default: --tuned-max (a warm pool)")
    parser.add_argument("--tuned-max", type=int, help="default: the max_size cfsettings picks")
    args = parser.parse_args(argv)
    args.tuned_max = args.tuned_max or json.loads(show_pool(args))["max_size"]
    args.tuned_min = args.tuned_min or args.tuned_max
    args.duration, args.warmup = max(1, round(args.duration)), max(1, round(args.warmup))
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    if not throughput.port_open(PORT):
        sys.exit(f"nothing listens on {HOST}:{PORT}")
    import django

    print(
        f"asgi: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared; Django "
        f"{django.get_version()}, gunicorn {args.workers} uvicorn workers, wrk -t2 "
        f"-c{args.connections} -d{args.duration}s, {args.rounds} rounds, role limit {args.limit}, "
        f"tuned pool {args.tuned_min}-{args.tuned_max} per worker, "
        f"cfsettings pool {show_pool(args)}"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="cfsettings-asgi-") as tmp:
            directory = Path(tmp)
            write_project(directory)
            runs, broken = run(args, directory)
    finally:
        drop_everything()
    misses = summarise(runs, broken, args)
    print("\n" + ("targets met" if not misses else "targets missed: " + "; ".join(misses)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
