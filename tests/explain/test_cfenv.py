"""``--vcap-file``: `cf env` output of both CLIs, JSON documents, standard input, and
problems that name the file, never its content."""

from __future__ import annotations

import io
import json

import pytest

from cfsettings.bindings.sources import (
    VCAP_APPLICATION,
    VCAP_SERVICES,
)
from cfsettings.explain.cfenv import parse_vcap_text, read_vcap_file
from tests.explain import APPLICATION, CFENV, explain
from tests.fixtures import HOSTILE, document


def test_vcap_file_reads_cf_env_of_cli_v6(tmp_path):
    environ = read_vcap_file(str(CFENV / "guestbook-v6.txt"))
    assert set(environ) == {VCAP_SERVICES, VCAP_APPLICATION, "CFSETTINGS_DEFAULT_DATABASE"}
    assert json.loads(environ[VCAP_APPLICATION])["name"] == "guestbook"
    status, text = explain({}, vcap_file=str(CFENV / "guestbook-v6.txt"))
    assert status == 0
    assert "'guestbook-pg' (named by CFSETTINGS_DEFAULT_DATABASE)" in text
    assert "Q2w" not in text


def test_vcap_file_reads_cf_env_of_cli_v7():
    environ = read_vcap_file(str(CFENV / "guestbook-v7.txt"))
    # SECRET_KEY is read (explain says where the key comes from) and never shown.
    assert set(environ) == {VCAP_SERVICES, VCAP_APPLICATION, "DATABASE_URL", "SECRET_KEY"}
    assert sorted(json.loads(environ[VCAP_SERVICES])) == ["p.mysql", "p.redis", "user-provided"]


@pytest.mark.parametrize(
    "content",
    [
        json.dumps(document("p.mysql")),
        json.dumps({VCAP_SERVICES: document("p.mysql"), VCAP_APPLICATION: json.loads(APPLICATION)}),
        json.dumps({VCAP_SERVICES: json.dumps(document("p.mysql")), VCAP_APPLICATION: APPLICATION}),
        json.dumps(  # cf curl /v3/apps/GUID/env
            {
                "staging_env_json": {},
                "running_env_json": {},
                "environment_variables": {"WEB_CONCURRENCY": "2"},
                "system_env_json": {VCAP_SERVICES: document("p.mysql")},
                "application_env_json": {VCAP_APPLICATION: json.loads(APPLICATION)},
            }
        ),
    ],
    ids=["vcap-services", "both-objects", "both-strings", "cf-curl-v3-env"],
)
def test_vcap_file_accepts_json_documents(tmp_path, content):
    path = tmp_path / "env.json"
    path.write_text(content)
    status, text = explain({}, vcap_file=str(path))
    assert status == 0
    assert "is MySQL, by URI scheme 'mysql' in 'uri'" in text


def test_vcap_file_from_standard_input():
    stdin = io.StringIO("\ufeff" + json.dumps(document("p.redis")))
    status, text = explain({}, vcap_file="-", stdin=stdin)
    assert status == 0
    assert "settings from --vcap-file '-'" in text and "is Redis" in text


def test_vcap_file_from_standard_input_is_bounded():
    class Endless(io.TextIOBase):
        def read(self, size=-1):
            assert size > 0, "an unbounded read"
            return "x" * size

    status, text = explain({}, vcap_file="-", stdin=Endless())
    assert status == 1
    assert text == (
        "cfsettings: --vcap-file - (standard input) is larger than 10 MiB; "
        "cfsettings refuses to read it.\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'System-Provided:\nVCAP_SERVICES: {\n  "p.mysql": [{"password": "' + HOSTILE,
            "--vcap-file '{path}': VCAP_SERVICES on line 2 is not valid JSON.",
        ),
        (
            'Getting env...\n{\n "VCAP_SERVICES": ' + "[" * 5000,
            "--vcap-file '{path}': a JSON object on line 2 is not valid JSON.",
        ),
        (
            "VCAP_SERVICES: " + "[" * 100 + "]" * 100,
            "--vcap-file '{path}': VCAP_SERVICES is nested more than 64 levels deep; "
            "cfsettings refuses to read it.",
        ),
        (
            '{"VCAP_SERVICES": ' + "[" * 100 + "]" * 100 + "}",
            "--vcap-file '{path}': VCAP_SERVICES is nested more than 64 levels deep; "
            "cfsettings refuses to read it.",
        ),
        (
            "password: " + HOSTILE,
            "--vcap-file '{path}' holds neither JSON nor the output of `cf env`.",
        ),
    ],
)
def test_vcap_file_problems_name_the_file_never_its_content(tmp_path, content, message):
    path = tmp_path / "env.txt"
    path.write_text(content)
    status, text = explain({}, vcap_file=str(path))
    assert status == 1
    assert text == f"cfsettings: {message.format(path=path)}\n"


def test_vcap_file_with_nothing_bound_or_not_json_at_all(tmp_path):
    path = tmp_path / "env.txt"
    path.write_text("Getting env...\nNo system-provided env variables have been set\n")
    assert read_vcap_file(str(path)) == {}
    assert parse_vcap_text("[1, 2]", "x") == {VCAP_SERVICES: "[1, 2]"}  # read_services says why
    assert parse_vcap_text('{"p.mysql": []}', "x") == {VCAP_SERVICES: '{"p.mysql": []}'}
    status, text = explain({}, vcap_file=str(tmp_path / "missing.txt"))
    assert status == 1
    assert "cannot be read: No such file or directory." in text
