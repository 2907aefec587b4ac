"""How the app is served: ASGI or not, and how many processes and threads share a binding.

Cloud Foundry does not tell: ``VCAP_APPLICATION`` holds no server, no worker count and no
instance count (``CF_INSTANCE_INDEX`` is this instance's number, not how many there are). So
the facts come from what the start command leaves behind, in this order:

- ASGI: ``databases(asgi=...)``; else ``CFSETTINGS_ASGI`` (true/false); else the process's
  own command line: started as ``uvicorn``, ``daphne``, ``granian`` or ``hypercorn``, or
  ``gunicorn`` with a uvicorn worker class (``-k``/``--worker-class``, also read from
  ``GUNICORN_CMD_ARGS``). Anything else is taken as WSGI.
- Workers per instance: ``-w``/``--workers`` on the server's command line (gunicorn,
  uvicorn, granian, hypercorn), then in ``GUNICORN_CMD_ARGS``, else ``WEB_CONCURRENCY``
  (which gunicorn and uvicorn read), else 1.
- Threads per worker: ``--threads`` the same way, else ``GUNICORN_THREADS``, else 1.
- Instances: ``CFSETTINGS_INSTANCES`` when the project sets it (``cf scale -i`` does not
  reach the app); unknown otherwise, and then arithmetic is per instance.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from cfsettings.errors import improperly_configured

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

ASGI_VARIABLE = "CFSETTINGS_ASGI"
INSTANCES_VARIABLE = "CFSETTINGS_INSTANCES"
WORKERS_VARIABLE = "WEB_CONCURRENCY"
THREADS_VARIABLE = "GUNICORN_THREADS"
GUNICORN_ARGS_VARIABLE = "GUNICORN_CMD_ARGS"

#: Programs that only serve ASGI: started as one of these, the app runs under ASGI.
ASGI_SERVERS = ("uvicorn", "daphne", "granian", "hypercorn")
SERVERS = ("gunicorn", *ASGI_SERVERS)
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class Process:
    """What the running (or to be started) web process looks like; every fact with its origin."""

    __slots__ = ("asgi", "asgi_reason", "instances", "threads", "workers")

    def __init__(
        self, asgi: bool, asgi_reason: str, workers: int, threads: int, instances: int | None
    ) -> None:
        self.asgi = asgi
        self.asgi_reason = asgi_reason
        self.workers = workers
        self.threads = threads
        self.instances = instances

    def as_data(self) -> dict[str, object]:
        return {
            "asgi": self.asgi,
            "asgi_reason": self.asgi_reason,
            "workers": self.workers,
            "threads": self.threads,
            "instances": self.instances,
        }


def read_process(
    environ: Mapping[str, str], asgi: bool | None = None, argv: Sequence[str] | None = None
) -> Process:
    """The serving facts from the argument, the environment and the command line (``argv``)."""
    argv = list(sys.argv if argv is None else argv)
    program = _program(argv)
    gunicorn_args = _gunicorn_args(environ)
    own = _options(argv[1:]) if program in SERVERS else {}  # uvicorn and granian: --workers too
    options = {**_options(gunicorn_args), **own}
    if asgi is not None:
        on, reason = asgi, f"databases(asgi={asgi})"
    elif environ.get(ASGI_VARIABLE, "").strip():
        on = _flag(environ[ASGI_VARIABLE], ASGI_VARIABLE)
        reason = f"{ASGI_VARIABLE}={environ[ASGI_VARIABLE].strip()}"
    elif program in ASGI_SERVERS:
        on, reason = True, f"the process was started by {program}"
    elif "uvicorn" in options.get("worker_class", "").lower():
        on, reason = True, f"gunicorn runs the worker class {options['worker_class']}"
    else:
        on = False
        reason = f"no ASGI server in the command line and {ASGI_VARIABLE} is not set: taken as WSGI"
    workers = _count(options.get("workers"), "--workers") or _count(
        environ.get(WORKERS_VARIABLE), WORKERS_VARIABLE
    )
    threads = _count(options.get("threads"), "--threads") or _count(
        environ.get(THREADS_VARIABLE), THREADS_VARIABLE
    )
    instances = _count(environ.get(INSTANCES_VARIABLE), INSTANCES_VARIABLE)
    return Process(on, reason, workers or 1, threads or 1, instances)


def _program(argv: list[str]) -> str:
    """``uvicorn`` for ``/app/bin/uvicorn``, and for ``python -m uvicorn`` too."""
    if not argv:
        return ""
    path = argv[0].replace("\\", "/")
    parts = [part for part in path.split("/") if part]
    if parts and parts[-1] == "__main__.py" and len(parts) > 1:
        return parts[-2].lower()
    return os.path.basename(path).lower().removesuffix(".exe")


def _gunicorn_args(environ: Mapping[str, str]) -> list[str]:
    text = environ.get(GUNICORN_ARGS_VARIABLE, "").strip()
    if not text:
        return []
    import shlex

    try:
        return shlex.split(text)
    except ValueError:
        raise improperly_configured(
            f"{GUNICORN_ARGS_VARIABLE} cannot be split into arguments (an unclosed quote)."
        ) from None


#: gunicorn's spellings of the three options that decide how many connections it opens.
OPTIONS = {
    "-w": "workers",
    "--workers": "workers",
    "--threads": "threads",
    "-k": "worker_class",
    "--worker-class": "worker_class",
}


def _options(args: Sequence[str]) -> dict[str, str]:
    """``workers``, ``threads`` and ``worker_class`` from gunicorn-style arguments."""
    found: dict[str, str] = {}
    items = iter(args)
    for arg in items:
        name, equals, value = arg.partition("=")
        if not equals and arg[:2] in ("-w", "-k") and len(arg) > 2:
            name, value = arg[:2], arg[2:]  # -w4, -kuvicorn.workers.UvicornWorker
        if name not in OPTIONS:
            continue
        if not value and not equals:
            value = next(items, "")
        found[OPTIONS[name]] = value
    return found


def _count(value: str | None, what: str) -> int | None:
    """A positive whole number, or ``None`` when not given; anything else is an error."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not text.isdigit() or int(text) < 1:
        raise improperly_configured(f"{what} must be a whole number of at least 1, not {text!r}.")
    return int(text)


def _flag(value: str, variable: str) -> bool:
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise improperly_configured(f"{variable} must be true or false, not {value.strip()!r}.")
