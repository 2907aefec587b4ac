"""Build cfsettings' wheel into ``wheels/``, so that ``cf push`` works before it is on PyPI.

Run it from a checkout of the cfsettings repository, before ``cf push``:
``python3 example_project/build_cfsettings_wheel.py``. ``requirements.txt`` says
``--find-links wheels``, so the buildpack installs cfsettings from the wheel uploaded with the
app and everything else from the package index. It needs nothing but Python 3 and pip (which
fetches the build backend); an older cfsettings wheel in ``wheels/`` is replaced.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WHEELS = HERE / "wheels"


def main() -> Path:
    if not (REPO / "setup.cfg").is_file():
        sys.exit(f"{REPO} is not a cfsettings checkout: no setup.cfg there")
    WHEELS.mkdir(exist_ok=True)
    for old in WHEELS.glob("cfsettings-*.whl"):
        old.unlink()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", WHEELS, REPO],
        check=True,
    )
    (wheel,) = WHEELS.glob("cfsettings-*.whl")
    print(f"{wheel.relative_to(HERE)}: cf push from {HERE} will install it")
    return wheel


if __name__ == "__main__":
    main()
