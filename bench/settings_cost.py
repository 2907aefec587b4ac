"""Benchmark 1: what building DATABASES and CACHES costs, cfsettings against the alternatives.

    python bench/settings_cost.py                 # about a minute
    python bench/settings_cost.py --runs 5 --calls 20 --importtime-runs 1   # smoke

Three ways to turn the same realistic ``VCAP_SERVICES`` (``vcap_fixture.py``: 13 services,
two databases, Redis, Memcached) into the same ``DATABASES`` and ``CACHES``:

- ``cfsettings``: ``databases()`` and ``caches()``;
- ``cfenv + dj-database-url``: the usual hand-written glue;
- ``django-environ``: ``json.loads`` of ``VCAP_SERVICES`` and ``Env.db_url_config`` /
  ``Env.cache_url_config``.

Each is a settings module (the sources below). Before timing anything the script checks that
every alternative's dicts equal cfsettings' on ENGINE, NAME, USER, PASSWORD, HOST, PORT and
cache BACKEND, LOCATION (and prints the check, never the values).

Per call: the module's code executed in this process, its imports already loaded, many times;
blocks of the alternatives interleaved; the median per call.

Per process: what a fresh gunicorn worker pays. The package and the settings modules are copied
to a temporary directory and byte-compiled (as ``pip install`` leaves them); each run is
``python -S -c "import settings_x"`` with ``PYTHONPATH`` naming that directory and the
interpreter's site-packages. ``-S`` because this checkout is installed in editable mode, whose
import hook runs at every start-up and imports ``re``, ``pathlib`` and ``urllib.parse`` before
anything else: that would hide their cost from every alternative. The runs of all alternatives
and of the bare ``python -S -c pass`` are interleaved, and a result is
``median(alternative) - median(bare)``, compared as a ratio. The same is repeated on top of
``import django.conf``: what a real worker has already loaded when Django imports the
settings (``typing``, ``re``, ``copy``, ``urllib.parse``...). Subtracting two medians of
whole start-ups is noisy on a busy machine, so the target is measured a third way: each fresh
worker imports ``django.conf``, then times the import of its settings module itself (CPU and
wall), and the medians of those are compared. cfsettings must cost a real worker no more than
the glue (ratio at most 1.00); the script says so in one line.
With ``--instructions``, the same in-worker import is counted in CPU instructions by
valgrind's callgrind (``PYTHONHASHSEED=0``): the same count on every run whatever else the
machine is doing, so a change can be compared where timings swing by a third.
Finally ``-X importtime`` lists what cfsettings' import costs, module by module.

An alternative whose package is not installed is skipped, and the script says so.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vcap_fixture

CFSETTINGS_SOURCE = """\
import cfsettings

DATABASES = cfsettings.databases()
CACHES = cfsettings.caches()
"""

GLUE_SOURCE = """\
import cfenv
import dj_database_url

env = cfenv.AppEnv()


def database(service):
    config = dj_database_url.parse(
        service.credentials["uri"], conn_max_age=600, conn_health_checks=True
    )
    config.get("OPTIONS", {}).pop("reconnect", None)  # Tanzu MySQL's flag, not for mysqlclient
    return config


mysql = env.get_service(label="p.mysql")
postgres = env.get_service(label="csb-aws-postgresql")
redis = env.get_service(label="p.redis")
memcached = env.get_service(name="fragments-memcached")

DATABASES = {
    "default": database(mysql),
    mysql.name: database(mysql),
    postgres.name: database(postgres),
}
redis_cache = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": f"redis://{redis.credentials['host']}:{redis.credentials['port']}/0",
    "OPTIONS": {"password": redis.credentials["password"]},
}
CACHES = {
    "default": redis_cache,
    redis.name: redis_cache,
    memcached.name: {
        "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
        "LOCATION": memcached.credentials["servers"].split(","),
    },
}
"""

ENVIRON_SOURCE = """\
import json
import os

import environ

credentials = {
    service["name"]: service["credentials"]
    for services in json.loads(os.environ["VCAP_SERVICES"]).values()
    for service in services
}


