"""Mail through the settings of a bound relay (EMAIL_*, or MAILERS on Django 6.1+), to a real SMTP
server (aiosmtpd)."""

from __future__ import annotations

import smtplib
from email import message_from_bytes
from urllib.parse import quote

import django
import pytest
from django.core.mail import mail_admins, send_mail
from django.test import override_settings

from cfsettings import email_settings
from tests.fixtures import service, vcap

SENDER = "Guestbook <noreply@guestbook.example.test>"


def cups(relay, **extra):
    """`cf cups mail -t smtp -p '{...}'` for this relay."""
    credentials = {
        "host": relay.host,
        "port": relay.port,
        "username": relay.username,
        "password": relay.password,
        **extra,
    }
    return vcap(service("mail", credentials, tags=["smtp"]))


def flags(settings):
    """(use_tls, use_ssl) of the default relay, as MAILERS (Django 6.1+) or EMAIL_* say."""
    if "MAILERS" in settings:
        options = settings["MAILERS"]["default"]["OPTIONS"]
        return options["use_tls"], options["use_ssl"]
    return settings["EMAIL_USE_TLS"], settings["EMAIL_USE_SSL"]


def send(environ, **settings):
    with override_settings(**email_settings(environ=environ), **settings):
        return send_mail("Signed", "A new entry.", None, ["owner@example.test"])


def test_starttls_with_the_bound_login_and_sender(smtp_server):
    relay = smtp_server("starttls")
    assert send(cups(relay, **{"from": SENDER, "tls": True})) == 1
    (received,) = relay.messages
    assert received.login == relay.username
    assert received.encrypted
    assert received.mail_from == "noreply@guestbook.example.test"
    assert received.rcpt_tos == ["owner@example.test"]
    message = message_from_bytes(received.content)
    assert message["From"] == SENDER
    assert message["Subject"] == "Signed"


def test_port_587_means_starttls_without_a_flag(smtp_server):
    """Submission port, no TLS flag: STARTTLS anyway (RFC 8314), which this server demands."""
    relay = smtp_server("starttls")
    settings = email_settings(environ=cups(relay, port=587))
    assert flags(settings) == (True, False)
    send(cups(relay, starttls="true"))
    assert relay.messages[0].encrypted


def test_tls_off_is_honoured_and_refused_by_a_server_that_demands_it(smtp_server):
    relay = smtp_server("starttls")
    with pytest.raises(smtplib.SMTPException):
        send(cups(relay, tls=False))
    assert relay.messages == []


def test_smtps_uri_is_implicit_tls_and_names_the_sender(smtp_server):
    relay = smtp_server("implicit")
    login = f"{quote(relay.username, safe='')}:{quote(relay.password, safe='')}"
    uri = f"smtps://{login}@{relay.host}:{relay.port}?from=alerts%40guestbook.example.test"
    environ = vcap(service("mail", {"uri": uri}, label="smtp"))
    assert send(environ) == 1
    (received,) = relay.messages
    assert (received.login, received.encrypted) == (relay.username, True)
    assert received.mail_from == "alerts@guestbook.example.test"


def test_plain_relay_and_server_email_for_admins(smtp_server):
    relay = smtp_server("plain")
    environ = cups(relay, **{"from": SENDER, "server_email": "errors@guestbook.example.test"})
    settings = email_settings(environ=environ)
    assert flags(settings) == (False, False)
    # Django 6.0 takes plain addresses, and 6.1 deprecates the (name, address) pairs.
    admins = ["ops@example.test"] if django.VERSION >= (6, 0) else [("Ops", "ops@example.test")]
    with override_settings(**settings, ADMINS=admins):
        mail_admins("Broken", "Something broke.")
    (received,) = relay.messages
    assert received.mail_from == "errors@guestbook.example.test"
    assert received.rcpt_tos == ["ops@example.test"]
    assert (received.login, received.encrypted) == (relay.username, False)


def test_a_wrong_password_is_refused_by_the_server(smtp_server):
    """The server checks the login: the tests above used the bound one for real."""
    relay = smtp_server("starttls")
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send(cups(relay, password="not-the-password", tls=True))
    assert set(relay.refused_logins) == {relay.username}  # PLAIN, then LOGIN
    assert relay.messages == []
