"""Keep ``bench/asgi.py`` and ``bench/pgbouncer.py`` working: one tiny run of each."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.pooler import find_pgbouncer
from tests.servers import POSTGRES_PORT, require_port, unavailable
from tests.stagekit import REPO


def bench(script: str, *args: str) -> str:
    require_port("PostgreSQL", POSTGRES_PORT)
    if shutil.which("wrk") is None:
        unavailable("wrk", "not installed: apt-get install wrk")
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--rounds", "1", "--duration", "1", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.slow
def test_the_asgi_benchmark_runs_and_reports_ratios():
    out = bench("asgi.py", "--connections", "8", "--limit", "10")
    assert 'cfsettings pool {"min_size": 2, "max_size": 4, "timeout": 10.0}' in out  # (10-1)/2
    assert re.search(r"cfsettings\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+\s+\d+", out)
    assert re.search(r"old\s+\d+", out)
    assert re.search(r"cfsettings / tuned: \d+\.\d\dx", out)
    assert re.search(r"old / tuned: +\d+\.\d\dx", out)
    assert re.search(r"of cfsettings \(health checks on\): 0 of 30 requests failed", out)


@pytest.mark.slow
def test_the_pgbouncer_benchmark_runs_and_reports_ratios():
    if find_pgbouncer() is None:
        unavailable("PgBouncer", "not installed: apt-get install pgbouncer")
    out = bench("pgbouncer.py", "--connections", "4")
    assert '"DISABLE_SERVER_SIDE_CURSORS": true' in out
    assert re.search(r"pgbouncer\s+\d+\s+[\d.]+\s+[\d.]+\s+0\s+\d+", out)
    assert re.search(r"pgbouncer / direct: \d+\.\d\dx requests/s", out)
