"""Run the guestbook example on this machine with one command: ``python3 example_project/run.py``.

It needs nothing but Python 3 and this repository: it makes (and owns) a virtual environment in
``example_project/.venv`` (Debian's system Python refuses ``pip install``), installs cfsettings
from this checkout with what the SQLite default needs, stages the app with ``cf_stage`` exactly as
Cloud Foundry would, and then becomes gunicorn on http://127.0.0.1:8000/ (``--port`` to change).
Ctrl-C stops it. A second run reuses the environment and starts in seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / "cfsettings-example.json"
DEV_KEY = VENV / "dev-secret-key"


def requirements() -> list[str]:
    """What to install: requirements.txt, with cfsettings from this checkout instead of PyPI.

    Only the ``redis`` extra: the database drivers of the other extras are not needed for SQLite,
    and mysqlclient would need a compiler and MySQL headers on this machine.
    """
    wanted = ["-e", f"{REPO}[redis]"]
    for line in (HERE / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        # Options (--find-links wheels) serve the buildpack's copy of cfsettings, not this one.
        if line and not line.startswith("-") and not line.lower().startswith("cfsettings"):
            wanted.append(line)
    return wanted


def stamp(wanted: list[str]) -> str:
    """Changes whenever the environment would need reinstalling."""
    packaging = b"".join((REPO / name).read_bytes() for name in ("setup.cfg", "pyproject.toml"))
    return json.dumps(
        {
            "python": sys.version,
            "requirements": wanted,
            "packaging": hashlib.sha256(packaging).hexdigest(),
        },
        sort_keys=True,
    )


def ensure_venv() -> None:
    wanted = requirements()
    expected = stamp(wanted)
    if VENV_PYTHON.exists() and STAMP.exists() and STAMP.read_text() == expected:
        print(f"Reusing {VENV.relative_to(REPO)} (already set up).", flush=True)
        return
    print(f"Setting up {VENV.relative_to(REPO)}: first run only, about a minute.", flush=True)
    try:
        venv.EnvBuilder(with_pip=True, clear=VENV.exists(), symlinks=True).create(VENV)
    except subprocess.CalledProcessError:
        sys.exit(
            "Could not create a virtual environment with pip. On Debian or Ubuntu: "
            "sudo apt install python3-venv"
        )
    pip = [str(VENV_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *wanted], check=True)
    STAMP.write_text(expected)


def development_key() -> str:
    """A random key kept in the (git-ignored) venv, so that logins survive a restart."""
    if not DEV_KEY.exists():
        fd = os.open(DEV_KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return DEV_KEY.read_text().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    if os.name != "posix":
        sys.exit("gunicorn needs a POSIX system (Linux, macOS, or WSL on Windows).")

    ensure_venv()
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = development_key()
        print(
            "Using a development SECRET_KEY kept in example_project/.venv/dev-secret-key "
            "(fine on this machine; set SECRET_KEY to use your own).",
            flush=True,
        )
    # The same staging step as the manifest's start command; collectstatic too, which the
    # buildpack does while staging on Cloud Foundry.
    subprocess.run(
        [str(VENV_PYTHON), "manage.py", "cf_stage", "--collectstatic"],
        cwd=HERE,
        env=env,
        check=True,
    )
    url = f"http://{args.host}:{args.port}/"
    print(f"\nopen {url}  (Ctrl-C stops it)\n", flush=True)
    # exec, not a child: Ctrl-C and kill reach gunicorn directly and nothing is left behind.
    os.chdir(HERE)
    os.execve(
        VENV_PYTHON,
        [str(VENV_PYTHON), "-m", "gunicorn", "mysite.wsgi", "--bind", f"{args.host}:{args.port}"],
        env,
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
    except subprocess.CalledProcessError as error:
        command = " ".join(str(part) for part in error.cmd[1:])
        sys.exit(f"run.py: `{command}` failed (exit status {error.returncode})")
