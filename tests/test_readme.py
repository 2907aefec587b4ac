"""README.rst keeps its promises: the Quick start block, pasted verbatim at the end of a new
project's ``settings.py``, leaves the project working where no Cloud Foundry variable is set
and takes the bound services where they are; and its links into ``docs/`` lead somewhere.

The project is made by ``django-admin startproject`` and driven by real ``manage.py``
subprocesses, with an environment from which this test run's settings and every variable
cfsettings reads have been removed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures import POSTGRESQL_ENGINE, service, vcap

REPO = next(path for path in Path(__file__).resolve().parents if (path / "setup.cfg").exists())
README = REPO / "README.rst"
#: How ``wagtail start`` writes BASE_DIR: a string, not a Path.
STRING_BASE_DIR = (
    "import os\nBASE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))"
)
DROPPED_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "SERVICE_BINDING_ROOT",
    "DJANGO_SETTINGS_MODULE",
)


def quick_start() -> str:
    """The first python block of the README's "Quick start" section, dedented."""
    lines = README.read_text().splitlines()
    section = lines.index("Quick start")
    assert set(lines[section + 1]) == {"="}, "Quick start is no longer a section title"
    start = lines.index(".. code-block:: python", section) + 1
    block = []
    for line in lines[start:]:
        if line and not line.startswith(" "):
            break
        block.append(line)
    code = textwrap.dedent("\n".join(block)).strip("\n") + "\n"
    assert "from cfsettings import" in code
    return code


def clean_environment() -> dict[str, str]:
    """A developer's shell: no binding, no URL, no settings module of this test run."""
    return {
        name: value
        for name, value in os.environ.items()
        if name not in DROPPED_VARIABLES
        and not name.startswith(("VCAP_", "CF_INSTANCE_", "CFSETTINGS_", "DJANGO_SUPERUSER_"))
    }


def new_project(root: Path, base_dir_as_string: bool = False) -> Path:
    """``django-admin startproject mysite``, with the Quick start pasted at the end."""
    root.mkdir()
    made = subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(root)],
        env=clean_environment(),
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    settings = root / "mysite" / "settings.py"
    text = settings.read_text()
    if base_dir_as_string:
        text, paths = re.subn(r"^BASE_DIR = Path\(.*$", STRING_BASE_DIR, text, flags=re.M)
        text, names = re.subn(
            r"BASE_DIR / (['\"])db\.sqlite3\1", "os.path.join(BASE_DIR, 'db.sqlite3')", text
        )
        assert (paths, names) == (1, 1), "startproject's settings.py changed shape"
    settings.write_text(text.rstrip("\n") + "\n\n" + quick_start())
    return root


def run_manage(
    project: Path, *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(project / "manage.py"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(project: Path, *args: str, env: dict[str, str], cwd: Path) -> tuple[int, str]:
    result = run_manage(project, *args, env=env, cwd=cwd)
    return result.returncode, result.stdout + result.stderr


def explained(project: Path, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """The settings ``manage.py cf_settings --json`` reports, as the project built them."""
    result = run_manage(project, "cf_settings", "--json", env=env, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["settings"]


def test_the_quick_start_block_is_python_that_names_every_setting():
    code = quick_start()
    compile(code, "README.rst", "exec")
    for setting in ("DATABASES", "CACHES", "ALLOWED_HOSTS", "INSTALLED_APPS"):
        assert re.search(rf"^{setting} \+?= ", code, re.M), setting


@pytest.mark.parametrize("base_dir_as_string", [False, True], ids=["startproject", "wagtail"])
def test_quick_start_pasted_into_a_new_project_keeps_it_working_locally(
    tmp_path, base_dir_as_string
):
    project = new_project(tmp_path / "site", base_dir_as_string)
    env = clean_environment()

    status, output = manage(project, "check", env=env, cwd=project)
    assert status == 0, output
    assert "System check identified no issues (0 silenced)." in output

    # "cfsettings" really is an installed app: its checks are registered under their tag.
    status, output = manage(project, "check", "--tag", "cfsettings", env=env, cwd=project)
    assert status == 0, output
    assert "System check identified no issues" in output

    # Started from elsewhere, the project still uses its own SQLite file, not one in the cwd.
    settings = explained(project, env, cwd=tmp_path)
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["DATABASES"]["default"]["NAME"] == str(project / "db.sqlite3")
    assert settings["CACHES"]["default"]["BACKEND"].endswith(".LocMemCache")
    assert settings["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]


#: Printed by ``manage.py shell`` in the project: the platform settings, and whether the key is
#: the one of the environment (never the key itself).
PLATFORM_SETTINGS = """
import json, os
from django.conf import settings
print(json.dumps({
    "key_from_environment": settings.SECRET_KEY == os.environ["SECRET_KEY"],
    "redirect": settings.SECURE_SSL_REDIRECT,
    "proxy": settings.SECURE_PROXY_SSL_HEADER,
    "origins": settings.CSRF_TRUSTED_ORIGINS,
    "static_root": str(settings.STATIC_ROOT),
    "middleware": settings.MIDDLEWARE[0],
}))
"""


def cloud_foundry_environment(**extra: str) -> dict[str, str]:
    return {
        **clean_environment(),
        **vcap(
            service(
                "mysite-db",
                {"uri": "postgres://mysite:s3cret-Pa55@db.example.internal:5433/mysite"},
                tags=["postgres"],
            )
        ),
        "VCAP_APPLICATION": json.dumps(
            {"application_name": "mysite", "application_uris": ["mysite.apps.example.com"]}
        ),
        **extra,
    }


def test_quick_start_pasted_into_a_new_project_reads_the_bindings_on_cloud_foundry(tmp_path):
    project = new_project(tmp_path / "site")
    env = cloud_foundry_environment(SECRET_KEY="a-key-set-with-cf-set-env-" + "x" * 30)

    status, output = manage(project, "check", env=env, cwd=project)
    assert status == 0, output
    # startproject's DEBUG = True is the project's to change; cfsettings only says so.
    assert "System check identified 1 issue (0 silenced)." in output, output
    assert "cfsettings.W005" in output

    settings = explained(project, env, cwd=project)
    default = settings["DATABASES"]["default"]
    assert default["ENGINE"] == POSTGRESQL_ENGINE
    assert (default["HOST"], default["PORT"], default["NAME"]) == (
        "db.example.internal",
        5433,
        "mysite",
    )
    assert "mysite.apps.example.com" in settings["ALLOWED_HOSTS"]

    shell = run_manage(project, "shell", "-c", PLATFORM_SETTINGS, env=env, cwd=project)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert json.loads(shell.stdout.strip().splitlines()[-1]) == {
        "key_from_environment": True,
        "redirect": True,
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
        "origins": ["https://mysite.apps.example.com"],
        "static_root": str(project / "staticfiles"),
        "middleware": "cfsettings.platform.health.HealthCheckMiddleware",
    }


def test_quick_start_on_cloud_foundry_without_a_secret_key_says_how_to_set_one(tmp_path):
    """startproject's django-insecure- key is in the repository: it never signs on the
    platform, and the error says what to type."""
    project = new_project(tmp_path / "site")
    status, output = manage(project, "check", env=cloud_foundry_environment(), cwd=project)
    assert status != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set." in output
    assert "cf set-env mysite SECRET_KEY" in output


def test_the_readme_links_into_docs_lead_to_pages():
    text = README.read_text()
    links = re.findall(r"<(docs/[^>]+)>`_", text)
    assert len(links) >= 10, links
    for link in links:
        assert (REPO / link).is_file(), f"README.rst links to {link}, which does not exist"
