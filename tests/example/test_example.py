"""End to end: the example project, staged and served the way Cloud Foundry runs it.

Each test copies ``example_project`` to a temporary directory, runs the buildpack's staging
step (``collectstatic``) and then the start command from ``manifest.yml``, verbatim, in a
process of its own with a Cloud Foundry environment (``VCAP_APPLICATION``, ``VCAP_SERVICES``
describing this machine's real MariaDB, PostgreSQL and Redis, ``PORT``). It talks to gunicorn
as the platform's router does (Host = the route, ``X-Forwarded-Proto: https``) and reads what
the app wrote back through a second connection to the real database and Redis. With no service
at all it runs as on a laptop; on Cloud Foundry that case must refuse to start rather than
keep data in the container.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.servers import (
    HOST,
    MARIADB_PORT,
    POSTGRES_PORT,
    REDIS_PORT,
    mariadb_database_as,
    postgres_database_as,
    require_port,
    unique_name,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example_project"
ROUTE = "guestbook.apps.example.test"
#: The app's database login (a user of its own, as a broker creates): every character that
#: breaks a naively built URL, DSN or shell line.
HOSTILE_PASSWORD = "p@ss:w/rd?#%&'\"\\ ;=+$`!"
ADMIN_PASSWORD = "Adm1n:p@ss/with spaces&'\""
START_TIMEOUT = 120


# --- the Cloud Foundry files -------------------------------------------------------------


def manifest_app() -> dict[str, object]:
    """The one application in manifest.yml: scalar fields, ``env`` and ``buildpacks``.

    A small reader for this file's plain layout (PyYAML is not a test dependency); a manifest
    it cannot read fails the tests below rather than being skipped.
    """
    app: dict[str, object] = {}
    section: str | None = None
    for raw in (EXAMPLE / "manifest.yml").read_text().splitlines():
        line = "" if raw.lstrip().startswith("#") else raw.split(" #", 1)[0].rstrip()
        stripped = line.strip()
        if not stripped or stripped in ("---", "applications:"):
            continue
        if section == "buildpacks" and stripped.startswith("- "):
            app.setdefault("buildpacks", []).append(stripped[2:].strip())  # type: ignore[union-attr]
            continue
        if section == "env" and len(line) - len(line.lstrip()) >= 4:
            key, _, value = stripped.partition(":")
            app.setdefault("env", {})[key.strip()] = value.strip().strip("\"'")  # type: ignore[index]
            continue
        key, _, value = stripped.removeprefix("- ").partition(":")
        section = None if value.strip() else key.strip()
        if value.strip():
            app[key.strip()] = value.strip().strip("\"'")
    return app


def test_cloud_foundry_files_agree_with_each_other_and_the_package():
    app = manifest_app()
    assert app["name"] == "guestbook"
    assert app["buildpacks"] == ["python_buildpack"]
    assert re.fullmatch(r"\d+M", str(app["memory"]))
    assert app["health-check-type"] == "http"
    assert str(app["health-check-http-endpoint"]).startswith("/")
    command = str(app["command"])
    assert command.startswith("python manage.py cf_stage && gunicorn mysite.wsgi")
    assert "--bind" not in command, "gunicorn must take 0.0.0.0:$PORT from the platform"

    procfile = (EXAMPLE / "Procfile").read_text().strip().splitlines()
    assert procfile == [f"web: {command}"], "Procfile and manifest start the app differently"

    # runtime.txt pins a Python line the package declares (setup.cfg's classifiers).
    runtime = (EXAMPLE / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(3\.\d+)\.(x|\d+)", runtime)
    assert match, f"runtime.txt: {runtime!r} is not the buildpack's python-3.N.x form"
    setup_cfg = (REPO / "setup.cfg").read_text()
    assert f"Programming Language :: Python :: {match[1]}" in setup_cfg

    # requirements.txt installs cfsettings with extras that exist, for every service kind the
    # README tells users to bind.
    lines = [
        line.split("#", 1)[0].strip()
        for line in (EXAMPLE / "requirements.txt").read_text().splitlines()
    ]
    (cfsettings_line,) = [line for line in lines if line.startswith("cfsettings")]
    extras = set(re.search(r"\[(.*?)\]", cfsettings_line)[1].split(","))  # type: ignore[index]
    assert {"mysql", "postgres", "redis"} <= extras
    declared = re.search(r"\[options\.extras_require\](.*?)(\n\[|\Z)", setup_cfg, re.S)[1]  # type: ignore[index]
    for extra in extras:
        assert re.search(rf"^{extra}\s*=", declared, re.M), f"setup.cfg has no extra {extra!r}"
    for needed in ("Django", "gunicorn", "whitenoise"):
        assert any(line.lower().startswith(needed.lower()) for line in lines), needed

    ignored = (EXAMPLE / ".cfignore").read_text().splitlines()
    for local_only in (".venv/", "db.sqlite3*", "staticfiles/"):
        assert local_only in ignored


# --- running the example -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def copy_example(destination: Path) -> Path:
    """The example as `cf push` would upload it, minus anything a local run left behind."""
    site = destination / "example"
    shutil.copytree(
        EXAMPLE,
        site,
        ignore=shutil.ignore_patterns(".venv", "db.sqlite3", "staticfiles", "__pycache__"),
    )
    return site


def cf_environment(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of an app container: nothing from this test run leaks in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VCAP_", "DJANGO_", "CFSETTINGS_", "CF_INSTANCE_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "CACHE_KEY_PREFIX", "PORT"}
    }
    manifest_env = manifest_app().get("env", {})
    assert isinstance(manifest_env, dict)
    env.update(manifest_env)
    env.update(
        {
            # `python` and `gunicorn` in the start command are this interpreter's.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "PORT": str(port),
            # On Cloud Foundry gunicorn binds 0.0.0.0:$PORT; a test binds loopback only.
            "GUNICORN_CMD_ARGS": f"--bind {HOST}:{port}",
            # gunicorn >= 25 opens a control socket there; one per test, not one per user.
            "XDG_RUNTIME_DIR": str(tmp_path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "VCAP_APPLICATION": json.dumps(
                {"application_name": "guestbook", "application_uris": [ROUTE], "limits": {}}
            ),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SUPERUSER_USERNAME": "admin",
            "DJANGO_SUPERUSER_EMAIL": "admin@example.test",
            "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
        }
    )
    env.update(extra)
    return env


@dataclass
class Response:
    status: int
    headers: Message
    text: str


@dataclass
class Browser:
    """A browser behind Cloud Foundry's router (HTTPS to the route, HTTP to the app), or with
    ``scheme="http"`` one talking to gunicorn directly, as on a laptop."""

    port: int
    host: str = ROUTE
    scheme: str = "https"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = {"Host": self.host, **(headers or {})}
        if self.scheme == "https":
            sent.setdefault("X-Forwarded-Proto", "https")
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = f"{self.scheme}://{self.host}"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Response(raw.status, raw.headers, text)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, form: dict[str, str]) -> Response:
        page = self.get(path)
        assert page.status == 200, page.text[:2000]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token in the form"
        return self.request("POST", path, form={"csrfmiddlewaretoken": token[1], **form})


@dataclass
class Served:
    site: Path
    port: int
    env: dict[str, str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def served(tmp_path: Path, env: dict[str, str], port: int) -> Iterator[Served]:
    """Stage like the buildpack, then run the manifest's start command until the test ends."""
    site = copy_example(tmp_path)
    log = tmp_path / "app.log"
    app = Served(site, port, env, log)
    with log.open("w") as out:
        staged = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput"],
            cwd=site,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=START_TIMEOUT,
        )
    assert staged.returncode == 0, app.output()
    with log.open("a") as out:
        process = subprocess.Popen(
            ["/bin/sh", "-c", str(manifest_app()["command"])],
            cwd=site,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(process, app)
        yield app
    finally:
        stop(process)


def wait_healthy(process: subprocess.Popen[bytes], app: Served) -> None:
    """What the platform waits for before routing: the manifest's health check passing."""
    endpoint = str(manifest_app()["health-check-http-endpoint"])
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app exited with {process.returncode}:\n{app.output()}")
        try:
            if diego_health_check(app.port, endpoint).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no healthy app after {START_TIMEOUT} s:\n{app.output()}")


def diego_health_check(port: int, endpoint: str) -> Response:
    """The request Cloud Foundry's health checker makes: to the container's IP, not a route."""
    checker = Browser(port, host=f"10.255.7.9:{port}", scheme="http")
    return checker.get(endpoint, headers={"User-Agent": "diego-healthcheck"})


def stop(process: subprocess.Popen[bytes]) -> None:
    """What `cf stop` does: SIGTERM to the container's processes, then SIGKILL."""
    with_group = os.getpgid(process.pid) if process.poll() is None else None
    if with_group is not None:
        os.killpg(with_group, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        if with_group is not None:
            os.killpg(with_group, signal.SIGKILL)
        process.wait()
        pytest.fail("the app ignored SIGTERM for 30 s")


# --- what every variant checks -----------------------------------------------------------


def hits(page: Response) -> int:
    found = re.search(r'<strong id="hits">(\d+)</strong>', page.text)
    assert found, page.text[:2000]
    return int(found[1])


def shown(page: Response, name: str) -> str:
    found = re.search(rf'<strong id="{name}">([^<]+)</strong>', page.text)
    assert found, page.text[:2000]
    return found[1]


def browser_for(app: Served) -> Browser:
    """Behind the router on Cloud Foundry; straight to gunicorn on a laptop."""
    if "VCAP_APPLICATION" in app.env:
        return Browser(app.port)
    return Browser(app.port, host="localhost", scheme="http")


def sign_guestbook(app: Served) -> tuple[str, int]:
    """Visit, sign, read back; the hit counter rises by exactly one per page view."""
    browser = browser_for(app)
    first = browser.get("/")
    assert first.status == 200, first.text[:2000]
    assert "Welcome!" in first.text, "the data migration's entry is missing"
    second = browser.get("/")
    assert hits(second) == hits(first) + 1

    token = f"e2e-{uuid.uuid4().hex}"
    posted = browser.post("/", {"name": "Ada & <Lovelace>", "message": token})
    assert posted.status == 302, posted.text[:2000]
    assert posted.headers["Location"] == "/"
    after = browser.get("/")
    assert token in after.text
    assert "Ada &amp; &lt;Lovelace&gt;" in after.text  # escaped, not injected
    # The form's GET (inside post()) and this page: two more views.
    assert hits(after) == hits(second) + 2
    return token, hits(after)


def check_admin(app: Served, token: str) -> None:
    """cf_stage made the superuser from DJANGO_SUPERUSER_*: log in and find the entry."""
    browser = browser_for(app)
    login = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": ADMIN_PASSWORD, "next": "/admin/"},
    )
    assert login.status == 302, login.text[:2000]
    assert login.headers["Location"] == "/admin/"
    listing = browser.get("/admin/guestbook/entry/")
    assert listing.status == 200
    assert token in listing.text


def check_platform_behaviour(app: Served) -> None:
    """The parts of the settings that only matter behind the router: cfsettings.configure()
    sets them on Cloud Foundry."""
    endpoint = str(manifest_app()["health-check-http-endpoint"])
    health = diego_health_check(app.port, endpoint)
    assert (health.status, health.text) == (200, "ok")
    # The same unknown Host anywhere else is refused: ALLOWED_HOSTS is in force.
    assert Browser(app.port, host="10.255.7.9:8080").get("/").status == 400

    plain = Browser(app.port).get("/", headers={"X-Forwarded-Proto": "http"})
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://{ROUTE}/"

    page = Browser(app.port).get("/")
    assert "max-age=3600" in page.headers["Strict-Transport-Security"]
    for cookie in page.headers.get_all("Set-Cookie") or []:
        assert "Secure" in cookie, cookie

    stylesheet = re.search(r'href="(/static/guestbook/style\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the stylesheet is not served under its hashed name"
    css = Browser(app.port).get(stylesheet[1], headers={"Accept-Encoding": "gzip"})
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert css.headers["Content-Encoding"] == "gzip"
    assert "immutable" in css.headers["Cache-Control"]


def check_no_secrets(app: Served, *secrets_: str) -> None:
    output = app.output()
    for secret in (app.env["SECRET_KEY"], ADMIN_PASSWORD, *secrets_):
        assert secret not in output, "a secret reached the app's log"


# --- MariaDB + Redis, PostgreSQL + Redis, nothing bound ------------------------------------


def mysql_service(database: str, user: str, password: str) -> dict[str, object]:
    """A binding shaped like the MySQL tile's (p.mysql): fields and a URI, password quoted."""
    uri = f"mysql://{user}:{quote(password, safe='')}@{HOST}:{MARIADB_PORT}/{database}"
    return {
        "name": "exampledb",
        "label": "p.mysql",
        "tags": ["mysql"],
        "credentials": {
            "hostname": HOST,
            "port": MARIADB_PORT,
            "name": database,
            "username": user,
            "password": password,
            "uri": f"{uri}?reconnect=true",
        },
    }


def postgres_service(database: str, user: str, password: str) -> dict[str, object]:
    """A binding shaped like common PostgreSQL brokers': host, db_name and a URI."""
    uri = f"postgres://{user}:{quote(password, safe='')}@{HOST}:{POSTGRES_PORT}/{database}"
    return {
        "name": "exampledb",
        "label": "postgres",
        "tags": ["postgresql", "relational"],
        "credentials": {
            "host": HOST,
            "port": POSTGRES_PORT,
            "db_name": database,
            "username": user,
            "password": password,
            "uri": uri,
        },
    }


def redis_service() -> dict[str, object]:
    return {
        "name": "cache",
        "label": "p.redis",
        "tags": ["redis", "pivotal"],
        "credentials": {"host": HOST, "port": REDIS_PORT, "password": ""},
    }


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own, so that parallel runs share one Redis safely."""
    require_port("Redis", REDIS_PORT)
    import redis

    prefix = unique_name("guestbook")
    yield prefix
    client = redis.Redis(host=HOST, port=REDIS_PORT)
    stale = list(client.scan_iter(f"{prefix}:*"))
    if stale:
        client.delete(*stale)
    client.close()


def check_redis(prefix: str, counted: int) -> None:
    """The hit counter lives in Redis, under this app's prefix, at the value the page showed."""
    import redis

    client = redis.Redis(host=HOST, port=REDIS_PORT)
    try:
        keys = {key.decode() for key in client.scan_iter(f"{prefix}:*")}
        assert f"{prefix}:1:hits" in keys, keys
        assert client.get(f"{prefix}:1:hits") == str(counted).encode()
    finally:
        client.close()


def test_mariadb_and_redis(tmp_path, redis_prefix):
    import MySQLdb

    password = HOSTILE_PASSWORD
    with mariadb_database_as(password, "guestbook") as (database, user):
        services = {
            "p.mysql": [mysql_service(database, user, password)],
            "p.redis": [redis_service()],
        }
        port = free_port()
        env = cf_environment(
            tmp_path, port, VCAP_SERVICES=json.dumps(services), CACHE_KEY_PREFIX=redis_prefix
        )
        with served(tmp_path, env, port) as app:
            page = Browser(port).get("/")
            assert (shown(page, "database"), shown(page, "cache")) == ("MariaDB", "RedisCache")
            token, counted = sign_guestbook(app)
            check_admin(app, token)

            def rows(sql: str, *args: str) -> list[tuple[object, ...]]:
                second = MySQLdb.connect(
                    host=HOST, port=MARIADB_PORT, user="root", passwd="", db=database
                )
                try:
                    cursor = second.cursor()
                    cursor.execute(sql, args)
                    return list(cursor.fetchall())
                finally:
                    second.close()

            assert rows("SELECT name FROM guestbook_entry WHERE message = %s", token) == [
                ("Ada & <Lovelace>",)
            ]
            assert rows("SELECT is_superuser FROM auth_user WHERE username = 'admin'") == [(1,)]
            check_redis(redis_prefix, counted)
        check_no_secrets(app, password, quote(password, safe=""))


def test_postgresql_and_redis(tmp_path, redis_prefix):
    import psycopg

    password = HOSTILE_PASSWORD
    with postgres_database_as(password, "guestbook") as (database, user):
        services = {
            "postgres": [postgres_service(database, user, password)],
            "p.redis": [redis_service()],
        }
        port = free_port()
        env = cf_environment(
            tmp_path, port, VCAP_SERVICES=json.dumps(services), CACHE_KEY_PREFIX=redis_prefix
        )
        with served(tmp_path, env, port) as app:
            page = Browser(port).get("/")
            assert (shown(page, "database"), shown(page, "cache")) == ("PostgreSQL", "RedisCache")
            token, counted = sign_guestbook(app)
            check_admin(app, token)
            with psycopg.connect(
                host=HOST, port=POSTGRES_PORT, user="postgres", dbname=database
            ) as second:
                found = second.execute(
                    "SELECT name FROM guestbook_entry WHERE message = %s", (token,)
                ).fetchall()
                admin = second.execute(
                    "SELECT is_superuser FROM auth_user WHERE username = 'admin'"
                ).fetchall()
            assert found == [("Ada & <Lovelace>",)]
            assert admin == [(True,)]
            check_redis(redis_prefix, counted)
            check_platform_behaviour(app)
        check_no_secrets(app, password, quote(password, safe=""))


def test_no_services_runs_on_sqlite_and_local_memory(tmp_path):
    """On a laptop (no Cloud Foundry variable) with nothing configured: the embedded defaults
    serve a working site over plain HTTP, and no platform setting is switched on."""
    port = free_port()
    env = cf_environment(
        tmp_path,
        port,
        # Local memory is per process: one worker, so that the page's counter is one counter.
        WEB_CONCURRENCY="1",
    )
    del env["VCAP_APPLICATION"]
    with served(tmp_path, env, port) as app:
        page = browser_for(app).get("/")
        assert (shown(page, "database"), shown(page, "cache")) == ("SQLite", "LocMemCache")
        assert "Strict-Transport-Security" not in page.headers
        token, _ = sign_guestbook(app)
        check_admin(app, token)
        with closing(sqlite3.connect(app.site / "db.sqlite3")) as second:
            found = second.execute(
                "SELECT name FROM guestbook_entry WHERE message = ?", (token,)
            ).fetchall()
        assert found == [("Ada & <Lovelace>",)]
    check_no_secrets(app)


def test_cloud_foundry_without_a_database_service_refuses_to_start(tmp_path):
    """SQLite inside a container loses every entry on restart: cf_stage stops on
    cfsettings.E001, saying so, before gunicorn starts (the platform then shows a crash)."""
    site = copy_example(tmp_path)
    env = cf_environment(tmp_path, free_port())
    result = subprocess.run(
        ["/bin/sh", "-c", str(manifest_app()["command"])],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "cfsettings.E001" in output, output
    assert "Listening at" not in output


# --- production settings without a server ------------------------------------------------


def manage(site: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def test_check_deploy_finds_nothing_to_fix_in_production_settings(tmp_path, site):
    """On Cloud Foundry with a database, a cache, a bucket for the attachments and a mail
    relay bound (`check` connects to none of them): what is left are the two HSTS choices
    cfsettings leaves to the site's owner (subdomains and preload outlive a mistake by far
    more than the default hour)."""
    services = {
        "postgres": [postgres_service("guestbook", "guestbook_app", HOSTILE_PASSWORD)],
        "p.redis": [redis_service()],
        "csb-aws-s3-bucket": [
            {
                "name": "attachments",
                "label": "csb-aws-s3-bucket",
                "tags": ["aws", "s3"],
                "credentials": {
                    "bucket_name": "guestbook-attachments",
                    "region": "eu-west-1",
                    "access_key_id": "AKIAEXAMPLE",
                    "secret_access_key": HOSTILE_PASSWORD,
                },
            }
        ],
        "sendgrid": [
            {
                "name": "mail",
                "label": "sendgrid",
                "tags": [],
                "credentials": {"api_key": "SG.example", "from": "noreply@example.test"},
            }
        ],
    }
    env = cf_environment(tmp_path, free_port(), VCAP_SERVICES=json.dumps(services))
    result = manage(site, env, "check", "--deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    found = set(re.findall(r"\((\w+\.[EWIC]\d+)\)", result.stdout + result.stderr))
    assert found == {"security.W005", "security.W021"}, result.stderr


def test_check_deploy_does_report_what_is_wrong(tmp_path, site):
    """The test above could pass with checks that never run; these settings must fail."""
    env = cf_environment(tmp_path, free_port(), SECRET_KEY="short", DJANGO_DEBUG="1")
    result = manage(site, env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W009" in result.stderr  # a weak SECRET_KEY
    assert "security.W018" in result.stderr  # DEBUG on


@pytest.mark.parametrize("debug", ["", "1"])
@pytest.mark.parametrize("phase", ["staging", "start"])
def test_missing_secret_key_on_cloud_foundry_is_a_clear_error(tmp_path, site, phase, debug):
    """What `cf push` without `cf set-env SECRET_KEY` shows: the buildpack's collectstatic, or
    the manifest's start command, stops on an error that says what to do (DEBUG or not)."""
    env = cf_environment(tmp_path, free_port(), DJANGO_DEBUG=debug)
    del env["SECRET_KEY"]
    if phase == "staging":
        command = [sys.executable, "manage.py", "collectstatic", "--noinput"]
    else:
        command = ["/bin/sh", "-c", str(manifest_app()["command"])]
    result = subprocess.run(
        command, cwd=site, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    expected = "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set"
    assert last_line.startswith(expected), result.stderr
    assert "cf set-env" in last_line
    assert "Listening at" not in result.stdout + result.stderr  # gunicorn never started


def test_debug_locally_works_without_a_secret_key(tmp_path, site):
    """`DJANGO_DEBUG=1 manage.py runserver` on a laptop needs no setup."""
    env = cf_environment(tmp_path, free_port(), DJANGO_DEBUG="1")
    for name in ("SECRET_KEY", "VCAP_APPLICATION"):
        del env[name]
    result = manage(site, env, "check")
    assert result.returncode == 0, result.stderr


# --- a bucket for attachments and a relay for notifications (issue 11) ----------------------


def post_multipart(app: Served, form: dict[str, str], name: str, content: bytes) -> Response:
    """Sign the guestbook with a file attached, as a browser's multipart form does."""
    browser = Browser(app.port)
    page = browser.get("/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:2000]
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in {"csrfmiddlewaretoken": token[1], **form}.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; '
        f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Host": ROUTE,
        "X-Forwarded-Proto": "https",
        "Origin": f"https://{ROUTE}",
        "Cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items()),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    connection = http.client.HTTPConnection(HOST, app.port, timeout=30)
    try:
        connection.request("POST", "/", body=b"".join(parts), headers=headers)
        raw = connection.getresponse()
        return Response(raw.status, raw.headers, raw.read().decode("utf-8", "replace"))
    finally:
        connection.close()


def test_attachment_in_the_bound_bucket_and_a_mail_through_the_bound_relay(tmp_path):
    """PostgreSQL, an S3-compatible bucket (moto) and an SMTP relay (aiosmtpd, STARTTLS and
    AUTH) bound: the attachment lands in the bucket, the notification reaches the relay."""
    from tests.objectstore import moto_server
    from tests.smtp import smtp_servers

    (tmp_path / "moto").mkdir()
    (tmp_path / "smtp").mkdir()
    with (
        postgres_database_as(HOSTILE_PASSWORD, "guestbook") as (database, user),
        moto_server(tmp_path / "moto") as s3,
        smtp_servers(tmp_path / "smtp") as start_relay,
    ):
        relay = start_relay("starttls")
        bucket = s3.new_bucket()
        services = {
            "postgres": [postgres_service(database, user, HOSTILE_PASSWORD)],
            "user-provided": [
                {
                    "name": "attachments",
                    "label": "user-provided",
                    "tags": ["s3"],
                    "credentials": {
                        "endpoint": s3.endpoint,
                        "access_key_id": s3.access_key,
                        "secret_access_key": s3.secret_key,
                        "bucket": bucket,
                    },
                },
                {
                    "name": "mail",
                    "label": "user-provided",
                    "tags": ["smtp"],
                    "credentials": {
                        "host": relay.host,
                        "port": relay.port,
                        "username": relay.username,
                        "password": relay.password,
                        "from": "Guestbook <noreply@guestbook.example.test>",
                        "tls": True,
                    },
                },
            ],
        }
        port = free_port()
        env = cf_environment(
            tmp_path,
            port,
            VCAP_SERVICES=json.dumps(services),
            GUESTBOOK_NOTIFY="owner@example.test",
            SSL_CERT_FILE=relay.ca_file,  # the relay's certificate is signed by a test CA
        )
        with served(tmp_path, env, port) as app:
            content = f"attached {uuid.uuid4()}".encode()
            posted = post_multipart(
                app, {"name": "Grace", "message": "See file"}, "note.txt", content
            )
            assert posted.status == 302, posted.text[:2000]

            (key,) = s3.keys(bucket)
            assert re.fullmatch(r"attachments/\d{4}/\d{2}/note(_\w+)?\.txt", key), key
            assert s3.read(bucket, key) == content
            page = Browser(port).get("/")
            link = re.search(r'<a class="attachment" href="([^"]+)">', page.text)
            assert link, page.text[:2000]
            assert link[1].startswith(f"{s3.endpoint}/{bucket}/{key}?")  # signed, in the bucket

            (mail,) = relay.messages
            assert (mail.login, mail.encrypted) == (relay.username, True)
            assert mail.mail_from == "noreply@guestbook.example.test"
            assert mail.rcpt_tos == ["owner@example.test"]
            text = mail.content.decode()
            assert "New guestbook entry from Grace" in text
            assert key in text
        check_no_secrets(app, HOSTILE_PASSWORD, s3.secret_key, relay.password)


def test_check_warns_when_attachments_would_stay_in_the_container(tmp_path, site):
    """The same site with only a database bound: its FileField would write to the container's
    disk (cfsettings.W006), and a relay bound without a sender is pointed out (I002)."""
    services = {
        "postgres": [postgres_service("guestbook", "guestbook_app", HOSTILE_PASSWORD)],
        "sendgrid": [{"name": "mail", "label": "sendgrid", "credentials": {"api_key": "SG.x"}}],
    }
    env = cf_environment(tmp_path, free_port(), VCAP_SERVICES=json.dumps(services))
    result = manage(site, env, "check")
    assert result.returncode == 0, result.stderr  # warnings do not stop the deploy
    output = result.stdout + result.stderr
    assert "(cfsettings.W006) guestbook.Entry.attachment stores uploads" in output
    assert "(cfsettings.I002) Bound SMTP relay 'mail' names no sender address" in output
    assert "SG.x" not in output
