"""The example project, whose settings end in ``cfsettings.configure(globals())``, in a real
browser behind a router that behaves like Cloud Foundry's.

One gunicorn (staged by the buildpack's ``collectstatic`` and the manifest's start command,
``cf_stage`` included, on a real PostgreSQL), one router, one Chromium for the whole module.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.router import ATTACKER, ROUTER_ADDRESS
from tests.example.test_example import (
    ADMIN_PASSWORD,
    HOSTILE_PASSWORD,
    ROUTE,
    Served,
    cf_environment,
    free_port,
    postgres_service,
    served,
)
from tests.servers import postgres_database_as

#: The container's address, as Cloud Foundry sets it; its health check uses it as the Host.
INTERNAL_IP = "10.255.7.9"
TIMEOUT = 30


@pytest.fixture(scope="module")
def route() -> str:
    return ROUTE


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("guestbook")
    with postgres_database_as(HOSTILE_PASSWORD, "e2e") as (database, user):
        services = {"postgres": [postgres_service(database, user, HOSTILE_PASSWORD)]}
        port = free_port()
        env = cf_environment(
            tmp,
            port,
            VCAP_SERVICES=json.dumps(services),
            CF_INSTANCE_INTERNAL_IP=INTERNAL_IP,
            WEB_CONCURRENCY="1",
        )
        with served(tmp, env, port) as running:
            yield running


def wait_for(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, TIMEOUT).until(lambda d: condition(d))
    except Exception:
        pytest.fail(f"{what}; the browser shows {driver.current_url}:\n{driver.page_source[:3000]}")


def test_admin_login_with_the_superuser_cf_stage_created(routed, app):
    from selenium.webdriver.common.by import By

    driver = routed.driver
    driver.get(f"https://{ROUTE}/admin/login/?next=/admin/")
    driver.delete_all_cookies()  # whatever another test left: log in from scratch
    driver.get(f"https://{ROUTE}/admin/login/?next=/admin/")
    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_for(driver, lambda d: d.current_url == f"https://{ROUTE}/admin/", "no admin index")
    assert "Site administration" in driver.page_source
    cookies = {cookie["name"]: cookie for cookie in driver.get_cookies()}
    assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]
    # The router sent the app its own X-Forwarded-Proto, from another address than loopback.
    assert any(r["host"] == ROUTE for r in routed.router.requests)


def test_guestbook_form_posted_from_the_page(routed, app):
    from selenium.webdriver.common.by import By

    driver = routed.driver
    message = f"signed in chromium {uuid.uuid4().hex}"
    driver.get(f"https://{ROUTE}/")
    driver.find_element(By.NAME, "name").send_keys("Grace")
    driver.find_element(By.NAME, "message").send_keys(message)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: message in d.page_source, "the entry is not on the page")
    assert driver.current_url == f"https://{ROUTE}/"
    # WhiteNoise serves the hashed stylesheet through the router.
    assert re.search(r"/static/guestbook/style\.[0-9a-f]{12}\.css", driver.page_source)


def test_forged_cross_site_post_is_refused_and_logged(routed, app):
    from selenium.webdriver.common.by import By

    driver = routed.driver
    forged = f"forged {uuid.uuid4().hex}"
    routed.router.attacker_page = (
        "<!doctype html><title>win a prize</title>"
        f'<form id="f" method="post" action="https://{ROUTE}/">'
        f'<input name="name" value="Mallory"><input name="message" value="{forged}">'
        "</form><script>document.getElementById('f').submit()</script>"
    )
    driver.get(f"https://{ATTACKER}/")
    wait_for(driver, lambda d: "403" in d.page_source, "the forged post was not refused")
    assert driver.current_url == f"https://{ROUTE}/"
    assert "CSRF verification failed" in driver.page_source
    expected = (
        f"Forbidden (Origin checking failed - https://{ATTACKER} does not match any "
        "trusted origins.): /"
    )
    assert f"WARNING django.security.csrf: {expected}" in app.output()
    driver.get(f"https://{ROUTE}/")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Guestbook"
    assert forged not in driver.page_source


def from_container(app: Served, host: str, path: str) -> tuple[int, str, str]:
    """A plain-HTTP request as Cloud Foundry's health checker makes it: no router, no
    X-Forwarded-Proto, the container's address as Host, from an address other than loopback."""
    sock = socket.create_connection(("127.0.0.1", app.port), timeout=TIMEOUT,
                                    source_address=(ROUTER_ADDRESS, 0))  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=TIMEOUT)
    connection.sock = sock
    try:
        connection.request("GET", path, headers={"Host": host, "User-Agent": "diego-healthcheck"})
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read().decode()
    finally:
        connection.close()


def test_health_check_on_the_container_address_gets_200_with_https_on(app):
    host = f"{INTERNAL_IP}:{app.port}"
    assert from_container(app, host, "/healthz") == (200, "", "ok")
    # Every HTTPS setting is on: the same request for any other page is sent to HTTPS...
    status, location, _ = from_container(app, host, "/")
    assert (status, location) == (301, f"https://{host}/")
    # ... and an address in no ALLOWED_HOSTS gets the health check answered, nothing else.
    assert from_container(app, "10.1.2.3:8080", "/healthz")[0] == 200
    assert from_container(app, "10.1.2.3:8080", "/")[0] == 400


def test_no_secret_reaches_the_apps_output(routed, app):
    """What `cf logs` shows (INFO and up, with every request's problems) never holds the key,
    the database password or the admin's password, whatever the other tests did first."""
    routed.driver.get(f"https://{ROUTE}/admin/login/")
    output = app.output()
    assert "Listening at" in output
    for secret in (app.env["SECRET_KEY"], HOSTILE_PASSWORD, ADMIN_PASSWORD):
        assert secret not in output
