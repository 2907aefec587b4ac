"""The README's one command, ``python3 example_project/run.py``, as a new user runs it.

The repository's files (tracked and new, minus ignored ones: what a clone of the commit being
tested holds) are copied to a temporary directory, and the command runs there with the
environment of a plain shell: no virtualenv, no settings, no services. It must build its own
environment, stage with ``cf_stage``, serve the page on SQLite, stop cleanly on Ctrl-C, leave
only git-ignored files behind, and start again quickly from what it built.

Installing from the package index makes the first run slow, and what it installs does not
depend on the Django of the test session, so it runs in one nox session only: the one with the
newest Django in noxfile.py. nox installs exactly the versions listed there, so the skip below
can never hold in every session.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import django
import pytest

from tests.example.test_example import Browser, free_port
from tests.servers import unavailable

REPO = Path(__file__).resolve().parents[2]
README_COMMAND = "python3 example_project/run.py"
FIRST_RUN_TIMEOUT = 600  # builds a virtual environment from the package index
LATER_RUN_TIMEOUT = 60


def nox_djangos() -> list[str]:
    found = re.search(r"^DJANGOS\s*=\s*\[(.*?)\]", (REPO / "noxfile.py").read_text(), re.M | re.S)
    assert found, "noxfile.py no longer has a DJANGOS list"
    versions = re.findall(r"[\"']([\d.]+)[\"']", found[1])
    assert versions, "noxfile.py's DJANGOS list is empty"
    return sorted(versions, key=lambda version: tuple(int(part) for part in version.split(".")))


def runs_here(django_version: str) -> bool:
    return django_version.startswith(nox_djangos()[-1] + ".")


def clean_environment(tmp_path: Path) -> dict[str, str]:
    """A new user's shell: this test run's virtualenv, settings and services are not in it."""
    dropped_prefixes = ("VCAP_", "CF_INSTANCE_", "DJANGO_", "CFSETTINGS_", "COVERAGE_", "PYTEST")
    dropped = {
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "CACHE_KEY_PREFIX",
        "PORT",
        "GUNICORN_CMD_ARGS",
        "WEB_CONCURRENCY",
    }
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(dropped_prefixes)
    }
    venv_dirs = {str(Path(sys.prefix) / "bin"), str(Path(sys.executable).parent)}
    if os.environ.get("VIRTUAL_ENV"):
        venv_dirs.add(str(Path(os.environ["VIRTUAL_ENV"]) / "bin"))
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if part and part not in venv_dirs
    )
    # gunicorn >= 25 opens a control socket there; keep it out of the real home.
    env["XDG_RUNTIME_DIR"] = str(tmp_path)
    return env


def fresh_clone(destination: Path) -> Path:
    """What `git clone` of the commit under test would give: tracked and new, non-ignored."""
    if shutil.which("git") is None:
        unavailable("git", "not installed")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        unavailable("a git checkout", listed.stderr.decode(errors="replace").strip())
    clone = destination / "clone"
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file():  # deleted but not yet committed: not in the clone either
            target = clone / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    assert (clone / "example_project" / "run.py").is_file()
    subprocess.run(["git", "init", "--quiet", str(clone)], check=True)
    return clone


def untracked(clone: Path) -> set[str]:
    """Files `git status` would show: everything not ignored (nothing is committed here)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--others", "--exclude-standard"],
        cwd=clone,
        capture_output=True,
        check=True,
    )
    return set(filter(None, listed.stdout.decode().split("\0")))


@contextmanager
def running(clone: Path, env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen]:
    """The README command in its own session, as a terminal would start it."""
    python3 = shutil.which("python3", path=env["PATH"])
    if python3 is None:
        unavailable("python3", "not on PATH")
    command = [python3, *README_COMMAND.split()[1:], "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=clone,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for_page(process: subprocess.Popen, port: int, log: Path, timeout: float) -> str:
    """The printed address answers: returns the page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"run.py exited with {process.returncode}:\n{log.read_text()}")
        if f"open http://127.0.0.1:{port}/" in log.read_text():
            try:
                page = Browser(port, host=f"127.0.0.1:{port}", scheme="http").get("/")
            except OSError:
                page = None
            if page is not None:
                assert page.status == 200, page.text[:2000]
                return page.text
        time.sleep(0.5)
    pytest.fail(f"no page on port {port} after {timeout} s:\n{log.read_text()}")


def press_ctrl_c(process: subprocess.Popen, log: Path) -> None:
    """A terminal's Ctrl-C signals the whole foreground group: all of it must end, cleanly."""
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 30 s after Ctrl-C:\n{log.read_text()}")
    assert process.returncode == 0, log.read_text()
    with pytest.raises(ProcessLookupError):  # no worker or child left behind
        os.killpg(group, 0)


@pytest.mark.slow
@pytest.mark.skipif(
    not runs_here(django.get_version()),
    reason="slow (builds its own environment, independent of this session's Django): "
    "runs in the nox session with the newest Django only",
)
def test_readme_command_serves_the_example_on_a_fresh_clone(tmp_path):
    assert README_COMMAND in (REPO / "README.rst").read_text()
    clone = fresh_clone(tmp_path)
    example = clone / "example_project"
    before = untracked(clone)
    env = clean_environment(tmp_path)

    port = free_port()
    first_log = tmp_path / "first-run.log"
    with running(clone, env, port, first_log) as process:
        page = wait_for_page(process, port, first_log, FIRST_RUN_TIMEOUT)
        assert '<strong id="database">SQLite</strong>' in page
        assert '<strong id="cache">LocMemCache</strong>' in page
        browser = Browser(port, host=f"127.0.0.1:{port}", scheme="http")
        signed = browser.post("/", {"name": "New user", "message": "first-run-entry"})
        assert signed.status == 302, signed.text[:2000]
        press_ctrl_c(process, first_log)
    output = first_log.read_text()
    assert "cf_stage:" in output  # staged by cf_stage, not by a plain migrate
    assert "development SECRET_KEY" in output
    assert (example / ".venv" / "dev-secret-key").read_text().strip() not in output

    # Everything the run created is git-ignored: the clone's `git status` stays clean.
    assert (example / "db.sqlite3").is_file()
    assert untracked(clone) == before

    # A second run reuses the environment and the SQLite file.
    second_log = tmp_path / "second-run.log"
    started = time.monotonic()
    with running(clone, env, port, second_log) as process:
        page = wait_for_page(process, port, second_log, LATER_RUN_TIMEOUT)
        assert "first-run-entry" in page
        press_ctrl_c(process, second_log)
    assert "Reusing example_project/.venv" in second_log.read_text()
    assert "Setting up" not in second_log.read_text()
    print(f"second run served the page after {time.monotonic() - started:.1f} s")
