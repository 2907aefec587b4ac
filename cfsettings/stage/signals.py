"""Turn SIGTERM and SIGINT into an exception, so every ``finally`` (lock release) runs.

Cloud Foundry stops an instance with SIGTERM; Python's default for it is to die on the spot,
skipping cleanup. Only the first signal raises: a second one while cleanup runs is ignored,
so the cleanup it would interrupt still finishes. From the command line (``linger``) the
process keeps ignoring them until it exits, so it always exits ``128 + signal``: restoring
Python's own SIGINT handler would let a second Ctrl-C end it as -2 while it closes connections.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Interrupted(BaseException):
    """A stop signal arrived. A BaseException, so ``except Exception`` in user code won't eat it."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)


@contextmanager
def signals_raise(linger: bool = False) -> Iterator[None]:
    """Within the block, the first SIGTERM/SIGINT/SIGHUP raises Interrupted; handlers restored
    after (with ``linger``, once a signal came, stop signals stay ignored instead).

    Signal handlers can only be set from the main thread; elsewhere (``call_command`` from a
    worker thread) the block runs with the handlers it has.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        if fired:
            return
        fired = True
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, signal.SIG_IGN if fired and linger else old)
