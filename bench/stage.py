"""Benchmark ``cf_stage`` against ``check`` and ``migrate`` on one project, side by side.

    python bench/stage.py          # a Wagtail site (pip install wagtail), on PostgreSQL
    python bench/stage.py --vendor mariadb --repeat 9
    python bench/stage.py --project tests/stageproject --vendor sqlite --repeat 1 --instances 2

Two measurements, each interleaving its commands repetition by repetition (rotating their
order) so that machine noise hits them alike:

1. No-op on an up-to-date database: ``manage.py check`` (Django's start-up plus system checks:
   the floor), ``migrate --noinput`` and ``cf_stage``, median wall time of each process.
2. A fresh database: one ``migrate --noinput`` alone, against N ``cf_stage`` started at once
   (wall time until the last one exits).

The project's own settings are used, with DATABASES replaced from the environment (the
benchmark writes a settings shim in a temporary directory) and ``cfsettings`` installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SHIM = """import json
import os

from {settings} import *  # noqa: F403

DATABASES = json.loads(os.environ["STAGE_DATABASES"])
if "cfsettings" not in INSTALLED_APPS:  # noqa: F405
    INSTALLED_APPS = [*INSTALLED_APPS, "cfsettings"]  # noqa: F405
"""


def build_wagtail(workdir: Path) -> tuple[Path, str]:
    """A site from Wagtail's own project template (never committed: made per run)."""
    project = workdir / "wagtailsite"
    project.mkdir()
    subprocess.run(
        [sys.executable, "-m", "wagtail.bin.wagtail", "start", "mysite", str(project)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return project, "mysite.settings.dev"


def settings_of(project: Path) -> str:
    """The settings module the project's manage.py names."""
    source = (project / "manage.py").read_text()
    found = re.search(r"DJANGO_SETTINGS_MODULE[\"'],\s*[\"']([\w.]+)[\"']", source)
    if not found:
        raise SystemExit(f"bench: no DJANGO_SETTINGS_MODULE in {project / 'manage.py'}")
    return found[1]


class Databases:
    """Fresh, uniquely named databases of one vendor, dropped at the end."""

    def __init__(self, vendor: str, workdir: Path) -> None:
        self.vendor = vendor
        self.workdir = workdir
        self.made: list[str] = []

    def fresh(self) -> dict:
        name = f"cfbench_{uuid.uuid4().hex[:10]}"
        self.made.append(name)
        if self.vendor == "sqlite":
            return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(self.workdir / name)}
        if self.vendor == "postgres":
            self._postgres(f'CREATE DATABASE "{name}"')
            return {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": name,
                "USER": "postgres",
                "HOST": HOST,
                "PORT": "5432",
            }
        self._mariadb(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return {
            "ENGINE": "django.db.backends.mysql",
            "NAME": name,
            "USER": "root",
            "HOST": HOST,
            "PORT": "3306",
            "OPTIONS": {"charset": "utf8mb4"},
        }

    def drop_all(self) -> None:
        for name in self.made:
            if self.vendor == "postgres":
                self._postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            elif self.vendor == "mariadb":
                self._mariadb(f"DROP DATABASE IF EXISTS `{name}`")

    @staticmethod
    def _postgres(sql: str) -> None:
        import psycopg

        with psycopg.connect(host=HOST, port=5432, user="postgres", autocommit=True) as conn:
            conn.execute(sql)

    @staticmethod
    def _mariadb(sql: str) -> None:
        import MySQLdb

        conn = MySQLdb.connect(host=HOST, port=3306, user="root", passwd="")
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()


class Project:
    """Runs the project's manage.py against a given database."""

    def __init__(self, path: Path, settings: str, workdir: Path) -> None:
        self.path = path
        (workdir / "cfbench_settings.py").write_text(SHIM.format(settings=settings))
        # Bytecode is cached as in a real deployment: a warm-up run writes it, timed runs use it.
        self.base_env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_SUPERUSER_", "STAGE_"))
            and key != "PYTHONDONTWRITEBYTECODE"
        }
        self.base_env.update(
            DJANGO_SETTINGS_MODULE="cfbench_settings",
            PYTHONPATH=os.pathsep.join([str(workdir), str(path), str(REPO)]),
        )

    def start(self, database: dict, *args: str) -> subprocess.Popen:
        env = {**self.base_env, "STAGE_DATABASES": json.dumps({"default": database})}
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=self.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, database: dict, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        process = self.start(database, *args)
        out, err = process.communicate()
        if process.returncode not in ok:
            raise SystemExit(f"bench: manage.py {' '.join(args)} failed:\n{out}{err}")
        return out

    def timed(self, database: dict, *args: str, instances: int = 1) -> float:
        """Wall time until all ``instances`` processes, started together, have exited."""
        return self.measured(database, *args, instances=instances)[0]

    def measured(self, database: dict, *args: str, instances: int = 1) -> tuple[float, float]:
        """Wall time, and the processes' CPU time (user + system), for ``instances`` at once.

        CPU time is what a process costs whatever else the machine is doing; wall time is
        what a deployment waits for.
        """
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        processes = [self.start(database, *args) for _ in range(instances)]
        outputs = [process.communicate() for process in processes]
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        for process, (out, err) in zip(processes, outputs, strict=True):
            if process.returncode != 0:
                raise SystemExit(f"bench: manage.py {' '.join(args)} failed:\n{out}{err}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return elapsed, cpu


def interleaved(
    commands: dict[str, Callable[[], float]], repeat: int
) -> Iterator[tuple[str, float]]:
    """Each command once per repetition, in an order rotated every repetition."""
    names = list(commands)
    for round_ in range(repeat):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            yield name, commands[name]()


def median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a Django project dir (default: Wagtail)")
    parser.add_argument("--vendor", choices=["postgres", "mariadb", "sqlite"], default="postgres")
    parser.add_argument("--repeat", type=int, default=7, help="no-op repetitions (default 7)")
    parser.add_argument("--fresh-repeat", type=int, help="fresh-database rounds (default: 3)")
    parser.add_argument("--instances", type=int, default=8, help="cf_stage at once (default 8)")
    options = parser.parse_args(argv)
    fresh_rounds = options.fresh_repeat or min(options.repeat, 3)

    with tempfile.TemporaryDirectory(prefix="cfbench_") as temp:
        workdir = Path(temp)
        if options.project:
            path = options.project.resolve()
            project = Project(path, settings_of(path), workdir)
            label = path.name
        else:
            path, settings = build_wagtail(workdir)
            project = Project(path, settings, workdir)
            label = "Wagtail site (wagtail start)"
        databases = Databases(options.vendor, workdir)
        try:
            report(project, databases, label, options, fresh_rounds)
        finally:
            databases.drop_all()
    return 0


def report(
    project: Project, databases: Databases, label: str, options: argparse.Namespace, rounds: int
) -> None:
    import django

    database = databases.fresh()
    plan = project.run(database, "cf_stage", "--check", ok=(0, 1))
    found = re.search(r"(\d+) migrations? to apply", plan)
    count = found[1] if found else "?"
    print(
        f"cf_stage benchmark: {label}, {count} migrations, {options.vendor}, "
        f"Django {django.get_version()}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs"
    )

    # 1. No-op on an up-to-date database (one warm-up run each first: bytecode caches).
    project.run(database, "cf_stage")
    noop = project.run(database, "cf_stage")
    if "nothing to do" not in noop:
        print(f"  warning: the no-op cf_stage did not take the fast path:\n{noop}")
    commands = {
        "check": lambda: project.measured(database, "check"),
        "migrate --noinput": lambda: project.measured(database, "migrate", "--noinput"),
        "cf_stage": lambda: project.measured(database, "cf_stage"),
    }
    for command in commands.values():
        command()
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for name, (wall, cpu) in interleaved(commands, options.repeat):
        walls[name].append(wall)
        cpus[name].append(cpu)
    check, migrate, stage = (median(walls[name]) for name in commands)
    check_cpu, migrate_cpu, stage_cpu = (median(cpus[name]) for name in commands)
    print(f"no-op on an up-to-date database (median of {options.repeat}, interleaved):")
    print("                               wall      CPU")
    print(f"  manage.py check              {check:6.3f}s  {check_cpu:6.3f}s")
    print(f"  manage.py migrate --noinput  {migrate:6.3f}s  {migrate_cpu:6.3f}s")
    print(f"  manage.py cf_stage           {stage:6.3f}s  {stage_cpu:6.3f}s")
    print(
        f"  cf_stage: {stage / check:.2f}x check, {stage / migrate:.2f}x migrate (wall); "
        f"{stage_cpu / check_cpu:.2f}x check, {stage_cpu / migrate_cpu:.2f}x migrate (CPU)"
    )

    # 2. A fresh database: one migrate alone vs N cf_stage at once. N processes also pay N
    # Django start-ups, which a machine with fewer cores than N runs partly in turn: N checks at
    # once (on the up-to-date database) measure that price on this machine.
    n = options.instances
    fresh = {
        "migrate": lambda: project.timed(databases.fresh(), "migrate", "--noinput"),
        "cf_stage": lambda: project.timed(databases.fresh(), "cf_stage", instances=n),
        "check": lambda: project.timed(database, "check", instances=n),
    }
    spans: dict[str, list[float]] = {name: [] for name in fresh}
    for name, seconds in interleaved(fresh, rounds):
        spans[name].append(seconds)
    alone, together, checks = (median(spans[name]) for name in fresh)
    startups = max(checks - check, 0.0)
    print(f"fresh database (median of {rounds}, interleaved):")
    print(f"  1 x migrate --noinput        {alone:7.3f}s")
    print(f"  {n} x check at once           {checks:7.3f}s  (the price of {n} start-ups here)")
    print(
        f"  {n} x cf_stage at once        {together:7.3f}s  = {together / alone:.2f}x migrate, "
        f"{together / (alone + startups):.2f}x (migrate + {n - 1} more start-ups)"
    )


if __name__ == "__main__":
    sys.exit(main())
