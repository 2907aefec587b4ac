"""The test matrix, lint and type checks, and the package build: ``python3 -m nox`` runs it all.

* ``tests``: the whole suite, with coverage, on the newest Django and Python (6.1, 3.13).
* ``fast``: every other supported pair, without the slow, end-to-end and benchmark tests,
  which exercise processes and servers rather than Django's API (see the README's testing
  section for why this split keeps CI under 15 minutes on two cores).
* ``lint``, ``package`` (sdist and wheel, ``twine check --strict``, tests from the unpacked
  sdist), ``coverage`` (100% of cfsettings, lines and branches), ``docs`` (Sphinx, warnings
  are errors).

``python3 -m nox -s tests`` runs one session; ``python3 -m nox -s "fast(3.12-django6.0)"``
one pair (``python3 -m nox -l`` lists them). Arguments after ``--`` go to pytest.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import nox

nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = True
# uv makes the eight environments in seconds where pip takes minutes (.ci/run installs it).
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "fast", "lint", "package", "coverage", "docs"]

PYPROJECT = nox.project.load_toml("pyproject.toml")
TEST_DEPENDENCIES = nox.project.dependency_groups(PYPROJECT, "test")
DRIVERS = ".[mysql,postgres,redis,memcached,s3]"
#: Every supported Django series (tests/example reads this list).
DJANGOS = ["5.2", "6.0", "6.1"]
#: The whole suite runs on this pair; the fast subset on every other supported one.
NEWEST = ("3.13", DJANGOS[-1])
FAST = [("3.11", "5.2"), ("3.12", "6.0"), ("3.12", "6.1")]
#: What ``fast`` leaves out besides ``slow``: the example end to end, the benchmarks, and
#: cf_stage and its locks as concurrent processes (the in-process staging tests stay).
SLOW_PATHS = (
    "tests/example/*",
    "tests/bench/*",
    "tests/e2e/*",
    "tests/stage/test_cf_stage*.py",
    "tests/stage/test_locks.py",
    "tests/stage/test_pglock.py",
    "tests/storage/test_*_integration.py",
    "tests/test_connections_asgi.py",
    "tests/test_connections_pgbouncer.py",
    "tests/test_pooler.py",
)
COVERAGE_FILE = ".coverage.tests"


def install(session: nox.Session, django: str) -> None:
    # ~= pins the series (6.1 -> >=6.1.0,<6.2); a new series is added here deliberately.
    session.install(f"Django~={django}.0", "-e", DRIVERS, *TEST_DEPENDENCIES)


@nox.session(python=NEWEST[0])
def tests(session: nox.Session) -> None:
    """The whole suite on the newest pair, measuring coverage for the ``coverage`` session."""
    install(session, NEWEST[1])
    for stale in Path().glob(f"{COVERAGE_FILE}*"):  # an earlier run's data must not count
        stale.unlink()
    session.run(
        "python", "-m", "pytest", "--cov", "--cov-report=", "-p", "no:cacheprovider",
        "--durations=15", *session.posargs,
        env={"COVERAGE_FILE": COVERAGE_FILE},
    )  # fmt: skip


@nox.session
@nox.parametrize(
    ("python", "django"), FAST, ids=[f"{python}-django{django}" for python, django in FAST]
)
def fast(session: nox.Session, django: str) -> None:
    """Every test but the slow and end-to-end ones, on one more supported Django and Python."""
    install(session, django)
    ignored = [f"--ignore-glob={path}" for path in SLOW_PATHS]
    session.run(
        "python", "-m", "pytest", "-m", "not slow", *ignored, "-p", "no:cacheprovider",
        *session.posargs,
    )  # fmt: skip


@nox.session(python=NEWEST[0])
def lint(session: nox.Session) -> None:
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"), "-e", DRIVERS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "cfsettings", "tests", "bench", "noxfile.py")
    session.run("mypy")
    session.run("mypy", "--strict", "tests/typecheck")  # frozen records, typed entries


@nox.session(python=NEWEST[0])
def package(session: nox.Session) -> None:
    """Build the sdist and wheel as PyPI would get them, check them, and test the sdist."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "package"))
    dist = Path(session.create_tmp()) / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", str(dist), silent=True)
    session.run("twine", "check", "--strict", *map(str, dist.iterdir()))
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        unpacked = dist / "sdist"
        archive.extractall(unpacked, filter="data")
    if Path(".git").exists():  # not in an unpacked sdist, which has no history to compare
        tracked = subprocess.run(
            ["git", "ls-files"], capture_output=True, text=True, check=True
        ).stdout.split()
        missing = sorted(set(tracked) - members - {".gitignore", ".ci/run"})
        if missing:
            session.error(f"the sdist lacks files its tests or users need: {missing}")
    # The tests run from the unpacked sdist alone (the fast, server-free part of them).
    (root,) = unpacked.iterdir()
    (wheel,) = dist.glob("*.whl")
    session.install(f"{wheel}[mysql,postgres,redis,memcached,s3]", *TEST_DEPENDENCIES)
    session.chdir(root)
    session.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_hosts.py",
        "tests/bindings", "tests/test_public_api.py",
        env={"CI": "false"},  # no servers needed here; the other sessions require them
    )  # fmt: skip


@nox.session(python=NEWEST[0])
def coverage(session: nox.Session) -> None:
    """The whole suite must cover every line and branch of cfsettings."""
    session.install("coverage[toml]")
    data = sorted(str(path) for path in Path().glob(f"{COVERAGE_FILE}*"))  # pytest-cov combined
    if not data:
        session.error("no coverage data: run the tests session first")
    session.run("coverage", "combine", "--keep", *data)
    session.run("coverage", "report", "--fail-under=100")


@nox.session(python=NEWEST[0])
def docs(session: nox.Session) -> None:
    """The reference in docs/, built offline; a warning (a broken link or toctree) fails it."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "docs"))
    session.run(
        "sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", "docs/_build/html"
    )
