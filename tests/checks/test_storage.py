"""W006, E005, I002: uploads on the container's disk, a bucket without its driver, a relay
without a sender."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core import checks
from django.test import override_settings

import cfsettings
from cfsettings import storages
from cfsettings.bindings.sources import VCAP_APPLICATION, VCAP_SERVICES
from cfsettings.checks import check_cfsettings
from cfsettings.checks.storage import check_storage
from tests.fixtures import HOSTILE, service, vcap
from tests.storage.fixtures import storage_document

ON_CF = {VCAP_APPLICATION: json.dumps({"application_name": "app", "application_uris": []})}
APPS = ["django.contrib.contenttypes", "django.contrib.auth", "cfsettings"]
WITH_UPLOADS = [*APPS, "tests.uploads"]
BUCKET = vcap(storage_document("csb-aws-s3-bucket"))


STORAGE_IDS = {"cfsettings.W006", "cfsettings.E005", "cfsettings.I002"}


def run(environ, **settings):
    """The storage checks as ``manage.py check`` runs them: through the one registered entry
    point, which resolves once and masks."""
    with override_settings(**settings):
        return [m for m in check_cfsettings(None, environ=environ) if m.id in STORAGE_IDS]


def ids(messages):
    return [message.id for message in messages]


# --- W006 --------------------------------------------------------------------------------


def test_file_fields_on_the_local_disk_on_cloud_foundry_warn():
    (message,) = run(ON_CF, INSTALLED_APPS=WITH_UPLOADS)
    assert message.id == "cfsettings.W006"
    assert message.level == checks.WARNING
    assert message.msg.startswith(
        "uploads.Photo.attachment, uploads.Photo.image store uploads on the container's disk "
        "(FileSystemStorage) on Cloud Foundry"
    )
    assert 'pip install "cfsettings[s3]"' in message.hint
    assert "STORAGES = cfsettings.storages()" in message.hint


def test_a_bound_bucket_in_storages_silences_it():
    environ = {**ON_CF, **BUCKET}
    assert run(environ, INSTALLED_APPS=WITH_UPLOADS, STORAGES=storages(environ=environ)) == []


def test_only_on_cloud_foundry_and_only_with_file_fields():
    assert run({}, INSTALLED_APPS=WITH_UPLOADS) == []
    assert run(ON_CF, INSTALLED_APPS=APPS) == []


def test_the_app_configs_django_passes_are_the_ones_checked():
    from django.apps import apps

    with override_settings(INSTALLED_APPS=WITH_UPLOADS):
        auth_only = [apps.get_app_config("auth")]
        assert check_storage(auth_only, environ=ON_CF) == []
        uploads = [apps.get_app_config("uploads")]
        assert ids(check_storage(uploads, environ=ON_CF)) == ["cfsettings.W006"]


def test_a_storage_that_cannot_be_built_is_not_reported_as_local():
    broken = {"default": {"BACKEND": "no.such.Storage"}, "staticfiles": {"BACKEND": "x"}}
    assert run(ON_CF, INSTALLED_APPS=WITH_UPLOADS, STORAGES=broken) == []


# --- E005 --------------------------------------------------------------------------------


def test_a_bound_bucket_with_its_driver_installed_passes():
    assert (
        run(vcap(storage_document("csb-aws-s3-bucket"), service("db", {"uri": "mysql://h/d"})))
        == []
    )


def test_each_bound_bucket_names_the_missing_module(monkeypatch):
    """In this process, with a module name nothing provides standing in for boto3."""
    import cfsettings.checks.storage as module

    monkeypatch.setattr(module, "S3_MODULES", ("storages", "cfsettings_not_installed"))
    environ = vcap(storage_document("csb-aws-s3-bucket"), storage_document("cloudgov-s3"))
    found = run(environ)
    assert ids(found) == ["cfsettings.E005", "cfsettings.E005"]
    assert sorted(m.msg.split("'")[1] for m in found) == ["media", "uploads"]
    assert found[0].msg.endswith("but cfsettings_not_installed is not installed.")


@pytest.mark.parametrize("present", [(), ("storages",)])
def test_a_bound_bucket_without_its_driver_is_an_error(tmp_path, present):
    """A real interpreter whose path holds Django and cfsettings, and no boto3."""
    site = tmp_path / "site"
    site.mkdir()
    for module in ("django", "asgiref", "sqlparse", *present):
        (site / module).symlink_to(Path(__import__(module).__file__).parent)
    (site / "cfsettings").symlink_to(Path(cfsettings.__file__).parent)
    script = textwrap.dedent(
        """
        import json, sys
        import django
        from django.conf import settings
        settings.configure()
        django.setup()
        from cfsettings.checks.storage import check_storage
        messages = check_storage(None, environ=json.loads(sys.argv[1]))
        print(json.dumps([[m.id, m.msg, m.hint] for m in messages]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", script, json.dumps(BUCKET)],
        env={"PYTHONPATH": str(site), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    missing = "boto3 is" if present else "storages and boto3 are"
    assert json.loads(result.stdout) == [
        [
            "cfsettings.E005",
            f"Bound service 'uploads' is S3-compatible object storage, but {missing} not "
            "installed.",
            'pip install "cfsettings[s3]", and add it to requirements.txt.',
        ]
    ]


# --- I002 --------------------------------------------------------------------------------


def test_a_relay_without_a_sender_is_info():
    (message,) = run(vcap(storage_document("sendgrid")))
    assert message.id == "cfsettings.I002"
    assert message.level == checks.INFO
    assert message.msg.startswith("Bound SMTP relay 'mail' names no sender address")
    assert "DEFAULT_FROM_EMAIL" in message.hint


def test_a_sender_in_the_binding_or_in_settings_is_enough():
    assert run(vcap(storage_document("user-provided-smtp"))) == []
    assert run(vcap(storage_document("sendgrid")), DEFAULT_FROM_EMAIL="app@example.org") == []


def test_broken_bindings_are_left_to_settings_py():
    broken_relay = vcap(service("mail", {"port": 25}, tags=["smtp"]))
    ambiguous = vcap(service("both", {"host": "h"}, tags=["smtp", "s3"]))
    assert run(broken_relay) == []
    assert run(ambiguous) == []
    assert run({VCAP_SERVICES: "[]"}) == []  # unreadable: cfsettings.E003's business


def test_secrets_are_masked_even_in_a_service_name():
    """A credential repeated where the message shows it (here, absurdly, the name)."""
    environ = vcap(
        service(HOSTILE, {"host": "h", "password": HOSTILE, "username": "u"}, tags=["smtp"])
    )
    (message,) = run(environ)
    assert HOSTILE not in message.msg
    assert "********" in message.msg


def test_the_registered_entry_point_runs_the_storage_checks():
    """One registration: ``check_cfsettings`` runs storage's checks on its one resolution."""
    assert check_cfsettings in checks.registry.registry.get_checks()
    assert check_storage not in checks.registry.registry.get_checks()
    with override_settings(INSTALLED_APPS=WITH_UPLOADS):
        found = checks.run_checks(tags=["cfsettings"])
    assert "cfsettings.W006" not in ids(found)  # not on Cloud Foundry
    with override_settings(INSTALLED_APPS=WITH_UPLOADS):
        assert ids(check_storage(environ=ON_CF)) == ["cfsettings.W006"]  # alone, it resolves
