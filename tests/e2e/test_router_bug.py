"""The bug of issue 10, reproduced: a new project with only the service settings (no
``configure()``, no HTTPS settings) cannot log in to its admin behind Cloud Foundry's router,
and says nothing about why. ``test_guestbook_browser`` is the same path with the one line.

The project is ``django-admin startproject``'s, with the lines a user of cfsettings 0.1 added
(bound database, routes as ``ALLOWED_HOSTS``, ``SECRET_KEY`` from the environment, ``DEBUG``
off), staged by ``cf_stage`` and served by gunicorn, behind the router (from 127.0.0.2, so
gunicorn does not turn ``X-Forwarded-Proto`` into HTTPS for Django as it would from loopback).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.example.test_example import (
    ADMIN_PASSWORD,
    HOSTILE_PASSWORD,
    Served,
    free_port,
    postgres_service,
    stop,
    wait_healthy,
)
from tests.servers import HOST, postgres_database_as

ROUTE = "mysite.apps.example.test"
PLAIN_SETTINGS = """
import os
from cfsettings import allowed_hosts, caches, databases

DEBUG = False
SECRET_KEY = os.environ["SECRET_KEY"]
DATABASES = databases(sqlite_path=BASE_DIR / "db.sqlite3")
CACHES = caches()
ALLOWED_HOSTS = allowed_hosts()
INSTALLED_APPS += ["cfsettings"]
# cf_stage's wait for a healthy app calls this; the project has no health check of its own.
ROOT_URLCONF = "mysite.health_urls"
"""
HEALTH_URLS = """
from django.http import HttpResponse
from django.urls import path

from mysite.urls import urlpatterns

urlpatterns = [path("healthz", lambda request: HttpResponse("ok")), *urlpatterns]
"""


@pytest.fixture(scope="module")
def route() -> str:
    return ROUTE


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("plain")
    site = tmp / "site"
    site.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VCAP_", "DJANGO_", "CFSETTINGS_", "CF_INSTANCE_"))
        and k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PORT"}
    }
    made = subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(site)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    settings = site / "mysite" / "settings.py"
    settings.write_text(settings.read_text() + PLAIN_SETTINGS)
    (site / "mysite" / "health_urls.py").write_text(HEALTH_URLS)
    port = free_port()
    with postgres_database_as(HOSTILE_PASSWORD, "e2ebug") as (database, user):
        env.update(
            {
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
                "PORT": str(port),
                "GUNICORN_CMD_ARGS": f"--bind {HOST}:{port}",
                "XDG_RUNTIME_DIR": str(tmp),
                "VCAP_APPLICATION": json.dumps(
                    {"application_name": "mysite", "application_uris": [ROUTE]}
                ),
                "VCAP_SERVICES": json.dumps(
                    {"postgres": [postgres_service(database, user, HOSTILE_PASSWORD)]}
                ),
                "CF_INSTANCE_INTERNAL_IP": "10.255.7.9",
                "SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_SUPERUSER_USERNAME": "admin",
                "DJANGO_SUPERUSER_EMAIL": "admin@example.test",
                "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
            }
        )
        log = tmp / "app.log"
        running = Served(site, port, env, log)
        with log.open("w") as out:
            process = subprocess.Popen(
                ["/bin/sh", "-c", "python manage.py cf_stage && gunicorn mysite.wsgi"],
                cwd=site,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_healthy(process, running)
            yield running
        finally:
            stop(process)


def test_admin_login_fails_csrf_and_nothing_says_why(routed, app):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = routed.driver
    driver.get(f"https://{ROUTE}/admin/login/?next=/admin/")
    assert "Log in" in driver.page_source, driver.page_source[:2000]
    driver.find_element(By.NAME, "username").send_keys("admin")
    driver.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    WebDriverWait(driver, 30).until(lambda d: "403" in d.page_source)
    assert "CSRF verification failed" in driver.page_source
    # What the user sees in `cf logs`: gunicorn's start-up, not a word about the 403.
    output = app.output()
    assert "Listening at" in output
    assert "Forbidden" not in output and "Origin checking failed" not in output
