"""Read the files bindings come in: bounded, and naming the variable that pointed there."""

from __future__ import annotations

import os

from cfsettings.bindings.document import MAX_DOCUMENT_BYTES, check_size
from cfsettings.errors import improperly_configured


def read_text_file(path: str, where: str) -> str:
    """A UTF-8 file's text (a BOM is dropped), refusing more than ``MAX_DOCUMENT_BYTES``."""
    data = read_bytes(path, where, MAX_DOCUMENT_BYTES)
    check_size(len(data), where)
    return decode(data.removeprefix(b"\xef\xbb\xbf"), where)


def read_bytes(path: str, where: str, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a file: enough to tell it is too large, never more."""
    try:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    except OSError as exc:
        raise improperly_configured(f"{where} cannot be read: {exc.strerror}.") from None


def decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise improperly_configured(f"{where} is not UTF-8 text.") from None


def listdir(path: str, where: str) -> list[str]:
    try:
        return sorted(entry.name for entry in os.scandir(path))
    except OSError as exc:
        raise improperly_configured(f"{where} cannot be read: {exc.strerror}.") from None
