"""Explain shows which bucket and relay became which setting, with every key masked."""

from __future__ import annotations

import io
import json

import pytest
from django.test import override_settings

from cfsettings.email import mailers_supported
from cfsettings.explain.cli import run
from cfsettings.explain.render import render_json, render_text
from cfsettings.explain.report import build_report
from cfsettings.explain.storage_email import describe_storage_email
from cfsettings.masking import MASK, Masker
from cfsettings.resolve import resolve
from tests.fixtures import HOSTILE, HOSTILE_QUOTED, assert_no_secret, service, vcap
from tests.storage.fixtures import storage_document

#: Every key and password of the fixtures below.
SECRETS = (
    "AKIAEXAMPLECSB7Q2W3E",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYcsbEXAMPLE",
    "AKIAEXAMPLEGOV4R5T6Y",
    "g0vS3cr3tKeyEXAMPLE+9x8c7v6b5n4m3/2l1k0j",
    "g0vS3cr3tKeyEXAMPLE%2B9x8c7v6b5n4m3%2F2l1k0j",
    "Sm7p-r3lay-pa55",
    "SG.exampleKEY_notreal.Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1",
)
BOUND = vcap(
    storage_document("csb-aws-s3-bucket"),
    storage_document("cloudgov-s3"),
    storage_document("user-provided-smtp"),
    storage_document("sendgrid"),
    CFSETTINGS_DEFAULT_STORAGE="uploads",
)


def outputs(environ, **kwargs):
    report = build_report(environ, **kwargs)
    return report, render_json(report), render_text(report)


def test_what_each_bucket_and_relay_became():
    report, as_json, text = outputs(BOUND)
    by_name = {entry["name"]: entry for entry in report["services"]}
    assert by_name["uploads"]["aliases"] == ["STORAGES['default']", "STORAGES['uploads']"]
    assert by_name["media"]["aliases"] == [
        "STORAGES['media']",
        "STORAGES['media/cg-archive-2f7e1d']",
        "STORAGES['media/cg-exports-9a3b5c']",
    ]
    storages_ = report["settings"]["STORAGES"]
    assert storages_["uploads"]["OPTIONS"]["access_key"] == MASK
    assert storages_["uploads"]["OPTIONS"]["secret_key"] == MASK
    assert storages_["uploads"]["OPTIONS"]["bucket_name"].startswith("csb-8c41d7e2")
    if mailers_supported():
        sendgrid = report["settings"]["EMAIL"]["MAILERS"]["default"]["OPTIONS"]
        assert (sendgrid["host"], sendgrid["password"]) == ("smtp.sendgrid.net", MASK)
    else:
        assert report["settings"]["EMAIL"]["EMAIL_HOST_PASSWORD"] == MASK
        assert report["settings"]["EMAIL"]["EMAIL_HOST"] == "smtp.sendgrid.net"
    assert report["errors"] == []
    assert "becomes STORAGES['default'] and STORAGES['uploads']" in text
    assert "STORAGES (cfsettings defaults)\n  default: same as 'uploads'" in text
    assert "EMAIL (cfsettings defaults)\n" in text
    for secret in SECRETS:
        assert secret not in as_json
        assert secret not in text
    json.loads(as_json)


def relays_become(mailers):
    found = describe_storage_email(resolve(BOUND), Masker(), mailers=mailers)
    return {name: found["services"][name]["becomes"] for name in ("mail", "relay")}, found


def test_relays_before_django_6_1_one_is_used():
    becomes, found = relays_become(False)
    assert becomes == {
        "mail": ["EMAIL_HOST and the other EMAIL_* settings"],
        "relay": [
            "nothing: Django sends through one relay, 'mail' "
            "(set CFSETTINGS_DEFAULT_EMAIL to choose)"
        ],
    }
    assert found["EMAIL"]["EMAIL_HOST_PASSWORD"] == MASK


def test_relays_on_django_6_1_are_all_mailers():
    becomes, found = relays_become(True)
    assert becomes == {
        "mail": ["MAILERS['default']", "MAILERS['mail']"],
        "relay": ["MAILERS['relay']"],
    }
    assert found["EMAIL"]["MAILERS"]["relay"]["OPTIONS"]["password"] == MASK
    assert found["EMAIL"]["MAILERS"]["default"]["OPTIONS"]["host"] == "smtp.sendgrid.net"


def test_the_chosen_relay_and_its_sender():
    environ = vcap(storage_document("user-provided-smtp"))
    report, _, text = outputs(environ)
    assert report["services"][0]["aliases"][-1] == "DEFAULT_FROM_EMAIL"
    assert "DEFAULT_FROM_EMAIL: Guestbook <noreply@guestbook.example.org>" in text
    for mailers in (True, False):
        found = describe_storage_email(resolve(environ), Masker(), mailers=mailers)
        assert found["services"]["relay"]["becomes"][-1] == "DEFAULT_FROM_EMAIL"


def test_broken_bindings_are_reported_not_raised():
    environ = vcap(
        service("files", {"region": "r", "secret_access_key": HOSTILE}, tags=["s3"]),
        service("mail", {"uri": f"smtp://u:{HOSTILE_QUOTED}@h:99999"}, tags=["smtp"]),
    )
    out = io.StringIO()
    assert run({}, out, environ=environ) == 1
    text = out.getvalue()
    assert "Service 'files' (s3): the credentials have no bucket" in text
    assert "Service 'mail' (smtp): 'uri' is not a valid URI" in text
    assert "STORAGES (cfsettings defaults)\n  not built: Service 'files'" in text
    assert_no_secret(text)
    report = build_report(environ)
    by_name = {entry["name"]: entry for entry in report["services"]}
    assert by_name["files"]["error"].startswith("Service 'files' (s3)")
    assert by_name["files"]["aliases"] == []


