"""The example as `cf push` uploads it installs before cfsettings is on PyPI.

``build_cfsettings_wheel.py`` builds the wheel into ``example_project/wheels/``; a copy of
``example_project/`` alone (no repository around it) then installs its ``requirements.txt``
into a fresh virtualenv, as the buildpack does: cfsettings from the wheel, the rest from the
package index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.servers import unavailable

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example_project"


@pytest.mark.slow
def test_a_copy_of_the_example_installs_cfsettings_from_its_wheel(tmp_path):
    built = subprocess.run(
        [sys.executable, str(EXAMPLE / "build_cfsettings_wheel.py")],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0 and "No matching distribution" in built.stderr:
        unavailable("the package index", built.stderr[-300:])  # the build backend comes from it
    assert built.returncode == 0, built.stderr
    (wheel,) = (EXAMPLE / "wheels").glob("cfsettings-*.whl")

    app = tmp_path / "app"  # the example alone, as `cf push` uploads it: .cfignore'd files out
    shutil.copytree(
        EXAMPLE, app, ignore=shutil.ignore_patterns(".venv", "db.sqlite3", "staticfiles")
    )
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, symlinks=True).create(environment)
    python = environment / "bin" / "python"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "PYTHONPATH"} and not key.startswith("PIP_FIND_LINKS")
    }
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-r",
         "requirements.txt"],
        cwd=app, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    assert f"wheels/{wheel.name}" in installed.stdout, installed.stdout[-2000:]

    # Imported from the new environment, not from this checkout; the version is the wheel's.
    shown = subprocess.run(
        [str(python), "-c", "import cfsettings, django, importlib.metadata as m; "
         "print(cfsettings.__file__, m.version('cfsettings'), django.VERSION[0])"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert Path(shown[0]).is_relative_to(environment), shown
    assert wheel.name.startswith(f"cfsettings-{shown[1]}-")
    assert int(shown[2]) >= 5
