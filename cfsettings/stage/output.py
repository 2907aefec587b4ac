"""Everything ``cf_stage`` prints goes through one masker: the one explain uses.

Driver messages, migrations and tracebacks are not ours to trust: a password may come back
raw, percent-encoded, in libpq conninfo form, as the repr or JSON of a settings entry, or as
bytes. ``cfsettings.masking.Masker`` knows every spelling; this module teaches it every secret
in DATABASES, CACHES and the superuser's environment, and puts it on every output path.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Protocol

from django.core.management.base import CommandError

from cfsettings.masking import Masker

REASON_LIMIT = 300


class Output(Protocol):
    """Where step lines go: a management command's stdout, or any text stream."""

    def write(self, text: str, /) -> Any: ...

    def flush(self) -> Any: ...


def staging_masker(
    databases: Mapping[str, Any], caches: Mapping[str, Any], environ: Mapping[str, str]
) -> Masker:
    """A masker that knows every secret of DATABASES, CACHES and DJANGO_SUPERUSER_PASSWORD."""
    masker = Masker()
    masker.learn(dict(databases))
    masker.learn(dict(caches))
    for entry in databases.values():  # whatever its type, the PASSWORD is a secret
        password = entry.get("PASSWORD") if isinstance(entry, Mapping) else None
        if password:
            masker.add(str(password))
    superuser = environ.get("DJANGO_SUPERUSER_PASSWORD")
    if superuser:
        masker.add(superuser)
    return masker


def settings_masker() -> Masker:
    from django.conf import settings

    return staging_masker(
        getattr(settings, "DATABASES", {}), getattr(settings, "CACHES", {}), os.environ
    )


def reason(exc: BaseException, masker: Masker) -> str:
    """An exception as one short masked line: the type, then the first message line."""
    text = masker.scrub(str(exc)).strip()
    lines = text.splitlines()
    text = lines[0].strip() if lines else ""
    if not isinstance(exc, CommandError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 3] + "..."


class MaskedStream:
    """A text stream that masks what is written to it, then passes it on."""

    def __init__(self, stream: Any, masker: Masker) -> None:
        self._stream = stream
        self._masker = masker

    def write(self, text: str, /) -> Any:
        return self._stream.write(self._masker.scrub(text))

    def flush(self) -> Any:
        return getattr(self._stream, "flush", lambda: None)()

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> Any:  # encoding, fileno ...: as the stream has them
        return getattr(self._stream, name)


def masked(stream: Any, masker: Masker) -> MaskedStream:
    """``stream`` masked (once: a stream already masked is returned as it is)."""
    return stream if isinstance(stream, MaskedStream) else MaskedStream(stream, masker)


def mask_process_output(masker: Masker) -> None:
    """From now on, this process's ``sys.stdout``/``sys.stderr`` (a migration's ``print``) are
    masked, and so is a traceback that escapes (``--traceback``)."""
    sys.stdout = masked(sys.stdout, masker)
    sys.stderr = masked(sys.stderr, masker)

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(masker.scrub(text))
        sys.stderr.flush()

    sys.excepthook = hook
