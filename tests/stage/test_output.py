"""The staging masker on every output path: streams, reasons, the process's own output."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from cfsettings.masking import MASK, Masker
from cfsettings.stage.output import MaskedStream, mask_process_output, masked

SECRET = "s3cret p@ss"


def masker() -> Masker:
    found = Masker()
    found.add(SECRET)
    return found


class Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_a_masked_stream_masks_and_behaves_like_its_stream():
    terminal = Terminal()
    stream = masked(terminal, masker())
    assert masked(stream, masker()) is stream  # never wrapped twice
    stream.write(f"password {SECRET}\n")
    stream.flush()
    assert terminal.getvalue() == f"password {MASK}\n"
    assert stream.isatty() and stream.encoding == "utf-8"
    plain = MaskedStream(object(), masker())
    assert not plain.isatty() and plain.flush() is None


def test_the_process_output_and_tracebacks_are_masked(monkeypatch):
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    mask_process_output(masker())
    print("migration says", SECRET)
    try:
        raise RuntimeError(f"failed with {SECRET}")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert out.getvalue() == f"migration says {MASK}\n"
    assert "Traceback (most recent call last)" in err.getvalue()
    assert f"RuntimeError: failed with {MASK}" in err.getvalue()
    assert SECRET not in err.getvalue()


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_an_unexpected_error_becomes_one_masked_line():
    broken = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "PASSWORD": SECRET}
    databases = {"default": broken, "other": {**broken, "OPTIONS": [SECRET]}}
    with override_settings(DATABASES=databases), pytest.raises(CommandError) as raised:
        call_command("cf_stage", stdout=io.StringIO(), stderr=io.StringIO())
    assert str(raised.value).startswith("cf_stage: AttributeError: ")
    assert SECRET not in str(raised.value)
