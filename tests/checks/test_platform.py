"""cfsettings.W005: DEBUG on Cloud Foundry, and only there."""

from __future__ import annotations

import json
import warnings

import pytest
from django.core import checks
from django.test import override_settings

from cfsettings.checks import check_cfsettings

ON_CF = {"VCAP_APPLICATION": json.dumps({"application_name": "app", "application_uris": []})}
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "app"}}


def run(environ: dict[str, str], debug: bool) -> list[checks.CheckMessage]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # overriding DATABASES: on purpose
        with override_settings(DEBUG=debug, DATABASES=POSTGRES):
            return check_cfsettings(None, environ=environ)


def test_debug_on_cloud_foundry_is_a_warning():
    (message,) = run(ON_CF, debug=True)
    assert message.id == "cfsettings.W005"
    assert message.level == checks.WARNING
    assert message.msg.startswith("DEBUG is on on Cloud Foundry")
    assert "DEBUG = not cfsettings.on_cloud_foundry()" in message.hint


@pytest.mark.parametrize(("environ", "debug"), [({}, True), (ON_CF, False)])
def test_quiet_off_cloud_foundry_or_with_debug_off(environ, debug):
    assert run(environ, debug) == []


def test_the_id_is_in_the_table():
    import cfsettings.checks

    assert "cfsettings.W005    Warning  DEBUG is on on Cloud Foundry" in (
        cfsettings.checks.__doc__ or ""
    )
