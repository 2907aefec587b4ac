"""The command line shared by ``python -m cfsettings`` and ``manage.py cf_settings``."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any, Protocol, TextIO

from django.core.exceptions import ImproperlyConfigured

from cfsettings.explain.cfenv import read_vcap_file
from cfsettings.explain.render import render_json, render_text
from cfsettings.explain.report import build_report
from cfsettings.masking import Masker


def add_arguments(parser: Any) -> None:
    """The options ``python -m cfsettings`` and ``manage.py cf_settings`` share."""
    parser.add_argument("--json", action="store_true", help="print JSON, for machines")
    parser.add_argument(
        "--vcap-file",
        metavar="PATH",
        help="read the bindings from PATH instead of the environment: a VCAP_SERVICES "
        "document, or what `cf env APP` prints; '-' reads standard input",
    )


class Writer(Protocol):
    """Where the report goes: a text stream, or Django's ``OutputWrapper``."""

    def write(self, text: str, /) -> Any: ...


def run(
    options: Mapping[str, Any],
    stdout: Writer,
    *,
    environ: Mapping[str, str] | None = None,
    settings: Any = None,
    stdin: TextIO | None = None,
) -> int:
    """Print the report; 0 when nothing is wrong, 1 when something is (and the report says
    what). With ``--vcap-file`` the file is the whole environment and ``settings`` is unused."""
    masker = Masker()
    vcap_file = options.get("vcap_file")
    try:
        if vcap_file:
            environ = read_vcap_file(vcap_file, stdin)
            settings, origin = None, f"--vcap-file {vcap_file!r}"
        else:
            environ = os.environ if environ is None else environ
            origin = "settings.py" if settings is not None else "the environment"
    except ImproperlyConfigured as exc:
        stdout.write(f"cfsettings: {exc}\n")  # names the file, never its content
        return 1
    report = build_report(environ, settings=settings, origin=origin, masker=masker)
    # JSON is masked value by value already (a pass over its text could turn `true` or a
    # number into invalid JSON); text also gets a last pass over the words around the values.
    stdout.write(render_json(report) if options.get("json") else masker.scrub(render_text(report)))
    return 1 if report["errors"] else 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m cfsettings",
        description="Show which bound services cfsettings recognised, why, and the "
        "DATABASES, CACHES and ALLOWED_HOSTS that result, with every secret masked.",
    )
    add_arguments(parser)
    options = parser.parse_args(argv)
    return run(vars(options), sys.stdout)
