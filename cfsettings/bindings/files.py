"""Read the files bindings come in: regular files only, never blocking, bounded.

A FIFO with no writer, a device or a socket named by ``VCAP_SERVICES_FILE_PATH``,
``--vcap-file`` or an entry of a binding directory would hang settings import (and with it
``check``, explain and the app's start) or never end; they are refused at once, naming where
the path came from. The file is opened with ``O_NONBLOCK`` (an open that waits for a writer
is the hang) and checked with ``fstat`` on the open descriptor, so it cannot be swapped
between the check and the read.
"""

from __future__ import annotations

import os
import stat

from cfsettings.bindings.document import MAX_DOCUMENT_BYTES, check_size
from cfsettings.errors import improperly_configured


def read_text_file(path: str, where: str) -> str:
    """A UTF-8 file's text (a BOM is dropped), refusing more than ``MAX_DOCUMENT_BYTES``."""
    data = read_bytes(path, where, MAX_DOCUMENT_BYTES)
    check_size(len(data), where)
    return decode(data.removeprefix(b"\xef\xbb\xbf"), where)


#: ``O_NOCTTY``: a terminal device must not become this process's controlling terminal
#: before ``fstat`` refuses it.
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC

_NOT_REGULAR = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def read_bytes(path: str, where: str, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a regular file: enough to tell it is too large."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise improperly_configured(f"{where} cannot be read: {exc.strerror}.") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            what = _NOT_REGULAR.get(stat.S_IFMT(mode), "a special file")
            raise improperly_configured(
                f"{where} is not a regular file (it is {what}); cfsettings reads bindings "
                "only from regular files."
            )
        chunks: list[bytes] = []
        wanted = limit + 1
        while wanted > 0:
            chunk = os.read(descriptor, min(wanted, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise improperly_configured(f"{where} cannot be read: {exc.strerror}.") from None
    finally:
        os.close(descriptor)


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