def database(name):
    config = environ.Env.db_url_config(credentials[name]["uri"])
    config.get("OPTIONS", {}).pop("reconnect", None)  # Tanzu MySQL's flag, not for mysqlclient
    config.update(CONN_MAX_AGE=600, CONN_HEALTH_CHECKS=True)
    return config


redis = credentials["cache-redis"]
redis_cache = environ.Env.cache_url_config(f"redis://{redis['host']}:{redis['port']}/0")
redis_cache["OPTIONS"] = {"password": redis["password"]}

DATABASES = {
    "default": database("guestbook-mysql"),
    "guestbook-mysql": database("guestbook-mysql"),
    "reports-postgres": database("reports-postgres"),
}
CACHES = {
    "default": redis_cache,
    "cache-redis": redis_cache,
    "fragments-memcached": environ.Env.cache_url_config(
        "pymemcache://" + credentials["fragments-memcached"]["servers"]
    ),
}
"""

#: name -> (module name, source, packages it needs)
ALTERNATIVES = {
    "cfsettings": ("settings_cfsettings", CFSETTINGS_SOURCE, ("cfsettings",)),
    "cfenv + dj-database-url": ("settings_glue", GLUE_SOURCE, ("cfenv", "dj_database_url")),
    "django-environ": ("settings_environ", ENVIRON_SOURCE, ("environ",)),
}
BASELINE = "cfsettings"
GLUE = "cfenv + dj-database-url"
#: Interpreter flags of the per-process runs; ``--site`` empties it.
FLAGS = ["-S"]
DATABASE_FIELDS = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")
CACHE_FIELDS = ("BACKEND", "LOCATION")


def available_alternatives() -> dict:
    found = {}
    for name, (module, source, packages) in ALTERNATIVES.items():
        missing = [p for p in packages if importlib.util.find_spec(p) is None]
        if missing:
            print(f"skipped {name}: {', '.join(missing)} not installed")
        else:
            found[name] = (module, source)
    if BASELINE not in found:
        sys.exit("cfsettings itself is not importable")
    return found


def resolve(source: str) -> dict:
    namespace: dict = {"__name__": "settings"}
    exec(compile(source, "<settings>", "exec"), namespace)
    return namespace


def check_equivalence(alternatives: dict) -> None:
    """Every alternative must build cfsettings' DATABASES and CACHES; show what was compared."""
    reference = resolve(alternatives[BASELINE][1])
    for name, (_, source) in alternatives.items():
        if name == BASELINE:
            continue
        result = resolve(source)
        problems = []
        compared = 0
        for setting, fields in (("DATABASES", DATABASE_FIELDS), ("CACHES", CACHE_FIELDS)):
            expected, actual = reference[setting], result[setting]
            if set(expected) != set(actual):
                problems.append(f"{setting} aliases differ")
                continue
            for alias in expected:
                for field in fields:
                    compared += 1
                    want, got = expected[alias].get(field), actual[alias].get(field)
                    if field == "PORT":
                        want, got = str(want), str(got)
                    if want != got:
                        problems.append(f"{setting}[{alias!r}][{field!r}]")  # never the values
        if problems:
            sys.exit(f"check FAILED: {name} differs from cfsettings at " + ", ".join(problems))
        print(
            f"check: {name} builds the same DATABASES ({len(reference['DATABASES'])} aliases x "
            f"{'/'.join(DATABASE_FIELDS)}) and CACHES ({len(reference['CACHES'])} aliases x "
            f"{'/'.join(CACHE_FIELDS)}) as cfsettings: {compared} fields equal"
        )


