"""Binding files are regular files, opened without blocking: a FIFO never hangs settings."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.files import read_bytes
from cfsettings.bindings.k8s import SERVICE_BINDING_ROOT
from cfsettings.bindings.sources import VCAP_SERVICES_FILE_PATH, read_services
from cfsettings.explain.cfenv import read_vcap_file

ROOT = Path(__file__).resolve().parents[2]
#: Far below the guard: an open that waits for a writer takes the whole guard.
PROMPT = 2.0
GUARD = 10.0


@contextlib.contextmanager
def guarded_fifo(path: Path):
    """A FIFO with no writer; should a reader block on it, a writer appears after ``GUARD``
    seconds so the test fails (too slow) instead of hanging the suite."""
    os.mkfifo(path)
    stop = threading.Event()

    def unblock() -> None:
        if stop.wait(GUARD):
            return
        with contextlib.suppress(OSError):  # ENXIO: nobody is blocked reading, all is well
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

    guard = threading.Thread(target=unblock, daemon=True)
    guard.start()
    try:
        yield path
    finally:
        stop.set()
        guard.join()


def refused_at_once(call, *args):
    start = time.monotonic()
    with pytest.raises(ImproperlyConfigured) as caught:
        call(*args)
    assert time.monotonic() - start < PROMPT
    return str(caught.value)


def test_a_fifo_named_by_the_file_variable_is_refused_at_once(tmp_path):
    with guarded_fifo(tmp_path / "vcap") as fifo:
        message = refused_at_once(read_services, {VCAP_SERVICES_FILE_PATH: str(fifo)})
    assert message == (
        f"{VCAP_SERVICES_FILE_PATH} ({str(fifo)!r}) is not a regular file (it is a FIFO "
        "(named pipe)); cfsettings reads bindings only from regular files."
    )


def test_a_fifo_named_by_vcap_file_is_refused_at_once(tmp_path):
    with guarded_fifo(tmp_path / "vcap") as fifo:
        message = refused_at_once(read_vcap_file, str(fifo))
    assert message.startswith(f"--vcap-file {str(fifo)!r} is not a regular file (it is a FIFO")


def test_a_fifo_inside_a_binding_directory_is_refused_at_once(tmp_path):
    binding = tmp_path / "bindings" / "db"
    binding.mkdir(parents=True)
    (binding / "type").write_text("postgresql")
    with guarded_fifo(binding / "password") as _:
        message = refused_at_once(read_services, {SERVICE_BINDING_ROOT: str(binding.parent)})
    assert message.startswith(
        f"{SERVICE_BINDING_ROOT} binding 'db': the file 'password' is not a regular file "
        "(it is a FIFO"
    )


def test_python_m_cfsettings_does_not_hang_on_a_fifo(tmp_path):
    """The whole command, as an operator runs it: it ends at once with an error."""
    with guarded_fifo(tmp_path / "vcap") as fifo:
        start = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "cfsettings", "--vcap-file", str(fifo)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=GUARD * 3,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert time.monotonic() - start < GUARD
    assert result.returncode != 0
    assert "is not a regular file (it is a FIFO" in result.stdout + result.stderr


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        message = refused_at_once(read_services, {VCAP_SERVICES_FILE_PATH: str(path)})
    assert message.endswith("cannot be read: No such device or address.")


def test_a_block_device_is_refused():
    device = next((str(p) for p in Path("/dev").glob("loop[0-9]*") if p.is_block_device()), None)
    if device is None:
        pytest.skip("no loop block device here")
    message = refused_at_once(read_services, {VCAP_SERVICES_FILE_PATH: device})
    assert "is not a regular file (it is a block device)" in message


def test_a_read_error_names_the_file():
    """``/proc/self/mem`` is a regular file whose first page cannot be read (EIO)."""
    with pytest.raises(ImproperlyConfigured) as caught:
        read_bytes("/proc/self/mem", "the test file", 10)
    assert str(caught.value) == "the test file cannot be read: Input/output error."


def test_reading_is_bounded_and_complete(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * (3 * 1024 * 1024 + 5))
    assert len(read_bytes(str(path), "f", 10)) == 11
    assert len(read_bytes(str(path), "f", 10 * 1024 * 1024)) == 3 * 1024 * 1024 + 5
