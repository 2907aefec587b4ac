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


def test_quick_start_pasted_into_a_new_project_reads_the_bindings_on_cloud_foundry(tmp_path):
    project = new_project(tmp_path / "site")
    env = {
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
    }

    status, output = manage(project, "check", env=env, cwd=project)
    assert status == 0, output
    assert "System check identified no issues (0 silenced)." in output

    settings = explained(project, env, cwd=project)
    default = settings["DATABASES"]["default"]
    assert default["ENGINE"] == POSTGRESQL_ENGINE
    assert (default["HOST"], default["PORT"], default["NAME"]) == (
        "db.example.internal",
        5433,
        "mysite",
    )
    assert "mysite.apps.example.com" in settings["ALLOWED_HOSTS"]


def test_the_readme_links_into_docs_lead_to_pages():
    text = README.read_text()
    links = re.findall(r"<(docs/[^>]+)>`_", text)
    assert len(links) >= 10, links
    for link in links:
        assert (REPO / link).is_file(), f"README.rst links to {link}, which does not exist"
