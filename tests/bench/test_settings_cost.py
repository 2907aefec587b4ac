"""The settings-cost and throughput benchmarks still run, and cfsettings' imports stay light.

These run the scripts of ``bench/`` with tiny counts and durations: they check that the
scripts work, never how fast anything is (timings on a shared machine prove nothing).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tests import servers

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"


def run_script(name: str, *args: str, timeout: float) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VCAP_", "CFSETTINGS_"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, str(BENCH / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_settings_cost_runs():
    out = run_script(
        "settings_cost.py", "--calls", "3", "--blocks", "1", "--runs", "2", "--importtime-runs",
        "1", "--instructions", timeout=300,
    )  # fmt: skip
    # Each alternative is either compared or reported as skipped (not installed here).
    for name in ("cfenv + dj-database-url", "django-environ"):
        assert f"check: {name} builds the same" in out or f"skipped {name}:" in out
    assert "cfsettings imports Django on the happy path: False" in out
    assert "per process, fresh interpreter" in out
    assert "settings cost in a real worker (after `import django.conf`), cfsettings / " in out
    assert "-X importtime" in out
    if shutil.which("valgrind") is not None:  # Debian's valgrind; CI machines have it
        assert "instructions, cfsettings / cfenv + dj-database-url: " in out


@pytest.mark.parametrize("database", ["mariadb", "postgresql"])
def test_throughput_runs(database):
    servers.require_port(database, {"mariadb": 3306, "postgresql": 5432}[database])
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk)")
    out = run_script(
        "throughput.py", "--databases", database, "--rounds", "1", "--duration", "1",
        "--warmup", "1", "--after-kill", "3", "--pg-auth", "trust", timeout=300,
    )  # fmt: skip
    assert f"{database}: medians of 1 rounds" in out
    assert "cfsettings (health checks on):" in out
    assert "requests failed" in out


def test_happy_path_imports_stay_light():
    """What keeps a worker's cost down: in a real worker (after ``import django.conf``, which
    Django has done before it imports settings.py) building DATABASES and CACHES adds only
    cfsettings itself, ``json`` and ``dataclasses``; no driver, no dj-database-url, no more
    of Django; and of cfsettings neither ``configure()``'s module nor the readers of
    certificates, buckets and relays. Without Django loaded, cfsettings imports none of it.

    ``bench/settings_cost.py`` measures the cost; this only guards what it depends on. If it
    fails, make the new import lazy (inside the function that needs it).
    """
    code = textwrap.dedent(
        """
        import os, sys
        sys.path.insert(0, sys.argv[1])
        import vcap_fixture
        os.environ["VCAP_SERVICES"] = vcap_fixture.vcap_services()
        worker = sys.argv[2] == "worker"
        if worker:
            import django.conf
        before = set(sys.modules)
        import cfsettings
        cfsettings.databases()
        cfsettings.caches()
        added = sorted(set(sys.modules) - before)
        if worker:
            light = ("cfsettings", "json", "_json", "dataclasses")
            print(" ".join(name for name in added if not name.startswith(light)))
            # and of cfsettings, not what only other settings or certificates need
            later = ("cfsettings.appliers", "cfsettings.bindings.tls", "cfsettings.bindings.s3",
                     "cfsettings.bindings.smtp", "cfsettings.storage", "cfsettings.email",
                     "cfsettings.platform", "cfsettings.masking", "cfsettings.explain")
            inside = tuple(package + "." for package in later)
            print(" ".join(n for n in added if n in later or n.startswith(inside)))
        else:
            print(" ".join(name for name in added if name.startswith(("django", "dj_"))))
        """
    )
    # -S skips .pth files, through which a light venv finds Django: pass this one's path.
    site_dirs = [path for path in sys.path if "-packages" in path]
    paths = dict.fromkeys([str(ROOT), sysconfig.get_paths()["purelib"], *site_dirs])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VCAP_", "CFSETTINGS_"))}
    env["PYTHONPATH"] = os.pathsep.join(paths)
    for mode in ("worker", "bare"):
        # -S: this checkout's editable install would otherwise import modules at start-up.
        result = subprocess.run(
            [sys.executable, "-S", "-c", code, str(BENCH), mode],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == [], f"imported on the happy path ({mode}): {result.stdout}"
