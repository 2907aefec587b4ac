"""EMAIL_* settings from bound SMTP relays: each binding's shape, TLS rules and bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import email_settings
from cfsettings.bindings.classify import Match
from cfsettings.bindings.smtp import Relay, read_relay
from cfsettings.bindings.sources import Service
from cfsettings.email import CONSOLE_BACKEND, SMTP_BACKEND, from_relay
from tests.fixtures import HOSTILE, HOSTILE_QUOTED, assert_no_secret, service, vcap
from tests.records import data
from tests.storage.fixtures import storage_document


def relay(credentials, *, label="user-provided", tags=("smtp",), name="mail"):
    return read_relay(Match(Service(name, label, list(tags), credentials), "smtp", "test"))


def refuse(credentials, **kwargs):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        relay(credentials, **kwargs)
    message = str(excinfo.value)
    assert message.startswith("Service 'mail' (smtp): ")
    assert_no_secret(message)
    return message.removeprefix("Service 'mail' (smtp): ")


def test_nothing_bound_is_the_console_unless_the_project_says():
    assert email_settings(environ={}, mailers=False) == {"EMAIL_BACKEND": CONSOLE_BACKEND}
    locmem = "django.core.mail.backends.locmem.EmailBackend"
    assert email_settings(environ={}, local_backend=locmem, mailers=False) == {
        "EMAIL_BACKEND": locmem
    }
    assert email_settings(environ={}, local_backend=None) == {}


def test_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("VCAP_SERVICES", "{}")
    assert email_settings(mailers=False) == {"EMAIL_BACKEND": CONSOLE_BACKEND}


def test_user_provided_relay():
    bound = vcap(storage_document("user-provided-smtp"))
    assert email_settings(environ=bound, mailers=False) == {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "guestbook@example.org",
        "EMAIL_HOST_PASSWORD": "Sm7p-r3lay-pa55",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
        "DEFAULT_FROM_EMAIL": "Guestbook <noreply@guestbook.example.org>",
        "SERVER_EMAIL": "Guestbook <noreply@guestbook.example.org>",
    }


def test_sendgrid_names_no_sender():
    bound = vcap(storage_document("sendgrid"))
    settings = email_settings(environ=bound, timeout=None, mailers=False)
    assert settings == {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": "smtp.sendgrid.net",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "apikey",
        "EMAIL_HOST_PASSWORD": "SG.exampleKEY_notreal.Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": None,
    }


def test_sendgrid_api_key_alone():
    found = relay({"api_key": "SG.key"}, label="sendgrid", tags=())
    assert (found.host, found.username, found.password) == ("smtp.sendgrid.net", "apikey", "SG.key")


@pytest.mark.parametrize(
    ("credentials", "port", "tls", "ssl"),
    [
        ({}, 587, True, False),
        ({"port": 465}, 465, False, True),
        ({"port": 25}, 25, False, False),
        ({"port": 2525, "tls": "yes"}, 2525, True, False),
        ({"ssl": True}, 465, False, True),
        ({"use_ssl": "true", "port": 1465}, 1465, False, True),
        ({"tls": False}, 587, False, False),
        ({"port": 465, "starttls": True}, 465, True, False),
        ({"uri": "smtps://h.example.com"}, 465, False, True),
        ({"uri": "smtp://h.example.com:2525?tls=true"}, 2525, True, False),
        ({"uri": "smtp://h.example.com"}, 587, True, False),
        ({"uri": "smtp://:2525"}, 2525, False, False),
    ],
)
def test_port_and_encryption(credentials, port, tls, ssl):
    found = relay({"host": "h.example.com", **credentials})
    assert (found.port, found.use_tls, found.use_ssl) == (port, tls, ssl)


def test_uri_fills_what_fields_leave_out():
    uri = f"smtp://user%40example.com:{HOSTILE_QUOTED}@relay.example.com:2587?from=a%40b.example"
    found = relay({"smtp_url": uri, "hostname": "field.example.com"})
    assert data(found) == data(
        Relay(
            service="mail",
            host="field.example.com",
            port=2587,
            username="user@example.com",
            password=HOSTILE,
            sender="a@b.example",
            server_email="a@b.example",
        )
    )
    assert_no_secret(repr(found))


def test_dashboard_link_beside_the_fields_is_not_the_relay():
    found = relay({"host": "h.example.com", "url": "https://dashboard.example.com"})
    assert found.host == "h.example.com"


def test_server_email_alone_and_no_login():
    credentials = {"host": "h", "server_email": "errors@example.com"}
    found = relay(credentials)
    assert (found.sender, found.server_email, found.username) == (None, "errors@example.com", "")
    settings = email_settings(environ=vcap(service("mail", credentials, tags=["smtp"])))
    assert settings["SERVER_EMAIL"] == "errors@example.com"
    assert "DEFAULT_FROM_EMAIL" not in settings
    assert from_relay(found)["EMAIL_HOST_USER"] == ""


# --- Django 6.1: MAILERS -----------------------------------------------------------------


def test_mailers_on_django_6_1_and_later_only():
    import django

    from cfsettings.email import mailers_supported

    assert mailers_supported() is (django.VERSION >= (6, 1))
    bound = vcap(storage_document("sendgrid"))
    assert ("MAILERS" in email_settings(environ=bound)) is mailers_supported()


def test_mailers_name_every_relay_and_one_default():
    environ = vcap(
        service("mail-a", {"host": "a.example.com", "port": 465}, tags=["smtp"]),
        storage_document("user-provided-smtp"),
        CFSETTINGS_DEFAULT_EMAIL="relay",
    )
    settings = email_settings(environ=environ, mailers=True, timeout=30)
    relay_options = {
        "host": "mail.example.org",
        "port": 587,
        "username": "guestbook@example.org",
        "password": "Sm7p-r3lay-pa55",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 30,
    }
    assert settings == {
        "MAILERS": {
            "default": {"BACKEND": SMTP_BACKEND, "OPTIONS": relay_options},
            "mail-a": {
                "BACKEND": SMTP_BACKEND,
                "OPTIONS": {
                    "host": "a.example.com",
                    "port": 465,
                    "username": "",
                    "password": "",
                    "use_tls": False,
                    "use_ssl": True,
                    "timeout": 30,
                },
            },
            "relay": {"BACKEND": SMTP_BACKEND, "OPTIONS": relay_options},
        },
        "DEFAULT_FROM_EMAIL": "Guestbook <noreply@guestbook.example.org>",
        "SERVER_EMAIL": "Guestbook <noreply@guestbook.example.org>",
    }
    assert settings["MAILERS"]["default"] is not settings["MAILERS"]["relay"]


def test_mailers_locally():
    assert email_settings(environ={}, mailers=True) == {
        "MAILERS": {"default": {"BACKEND": CONSOLE_BACKEND}}
    }
    assert email_settings(environ={}, mailers=True, local_backend=None) == {}
    assert email_settings(environ={}, mailers=False) == {"EMAIL_BACKEND": CONSOLE_BACKEND}


def test_several_relays_one_is_used_and_all_are_read():
    environ = vcap(
        service("mail-a", {"host": "a.example.com"}, tags=["smtp"]),
        service("mail-b", {"host": "b.example.com"}, tags=["smtp"]),
    )
    assert email_settings(environ=environ, mailers=False)["EMAIL_HOST"] == "a.example.com"
    assert email_settings("mail-b", environ=environ, mailers=False)["EMAIL_HOST"] == "b.example.com"
    environ["CFSETTINGS_DEFAULT_EMAIL"] = "mail-b"
    assert email_settings(environ=environ, mailers=False)["EMAIL_HOST"] == "b.example.com"
    broken = vcap(
        service("mail-a", {"host": "a.example.com"}, tags=["smtp"]),
        service("mail-b", {"port": 25}, tags=["smtp"]),
    )
    with pytest.raises(ImproperlyConfigured, match="'mail-b'"):
        email_settings(environ=broken)


@pytest.mark.parametrize(
    ("credentials", "problem"),
    [
        ({"password": HOSTILE}, "the credentials have no host"),
        ({"host": ["h"]}, "'host' must be a string"),
        ({"host": "h", "port": "smtp"}, "'port' is not a port number"),
        ({"host": "h", "username": "u"}, "the credentials have a username but no password"),
        ({"host": "h", "password": HOSTILE}, "the credentials have a password but no username"),
        ({"host": "h", "tls": True, "ssl": True}, "the credentials ask for both STARTTLS"),
        ({"host": "h", "tls": "sometimes"}, "'tls' must be true or false"),
        ({"host": "h", "from": "nobody"}, "'from' is not an e-mail address"),
        ({"host": "h", "from": "a@b\nBcc: x@y"}, "'from' is not an e-mail address"),
        ({"uri": "smtp://h?from=nobody"}, "'from' is not an e-mail address"),
        ({"uri": f"smtp://u:{HOSTILE_QUOTED}@h:99999"}, "'uri' is not a valid URI"),
        ({"uri": "smtp://h:0"}, "'uri' is not a valid URI"),
        ({"uri": f"mailto://u:{HOSTILE_QUOTED}@h"}, "'uri' has the scheme 'mailto', not smtp"),
        ({"uri": "h.example.com:25"}, "'uri' has the scheme 'h.example.com'"),
        ({"uri": "relay"}, "'uri' is not a URI (it has no scheme)"),
    ],
)
def test_bad_input_names_the_field_never_the_secret(credentials, problem):
    assert refuse(credentials).startswith(problem)
