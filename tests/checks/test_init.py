"""The checks' entry point: registered with the app, one resolution, secrets masked."""

from __future__ import annotations

from pathlib import Path

from django.core import checks

from cfsettings.bindings.sources import VCAP_APPLICATION, VCAP_SERVICES
from cfsettings.checks import IDS, TAG, check_cfsettings
from tests.checks import ids

# --- registration ------------------------------------------------------------------------------


def test_the_app_registers_the_checks():
    assert check_cfsettings in checks.registry.registry.get_checks()
    assert TAG in checks.registry.registry.tags_available()


def test_checks_read_os_environ_by_default(monkeypatch):
    monkeypatch.setenv(VCAP_SERVICES, "[]")
    monkeypatch.delenv(VCAP_APPLICATION, raising=False)
    assert ids(checks.run_checks(tags=[TAG])) == ["cfsettings.E003"]


def test_the_id_table_names_every_id_and_its_module():
    """The docstring's table and ``IDS`` agree, and each module emits only its own ids."""
    import importlib
    import re

    import cfsettings.checks as package

    documented = re.findall(r"^(cfsettings\.[EWI]\d{3}) ", package.__doc__ or "", re.M)
    assert documented == list(IDS)
    for check_id, module in IDS.items():
        source = Path(str(importlib.import_module(f"cfsettings.checks.{module}").__file__))
        assert f'"{check_id}"' in source.read_text()  # id="..." or a (level, id) pair
    for module in set(IDS.values()):
        source = Path(str(importlib.import_module(f"cfsettings.checks.{module}").__file__))
        emitted = set(re.findall(r'"(cfsettings\.[EWI]\d{3})"', source.read_text()))
        assert emitted <= {check_id for check_id, owner in IDS.items() if owner == module}