# A project still on the EMAIL_* settings: Django 6.1 warns that they are deprecated (the point of
# these tests is that explain shows what such a project set).
@pytest.mark.filterwarnings(r"ignore:The EMAIL_\w+ setting is deprecated")
def test_project_mailers_are_shown_instead_of_email_settings():
    from types import SimpleNamespace

    mailers = {"default": {"BACKEND": "x.Backend", "OPTIONS": {"password": "pw-abcdef"}}}
    project = SimpleNamespace(MAILERS=mailers, DEFAULT_FROM_EMAIL="a@b.example")
    found = describe_storage_email(resolve({}), Masker(), settings=project, mailers=True)
    assert found["EMAIL"] == {
        "MAILERS": {"default": {"BACKEND": "x.Backend", "OPTIONS": {"password": MASK}}},
        "DEFAULT_FROM_EMAIL": "a@b.example",
        "SERVER_EMAIL": None,
    }
    from django.conf import settings

    with override_settings(EMAIL_HOST="still.deprecated.example"):
        shown = describe_storage_email(resolve({}), Masker(), settings=settings, mailers=True)[
            "EMAIL"
        ]
    assert set(shown) == {"MAILERS", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL", "EMAIL_HOST"}
    assert shown["EMAIL_HOST"] == "still.deprecated.example"


def test_an_unknown_default_is_reported_for_both():
    environ = vcap(
        service("files", {"bucket": "b", "region": "r"}, tags=["s3"]),
        service("mail-a", {"host": "a"}, tags=["smtp"]),
        service("mail-b", {"host": "b"}, tags=["smtp"]),
        CFSETTINGS_DEFAULT_STORAGE="nope",
        CFSETTINGS_DEFAULT_EMAIL="nope",
    )
    report = build_report(environ)
    by_name = {entry["name"]: entry for entry in report["services"]}
    assert by_name["files"]["aliases"] == ["STORAGES['files']"]
    assert by_name["mail-b"]["aliases"] == (["MAILERS['mail-b']"] if mailers_supported() else [])
    assert sum("names 'nope'" in error for error in report["errors"]) == 2
    for mailers, becomes in ((True, ["MAILERS['mail-b']"]), (False, [])):  # whatever Django runs
        found = describe_storage_email(resolve(environ), Masker(), mailers=mailers)
        assert found["services"]["mail-b"]["becomes"] == becomes


def test_the_projects_email_settings_are_shown_on_either_django():
    """Before Django 6.1 every EMAIL_* setting is shown; from 6.1 MAILERS, the senders and only
    the EMAIL_* the project set (reading the others would warn)."""
    shown = describe_storage_email(resolve({}), Masker(), settings=object(), mailers=False)
    assert set(shown["EMAIL"]) >= {"EMAIL_HOST", "EMAIL_HOST_PASSWORD", "DEFAULT_FROM_EMAIL"}
    assert "MAILERS" not in shown["EMAIL"]
    shown = describe_storage_email(resolve({}), Masker(), settings=object(), mailers=True)
    assert "MAILERS" in shown["EMAIL"] and "EMAIL_HOST" not in shown["EMAIL"]


# A project still on the EMAIL_* settings: Django 6.1 warns that they are deprecated (the point of
# these tests is that explain shows what such a project set).
@pytest.mark.filterwarnings(r"ignore:The EMAIL_\w+ setting is deprecated")
def test_project_settings_are_shown_as_set():
    mine = {"default": {"BACKEND": "my.Storage"}, "staticfiles": {"BACKEND": "x.Static"}}
    with override_settings(
        STORAGES=mine, EMAIL_HOST="relay.internal", EMAIL_HOST_PASSWORD="pw-123456"
    ):
        from django.conf import settings

        report, _, text = outputs(vcap(storage_document("sendgrid")), settings=settings)
    assert report["settings"]["STORAGES"] == mine
    assert report["settings"]["EMAIL"]["EMAIL_HOST"] == "relay.internal"
    assert report["settings"]["EMAIL"]["EMAIL_HOST_PASSWORD"] == MASK
    assert "EMAIL (settings.py)" in text
    assert "pw-123456" not in text
    no_storages = build_report(vcap(storage_document("sendgrid")), settings=object())
    assert no_storages["settings"]["STORAGES"] is None
    assert "STORAGES (settings.py)\n  None" in render_text(no_storages)


def test_nothing_bound_shows_no_sections_but_keeps_the_data():
    report, _, text = outputs(vcap(service("db", {"uri": "postgres://u:p@h/d"})))
    assert "STORAGES (" not in text
    assert "EMAIL (" not in text
    assert report["settings"]["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")
    console = "django.core.mail.backends.console.EmailBackend"
    assert report["settings"]["EMAIL"] == (
        {"MAILERS": {"default": {"BACKEND": console}}}
        if mailers_supported()
        else {"EMAIL_BACKEND": console}
    )


def test_unreadable_and_ambiguous_bindings_are_left_to_the_rest_of_the_report():
    assert describe_storage_email(resolve({"VCAP_SERVICES": "[]"}), Masker())["services"] == {}
    ambiguous = vcap(service("both", {"host": "h"}, tags=["smtp", "s3"]))
    assert describe_storage_email(resolve(ambiguous), Masker())["services"] == {}