def per_call(alternatives: dict, calls: int, blocks: int) -> dict:
    codes = {name: compile(src, "<settings>", "exec") for name, (_, src) in alternatives.items()}
    for code in codes.values():  # load every import first: per call measures the resolving
        exec(code, {"__name__": "settings"})
    samples: dict = {name: [] for name in codes}
    names = list(codes)
    for block in range(blocks):
        for offset in range(len(names)):
            name = names[(block + offset) % len(names)]
            code = codes[name]
            start = time.perf_counter()
            for _ in range(calls):
                exec(code, {"__name__": "settings"})
            samples[name].append((time.perf_counter() - start) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


def prepare_directory(alternatives: dict, directory: Path) -> None:
    """cfsettings and the settings modules, byte-compiled, as a regular install leaves them."""
    import cfsettings

    package = Path(cfsettings.__file__).parent
    shutil.copytree(package, directory / "cfsettings", ignore=shutil.ignore_patterns("__pycache__"))
    for module, source in alternatives.values():
        (directory / f"{module}.py").write_text(source)
    if not compileall.compile_dir(str(directory), quiet=1):
        sys.exit(f"could not byte-compile {directory}")


def child_environment(directory: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VCAP_", "DJANGO_", "DATABASE_URL", "REDIS_URL"))
        and not key.startswith("CFSETTINGS_")
    }
    paths = dict.fromkeys([str(directory), sysconfig.get_paths()["purelib"]])
    paths.update(dict.fromkeys([sysconfig.get_paths()["platlib"]]))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["VCAP_SERVICES"] = vcap_fixture.vcap_services()
    return env


def workdir(env: dict) -> str:
    """Children run in the copy's directory: ``-c`` puts the working directory first on
    ``sys.path``, and from this checkout they would import the editable cfsettings instead."""
    return env["PYTHONPATH"].split(os.pathsep)[0]


def run_child(argv: list, env: dict) -> tuple:
    """Run one fresh interpreter; its CPU time (user + system) and its wall time."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=workdir(env))
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"{argv} failed with exit code {child.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def per_process(alternatives: dict, env: dict, runs: int, prelude: str) -> dict:
    """Interleaved fresh-interpreter runs of every command and of the bare interpreter."""
    commands = {"bare": prelude.rstrip("; ") if prelude else "pass"}
    for name, (module, _) in alternatives.items():
        commands[name] = f"{prelude}import {module}"
    argvs = {name: [sys.executable, *FLAGS, "-c", code] for name, code in commands.items()}
    for argv in argvs.values():  # warm the OS caches and write any missing bytecode
        for _ in range(2):
            run_child(argv, env)
    samples: dict = {name: [] for name in argvs}
    names = list(argvs)
    for run in range(runs):
        for offset in range(len(names)):
            name = names[(run + offset) % len(names)]
            samples[name].append(run_child(argvs[name], env))
    return {"commands": commands, "samples": samples}


def report_per_process(title: str, result: dict) -> dict:
    """``median(x) - median(bare)`` for CPU and wall time, and the ratios to cfsettings."""
    samples = result["samples"]
    runs = len(samples["bare"])
    print(f"\n{title} ({runs} interleaved runs of each)")
    for name, code in result["commands"].items():
        print(f"  {name:<25} python {' '.join(FLAGS)} -c {code!r}".replace("  -c", " -c"))
    costs: dict = {}
    for metric, index in (("CPU", 0), ("wall", 1)):
        bare = statistics.median(sample[index] for sample in samples["bare"])
        costs[metric] = {
            name: statistics.median(sample[index] for sample in values) - bare
            for name, values in samples.items()
            if name != "bare"
        }
    print(f"  {'':<25} {'CPU time':>12} {'wall time':>12}   (median - median of bare)")
    for name in costs["CPU"]:
        print(
            f"  {name:<25} {costs['CPU'][name] * 1e3:9.2f} ms {costs['wall'][name] * 1e3:9.2f} ms"
        )
    for name in costs["CPU"]:
        if name == BASELINE:
            continue
        ratios = [
            f"{costs[metric][BASELINE] / costs[metric][name]:.2f}"
            if costs[metric][name] > 0 and costs[metric][BASELINE] > 0
            else "n/a (noise larger than the cost)"
            for metric in ("CPU", "wall")
        ]
        print(f"  ratio cfsettings / {name}: {' / '.join(ratios)} (CPU / wall)")
    return costs


#: What a real worker pays for its settings: Django has imported ``django.conf`` (and with it
#: ``typing``, ``re``, ``copy``, ``urllib.parse``...) before it imports settings.py. The child
#: times that import itself, so the noise of starting an interpreter is not in the figure.
WORKER_PROBE = """\
import time
import django.conf
cpu, wall = time.process_time(), time.perf_counter()
import {module}
print(time.process_time() - cpu, time.perf_counter() - wall)
"""


def in_worker(alternatives: dict, env: dict, runs: int) -> dict:
    """Interleaved fresh workers; each reports the CPU and wall time of importing its
    settings module on top of ``import django.conf``. Every round runs each alternative once,
    one after the other: ``{name: [(cpu, wall) per round]}``."""
    argvs = {
        name: [sys.executable, *FLAGS, "-c", WORKER_PROBE.format(module=module)]
        for name, (module, _) in alternatives.items()
    }
    samples: dict = {name: [] for name in argvs}

    def probe(name: str) -> tuple:
        out = subprocess.run(
            argvs[name], env=env, cwd=workdir(env), check=True, capture_output=True, text=True
        ).stdout
        cpu, wall = (float(value) for value in out.split())
        return cpu, wall

    for name in argvs:  # warm the OS caches
        probe(name)
    names = list(argvs)
    for run in range(runs):
        for offset in range(len(names)):
            name = names[(run + offset) % len(names)]
            samples[name].append(probe(name))
    return samples


def report_in_worker(samples: dict, runs: int) -> None:
    """The issue's target: cfsettings costs a real worker no more than the glue.

    Two estimates: the ratio of the medians, and the median of each round's own ratio. The
    machine's speed drifts during a run (other work on the same cores); both alternatives of
    one round ran seconds apart, so the per-round ratio cancels most of that drift."""
    costs = {
        name: tuple(statistics.median(sample[i] for sample in values) for i in (0, 1))
        for name, values in samples.items()
    }
    print(
        f"\nin a real worker: importing the settings module after `import django.conf`, "
        f"timed inside the worker ({runs} interleaved workers of each; medians)"
    )
    print(f"  {'':<25} {'CPU time':>12} {'wall time':>12}")
    for name, (cpu, wall) in costs.items():
        print(f"  {name:<25} {cpu * 1e3:9.2f} ms {wall * 1e3:9.2f} ms")
    if GLUE not in costs:
        print("\nsettings cost in a real worker: n/a (cfenv or dj-database-url is not installed)")
        return
    (cpu, wall), (glue_cpu, glue_wall) = costs[BASELINE], costs[GLUE]
    paired = [
        statistics.median(
            ours[i] / theirs[i]
            for ours, theirs in zip(samples[BASELINE], samples[GLUE], strict=True)
        )
        for i in (0, 1)
    ]
    print(f"  ratio of the medians: {cpu / glue_cpu:.2f} (CPU), {wall / glue_wall:.2f} (wall)")
    print(
        f"\nsettings cost in a real worker (after `import django.conf`), cfsettings / {GLUE}: "
        f"{paired[0]:.2f} (CPU), {paired[1]:.2f} (wall), the median of {runs} rounds' ratios; "
        "target at most 1.00"
    )


def instructions(alternatives: dict, env: dict) -> None:
    """Callgrind's instruction count of each settings import on top of ``import django.conf``
    (the difference of two runs), and the ratio to the glue."""
    if shutil.which("valgrind") is None:
        print("\ninstruction counts: skipped (valgrind is not installed)")
        return
    env = {**env, "PYTHONHASHSEED": "0"}

    def count(code: str) -> int:
        argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        argv += [sys.executable, *FLAGS, "-c", code]
        err = subprocess.run(
            argv, env=env, cwd=workdir(env), check=True, capture_output=True, text=True
        ).stderr
        found = re.search(r"Collected : (\d+)", err)
        if found is None:
            sys.exit(f"callgrind printed no count for {code!r}")
        return int(found.group(1))

    base = count("import django.conf")
    counts = {
        name: count(f"import django.conf; import {module}") - base
        for name, (module, _) in alternatives.items()
    }
    print("\ninstructions in a real worker (callgrind, after `import django.conf`)")
    for name, value in counts.items():
        print(f"  {name:<25} {value / 1e6:9.2f} M")
    if GLUE in counts:
        ratio = counts[BASELINE] / counts[GLUE]
        print(f"  instructions, cfsettings / {GLUE}: {ratio:.3f}")


def importtime(module: str, env: dict, runs: int, top: int) -> None:
    """Median self time of every module cfsettings' import adds, largest first."""
    baseline_modules: set = set()
    selfs: dict = {}
    for code, record in (("pass", False), (f"import {module}", True)):
        for _ in range(runs):
            err = subprocess.run(
                [sys.executable, *FLAGS, "-X", "importtime", "-c", code],
                env=env,
                cwd=workdir(env),
                check=True,
                capture_output=True,
                text=True,
            ).stderr
            for line in err.splitlines():
                if not line.startswith("import time:") or "self [us]" in line:
                    continue
                fields = line.replace(":", "|", 1).split("|")
                self_us, name = fields[1].strip(), fields[3].strip()
                if record:
                    selfs.setdefault(name, []).append(int(self_us))
                else:
                    baseline_modules.add(name)
    added = {
        name: statistics.median(values)
        for name, values in selfs.items()
        if name not in baseline_modules
    }
    total = sum(added.values())
    print(
        f"\n-X importtime: python {' '.join([*FLAGS, '-X importtime'])} -c 'import {module}' "
        f"({runs} runs, median self time; importtime's own overhead inflates these): "
        f"{len(added)} modules beyond a bare start, {total / 1e3:.1f} ms in all; the largest:"
    )
    for name, value in sorted(added.items(), key=lambda item: -item[1])[:top]:
        print(f"  {value / 1e3:6.2f} ms  {name}")


def django_imported(env: dict) -> bool:
    code = "import settings_cfsettings, sys; sys.exit(int('django' in sys.modules))"
    argv = [sys.executable, *FLAGS, "-c", code]
    return subprocess.run(argv, env=env, cwd=workdir(env)).returncode != 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per timed block")
    parser.add_argument("--blocks", type=int, default=7, help="timed blocks per alternative")
    parser.add_argument("--runs", type=int, default=41, help="fresh interpreters per command")
    parser.add_argument("--importtime-runs", type=int, default=5)
    parser.add_argument("--no-django-row", action="store_true", help="skip the django.conf row")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions with callgrind too"
    )
    parser.add_argument(
        "--site",
        action="store_true",
        help="per process without -S: site runs (with an editable install, its import hook too)",
    )
    args = parser.parse_args(argv)
    if args.site:
        FLAGS.clear()

    print(
        f"settings cost: {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.machine()}; VCAP_SERVICES with "
        f"{vcap_fixture.count()} services"
    )
    os.environ["VCAP_SERVICES"] = vcap_fixture.vcap_services()
    for variable in ("DATABASE_URL", "REDIS_URL", "CFSETTINGS_DEFAULT_DATABASE"):
        os.environ.pop(variable, None)
    alternatives = available_alternatives()
    check_equivalence(alternatives)

    timings = per_call(alternatives, args.calls, args.blocks)
    print(f"\nper call, in process ({args.blocks} interleaved blocks of {args.calls} calls)")
    for name, seconds in timings.items():
        ratio = seconds / timings[BASELINE]
        print(f"  {name:<25} {seconds * 1e6:8.1f} us  ({ratio:.2f}x cfsettings)")

    with tempfile.TemporaryDirectory(prefix="cfsettings-bench-") as tmp:
        directory = Path(tmp)
        prepare_directory(alternatives, directory)
        env = child_environment(directory)
        print(f"\ncfsettings imports Django on the happy path: {django_imported(env)}")
        report_per_process(
            "per process, fresh interpreter (no Django loaded)",
            per_process(alternatives, env, args.runs, ""),
        )
        if not args.no_django_row and importlib.util.find_spec("django") is not None:
            report_per_process(
                "per process, on top of `import django.conf`",
                per_process(alternatives, env, args.runs, "import django.conf; "),
            )
            report_in_worker(in_worker(alternatives, env, args.runs), args.runs)
            if args.instructions:
                instructions(alternatives, env)
        if args.importtime_runs:
            importtime("settings_cfsettings", env, args.importtime_runs, top=12)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
