"""Write inline PEM material from credentials to private files.

mysqlclient, psycopg and redis-py take certificate *paths*, while brokers hand out the PEM
text itself. Each distinct PEM is written once, to a file named by its digest, readable only
by this user (0600) in a directory only this user can enter (0700).
"""

from __future__ import annotations

import os

from cfsettings.bindings.service import CERT_DIR_VARIABLE
from cfsettings.errors import improperly_configured

PEM_BEGIN = "-----BEGIN "
PEM_END = "-----END "


def is_pem(text: str) -> bool:
    return PEM_BEGIN in text and PEM_END in text


def normalise_pem(text: str) -> str:
    """Undo a common broker mistake: newlines delivered as the two characters ``\\n``."""
    if "\n" not in text.strip() and "\\n" in text:
        text = text.replace("\\n", "\n")
    return text.strip() + "\n"


def default_cert_dir() -> str:
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"cfsettings-{os.getuid()}")


def certificate_file(value: str, cert_dir: str | None = None) -> str:
    """A certificate the driver can open: a broker's absolute path as it is, PEM text written
    to a private file."""
    return value if os.path.isabs(value) else write_pem(value, cert_dir)


def write_pem(pem: str, cert_dir: str | None = None) -> str:
    """Return the path of a private file holding ``pem``, writing it only if needed."""
    import hashlib

    directory = cert_dir or default_cert_dir()
    content = normalise_pem(pem).encode()
    _ensure_private_dir(directory)
    path = os.path.join(directory, hashlib.sha256(content).hexdigest()[:32] + ".pem")
    try:
        with open(path, "rb") as existing:
            if existing.read() == content and _is_private(os.fstat(existing.fileno())):
                return path
    except OSError:
        pass  # missing, or not a readable file: (re)write it
    import tempfile

    try:
        # A unique 0600 file, renamed into place: readers never see a partial certificate,
        # and a temporary file left by a crashed process never blocks the next one.
        fd, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        raise improperly_configured(
            f"cfsettings cannot write a certificate in {directory!r} ({exc.strerror}); set "
            f"{CERT_DIR_VARIABLE} to a writable directory."
        ) from None
    return path


def _ensure_private_dir(directory: str) -> None:
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        status = os.lstat(directory)
    except OSError as exc:
        raise improperly_configured(
            f"cfsettings cannot create its certificate directory {directory!r} "
            f"({exc.strerror}); set {CERT_DIR_VARIABLE} to a writable directory."
        ) from None
    import stat

    if not stat.S_ISDIR(status.st_mode) or not _is_private(status):
        raise improperly_configured(
            f"The certificate directory {directory!r} must be a directory owned by this "
            "user with no access for others (mode 0700); it is not, so cfsettings will not "
            f"write certificates there. Set {CERT_DIR_VARIABLE} to another directory."
        )


def _is_private(status: os.stat_result) -> bool:
    return status.st_uid == os.getuid() and status.st_mode & 0o077 == 0
