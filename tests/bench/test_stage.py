"""Keep ``bench/stage.py`` working: one tiny run on the small test project and SQLite."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.stagekit import REPO


def test_the_staging_benchmark_runs_and_reports_ratios():
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "stage.py"),
            *("--project", "tests/stageproject", "--vendor", "sqlite"),
            *("--repeat", "1", "--instances", "2"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "cf_stage benchmark: stageproject, 24 migrations, sqlite" in out
    assert "warning" not in out  # the no-op run took the fast path
    assert re.search(r"manage\.py cf_stage +\d+\.\d+s +\d+\.\d+s", out)
    assert re.search(r"cf_stage: \d+\.\d\dx check, \d+\.\d\dx migrate \(wall\); ", out)
    assert re.search(r"2 x check at once +\d+\.\d+s", out)
    assert re.search(r"2 x cf_stage at once +\d+\.\d+s  = \d+\.\d\dx migrate, \d+\.\d\dx", out)
