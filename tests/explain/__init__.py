"""Helpers shared by explain's tests: run it, find secrets independently, check widths."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cfsettings.explain.cli import run
from cfsettings.explain.report import WIDTH

CFENV = Path(__file__).resolve().parents[1] / "cfenv"
APPLICATION = json.dumps(
    {"application_name": "guestbook", "application_uris": ["guestbook.apps.example.com"]}
)


def secrets_in(value: Any, key: str = "") -> set[str]:
    """The secrets of a credentials structure, found independently of ``cfsettings.masking``:
    values under password/key/secret/token/cert keys, and URI passwords via ``urlsplit``."""
    found: set[str] = set()
    if isinstance(value, dict):
        for child_key, child in value.items():
            found |= secrets_in(child, child_key)
    elif isinstance(value, list):
        for item in value:
            found |= secrets_in(item, key)
    elif isinstance(value, str):
        if any(word in key.lower() for word in ("pass", "key", "secret", "token", "cert")):
            found.add(value)
        for word in value.split():
            if "://" in word:
                password = urlsplit(word.removeprefix("jdbc:")).password
                if password:
                    found |= {password, unquote(password)}
            for part in word.replace("?", "&").split("&"):
                if part.lower().startswith("password="):
                    found |= {part[9:], unquote(part[9:])}
    return {secret for secret in found if len(secret) >= 6}


def explain(environ: dict[str, str], *options: str, **kwargs: Any) -> tuple[int, str]:
    stdout = io.StringIO()
    status = run(
        {"json": "--json" in options, "vcap_file": kwargs.pop("vcap_file", None)},
        stdout,
        environ=environ,
        **kwargs,
    )
    return status, stdout.getvalue()


def assert_fits(text: str) -> None:
    """Lines fit in 80 columns, except where one unbreakable word (a host name) is longer."""
    for line in text.splitlines():
        if len(line) > WIDTH:
            words = line.split()
            assert len(words) <= 2 and len(words[-1]) > WIDTH - 30, line
