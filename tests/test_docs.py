"""docs/ stays true to the code: every system check id, every argument of the public
functions and every command-line option the code has is in its reference page, and every
check id a page lists exists. (The explain transcript is checked in test_explain.py, the
README's commands and Quick start in test_readme.py and test_example_run.py.)"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from django.core.management.base import BaseCommand

from cfsettings import allowed_hosts, caches, databases
from cfsettings.management.commands import cf_settings, cf_stage

REPO = next(path for path in Path(__file__).resolve().parents if (path / "setup.cfg").exists())
DOCS = REPO / "docs"
CHECK_ID = re.compile(r"cfsettings\.[EWIC]\d{3}")


def page(name: str) -> str:
    return (DOCS / f"{name}.rst").read_text()


def section(text: str, title: str) -> str:
    """The body of the section titled ``title`` (underlined), up to the next title."""
    lines = text.splitlines()
    start = lines.index(title) + 2
    end = next(
        (
            index - 1
            for index in range(start + 1, len(lines))
            if lines[index] and set(lines[index]) <= set("=-~") and lines[index - 1].strip()
        ),
        len(lines),
    )
    return "\n".join(lines[start:end])


def test_the_checks_page_lists_exactly_the_check_ids_the_code_emits():
    emitted = {
        found
        for path in (REPO / "cfsettings").rglob("*.py")
        for found in re.findall(rf'["\']({CHECK_ID.pattern})["\']', path.read_text())
    }
    assert len(emitted) >= 7, emitted
    table = {
        line.split("``")[1]
        for line in page("checks").splitlines()
        if line.startswith("``cfsettings.")
    }
    assert table == emitted


@pytest.mark.parametrize(
    ("function", "title"),
    [
        (databases, "``databases()``"),
        (caches, "``caches()``"),
        (allowed_hosts, "``allowed_hosts()``"),
    ],
)
def test_the_options_page_describes_every_argument(function, title):
    body = section(page("options"), title)
    signature = inspect.signature(function)
    for name in signature.parameters:
        assert f"\n``{name}``" in body, f"docs/options.rst: {title} does not describe {name}"
    bare = signature.replace(
        parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
        return_annotation=signature.empty,
    )
    shown = f"``{function.__name__}{bare}``".replace("'", '"')
    assert shown in " ".join(body.split()), f"docs/options.rst: {title} should show {shown}"


def own_options(command: BaseCommand, name: str) -> set[str]:
    """The long options a management command adds to Django's own."""
    django = BaseCommand().create_parser("manage.py", name)
    known = {option for action in django._actions for option in action.option_strings}
    parser = command.create_parser("manage.py", name)
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option not in known
    }


@pytest.mark.parametrize(
    ("command", "name", "doc"),
    [
        (cf_stage.Command(), "cf_stage", "cf_stage"),
        (cf_settings.Command(), "cf_settings", "explain"),
    ],
)
def test_the_command_pages_describe_every_option(command, name, doc):
    options = own_options(command, name)
    assert options, name
    text = page(doc)
    for option in options:
        row = rf"^``{re.escape(option)}(?: \S+)?``  +\S"  # a row of the options table
        assert re.search(row, text, re.M), f"docs/{doc}.rst's options table lacks {option}"


@pytest.mark.parametrize(
    "name",
    [
        "configure",
        "https_settings",
        "csrf_trusted_origins",
        "secret_key",
        "logging_config",
        "static_settings",
    ],
)
def test_the_platform_page_shows_every_signature(name):
    import cfsettings

    function = getattr(cfsettings, name)
    signature = inspect.signature(function)
    bare = signature.replace(
        parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
        return_annotation=signature.empty,
    )
    shown = f"``{name}{bare}``"
    assert shown in " ".join(page("platform").split()), f"docs/platform.rst should show {shown}"


def test_the_platform_page_lists_every_setting_configure_makes(tmp_path):
    import json

    from cfsettings import configure

    environ = {
        "VCAP_APPLICATION": json.dumps({"application_uris": ["a.example.com"]}),
        "SECRET_KEY": "k" * 50,
    }
    applied = configure({"BASE_DIR": str(tmp_path)}, environ=environ)
    text = page("platform")
    for setting in applied:
        assert f"``{setting}``" in text, f"docs/platform.rst does not list {setting}"
