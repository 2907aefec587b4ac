"""SIGTERM/SIGINT become an exception once, inside the block only."""

from __future__ import annotations

import signal
import threading

import pytest

from cfsettings.stage.signals import SIGNALS, Interrupted, signals_raise


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_raises_and_escapes_except_exception(signum):
    caught_by_exception = False
    with pytest.raises(Interrupted) as raised, signals_raise():
        try:
            signal.raise_signal(signum)
        except Exception:
            caught_by_exception = True
    assert not caught_by_exception
    assert raised.value.signum == signum
    assert raised.value.name == signal.Signals(signum).name


def test_a_second_signal_lets_cleanup_finish():
    cleaned_up = False
    with pytest.raises(Interrupted), signals_raise():
        try:
            signal.raise_signal(signal.SIGTERM)
        finally:
            signal.raise_signal(signal.SIGTERM)  # ignored: cleanup goes on
            cleaned_up = True
    assert cleaned_up


def test_handlers_are_restored_afterwards():
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    with signals_raise():
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]
    assert {signum: signal.getsignal(signum) for signum in before} == before


def test_outside_the_main_thread_nothing_changes():
    seen = []

    def run():
        before = signal.getsignal(signal.SIGTERM)
        with signals_raise():
            seen.append(signal.getsignal(signal.SIGTERM) is before)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [True]


def test_lingering_keeps_ignoring_stop_signals_once_one_came():
    before = {signum: signal.getsignal(signum) for signum in SIGNALS}
    try:
        with pytest.raises(Interrupted) as raised, signals_raise(linger=True):
            signal.raise_signal(signal.SIGHUP)
        assert raised.value.signum == signal.SIGHUP
        assert all(signal.getsignal(signum) == signal.SIG_IGN for signum in SIGNALS)
        signal.raise_signal(signal.SIGINT)  # ignored: the process is on its way out
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def test_lingering_without_a_signal_restores_the_handlers():
    before = {signum: signal.getsignal(signum) for signum in SIGNALS}
    with signals_raise(linger=True):
        pass
    assert {signum: signal.getsignal(signum) for signum in SIGNALS} == before
