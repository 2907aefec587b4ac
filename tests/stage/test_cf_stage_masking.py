"""Every output path of ``cf_stage`` is masked by the one masker, for every spelling of every
DATABASES and CACHES secret: step lines, a migration's own output, errors and tracebacks."""

from __future__ import annotations

import json

import pytest

from cfsettings.masking import MASK
from tests.stagekit import HOSTILE_PASSWORD, environment, manage, sqlite, write_app

CACHE_PASSWORD = "c@che's \\pw%2F é"
CACHE_URI_PASSWORD = "uri:p@ss/w0rd 'x'"
# Prints and raises every spelling of every secret the settings hold.
LEAKY = """import json
from urllib.parse import quote

from django.conf import settings
from django.db import migrations
from psycopg.conninfo import make_conninfo


def spellings():
    entry = settings.DATABASES["default"]
    cache = settings.CACHES["redis"]
    found = []
    for secret in (entry["PASSWORD"], cache["OPTIONS"]["password"], {uri!r}):
        found += [
            secret,
            quote(secret, safe=""),
            make_conninfo("", password=secret, host="db"),
            repr(secret.encode()),
        ]
    found += [repr(entry), json.dumps(entry), repr(cache), json.dumps(cache)]
    return " | ".join(found)


def leak(apps, schema_editor):
    print("migration says:", spellings())
    raise RuntimeError("leaked: " + spellings())


class Migration(migrations.Migration):
    operations = [migrations.RunPython(leak)]
"""


def forbidden() -> list[str]:
    from urllib.parse import quote

    found = []
    for secret in (HOSTILE_PASSWORD, CACHE_PASSWORD, CACHE_URI_PASSWORD):
        found += [secret, quote(secret, safe=""), repr(secret)[1:-1], json.dumps(secret)[1:-1]]
        found += [repr(secret.encode())[2:-1], secret.replace("'", "\\\\'")]
    return found


@pytest.mark.parametrize("traceback", [False, True])
def test_a_leaking_migration_leaks_nothing(tmp_path, traceback):
    from urllib.parse import quote

    write_app(tmp_path, "leaky", {"0001_initial": LEAKY.format(uri=CACHE_URI_PASSWORD)})
    database = {**sqlite(tmp_path / "db.sqlite3"), "PASSWORD": HOSTILE_PASSWORD}
    caches = {
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://:{quote(CACHE_URI_PASSWORD, safe='')}@127.0.0.1:1/0",
            "OPTIONS": {"password": CACHE_PASSWORD},
        }
    }
    env = environment(
        {"default": database},
        paths=(tmp_path,),
        superuser=False,
        STAGE_INSTALLED_APPS="leaky,cfsettings",
        STAGE_CACHES=json.dumps(caches),
        PYTHONDONTWRITEBYTECODE="1",
    )
    result = manage(env, "cf_stage", "-v", "2", *(["--traceback"] if traceback else []))
    assert result.returncode == 1
    output = result.stdout + result.stderr
    for form in forbidden():
        assert form not in output, f"{form!r} leaked:\n{output}"
    assert "migration says:" in result.stdout and MASK in result.stdout
    assert "migration leaky.0001_initial failed: RuntimeError: leaked: " in result.stderr
    if traceback:
        assert "Traceback (most recent call last)" in result.stderr
    else:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
