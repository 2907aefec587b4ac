"""Benchmark 5: the sync throughput site through PgBouncer in transaction mode, against direct.

    python bench/pgbouncer.py                          # 5 rounds of 3 s per site, about 1 minute
    python bench/pgbouncer.py --rounds 1 --duration 1  # smoke

The site of ``throughput.py`` (one view reading 20 rows through the ORM) runs under gunicorn
(2 workers, 8 threads each: gthread) twice, both with ``DATABASES = databases()`` on a
``VCAP_SERVICES`` with one PostgreSQL binding:

- ``direct``: the binding points at PostgreSQL (127.0.0.1:5432);
- ``pgbouncer``: the binding's URI points at a PgBouncer in transaction mode
  (``?pgbouncer=true``), started by ``tests/pooler.py``; cfsettings sets
  ``DISABLE_SERVER_SIDE_CURSORS`` and keeps persistent (client) connections.

``wrk -t2 -c8`` (fewer clients than threads: idle threads keep their connection) loads each
in turn, alternating the order every round. Reported: requests/s
(median of the rounds' ratios pgbouncer / direct), errors, and the most server connections
each site's role held in this run's database (``pg_stat_activity``, polled every 50 ms). Each
site logs in as a role of its own, trusted on loopback as the tests' pooler is; roles and
database are dropped at the end.
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.pooler: the fixture
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asgi  # Watcher, roles
import throughput
import vcap_fixture

from tests.pooler import pgbouncer

HOST, PORT = throughput.HOST, throughput.PORTS["postgresql"]
#: What each site's settings print (no password): where it connects and how.
FIELDS = ("PORT", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DISABLE_SERVER_SIDE_CURSORS")
SITES = ("direct", "pgbouncer")


def environment(site: str, port: int, query: str, directory: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VCAP_", "CFSETTINGS_", "DJANGO_", "BENCH_", "GUNICORN_"))
        and key not in ("DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY")
    }
    document = vcap_fixture.document(
        postgres=(HOST, port, asgi.role(site), "unused", asgi.DATABASE)
    )
    for services in document.values():
        for service in services:
            if service["name"] == vcap_fixture.POSTGRES_NAME:
                service["credentials"]["uri"] += query
    env.update(
        PYTHONPATH=str(directory),
        DJANGO_SETTINGS_MODULE="benchsite.settings",
        BENCH_SECRET_KEY=secrets.token_urlsafe(40),
        BENCH_CONFIG="cfsettings",
        VCAP_SERVICES=json.dumps(document),
        CFSETTINGS_DEFAULT_DATABASE=vcap_fixture.POSTGRES_NAME,
    )
    return env


def setup_database(directory: Path) -> None:
    """The roles (as asgi.py makes them), the table and its rows, as the ``direct`` role."""
    passwords = dict.fromkeys(SITES, "unused")  # loopback trusts them; never a real secret
    asgi.create_roles(passwords, limit=50, owner="direct")
    env = environment("direct", PORT, "", directory)
    env.update(BENCH_CONFIG="classic", BENCH_ENGINE="django.db.backends.postgresql")
    env.update(BENCH_NAME=asgi.DATABASE, BENCH_USER=asgi.role("direct"))
    env.update(BENCH_PASSWORD="unused", BENCH_PORT=str(PORT))
    seeded = subprocess.run(
        [sys.executable, "seed.py"], cwd=directory, env=env, capture_output=True
    )
    if seeded.returncode:
        sys.exit(f"could not create the table:\n{seeded.stderr.decode()[-2000:]}")
    import psycopg

    with psycopg.connect(host=HOST, port=PORT, user="postgres", dbname=asgi.DATABASE) as c:
        c.execute(f'GRANT SELECT ON benchapp_entry TO "{asgi.role("pgbouncer")}"')


def run(args: argparse.Namespace, directory: Path) -> dict:
    setup_database(directory)
    runs: dict = {site: [] for site in SITES}
    log = directory / "gunicorn.log"
    with pgbouncer("transaction", users=(asgi.role("pgbouncer"),)) as pooler:
        envs = {
            "direct": environment("direct", PORT, "", directory),
            "pgbouncer": environment("pgbouncer", pooler.port, "?pgbouncer=true", directory),
        }
        for site in SITES:
            print(f"  {site:<10} {throughput.show_settings(directory, envs[site], FIELDS)}")
        with asgi.Watcher() as watcher, contextlib.ExitStack() as stack:
            sites = {
                name: stack.enter_context(
                    throughput.Site(
                        directory,
                        envs[name],
                        args.workers,
                        log,
                        extra=("--threads", str(args.threads)),
                    )
                )
                for name in SITES
            }
            for site in sites.values():
                throughput.wrk(site.url, args.warmup, 2, args.connections)
            for round_ in range(args.rounds):
                for name in SITES if round_ % 2 == 0 else tuple(reversed(SITES)):
                    watcher.reset(name)
                    result = throughput.wrk(sites[name].url, args.duration, 2, args.connections)
                    time.sleep(0.1)
                    result["server_connections"] = watcher.peak[name]
                    runs[name].append(result)
                print(
                    f"  round {round_ + 1}/{args.rounds}: "
                    + ", ".join(
                        f"{n} {runs[n][-1]['rps']:.0f} req/s "
                        f"({runs[n][-1]['server_connections']} server connections)"
                        for n in SITES
                    )
                )
    return runs


def summarise(runs: dict) -> None:
    print(f"\nmedians of {len(runs['direct'])} rounds")
    print(
        f"  {'':<10}{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'max server conns':>17}"
    )
    for site in SITES:
        rows = runs[site]
        print(
            f"  {site:<10}{statistics.median(r['rps'] for r in rows):8.0f} "
            f"{statistics.median(r['p50'] for r in rows):8.2f} "
            f"{statistics.median(r['p99'] for r in rows):8.2f} "
            f"{sum(r['errors'] for r in rows):7d} {max(r['server_connections'] for r in rows):17d}"
        )
    ratio = statistics.median(
        a["rps"] / b["rps"] for a, b in zip(runs["pgbouncer"], runs["direct"], strict=True)
    )
    print(f"  pgbouncer / direct: {ratio:.2f}x requests/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load per run")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    args = parser.parse_args(argv)
    args.duration, args.warmup = max(1, round(args.duration)), max(1, round(args.warmup))
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")
    import django

    print(
        f"pgbouncer: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared; Django "
        f"{django.get_version()}, gunicorn {args.workers} workers x {args.threads} threads, "
        f"wrk -t2 -c{args.connections} -d{args.duration}s, {args.rounds} rounds"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="cfsettings-pgbouncer-") as tmp:
            directory = Path(tmp)
            throughput.write_project(directory)
            runs = run(args, directory)
    finally:
        asgi.drop_everything(SITES)
    summarise(runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
