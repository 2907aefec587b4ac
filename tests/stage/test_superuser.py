"""The superuser from DJANGO_SUPERUSER_*: asked for, found missing, created once."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from cfsettings.stage import plan as staging
from cfsettings.stage import superuser
from tests.stagekit import HOSTILE_PASSWORD, default_database


@pytest.fixture
def db(tmp_path):
    with default_database(tmp_path / "db.sqlite3") as connection:
        yield connection


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", HOSTILE_PASSWORD)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    return monkeypatch


def test_nothing_is_asked_without_a_username(monkeypatch):
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)
    assert superuser.requested() is None
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "")
    assert superuser.requested() is None


def test_nothing_is_asked_without_auth(env):
    with override_settings(INSTALLED_APPS=["django.contrib.contenttypes", "cfsettings"]):
        assert superuser.requested() is None


def test_the_request_names_the_database_the_router_picks(env):
    assert superuser.requested() == superuser.SuperuserRequest("root", "default")


def test_missing_until_created_then_left_alone(db, env):
    assert superuser.missing(db, staging.table_names(db)) == "root"  # no table yet
    call_command("migrate", verbosity=0)
    assert superuser.missing(db, staging.table_names(db)) == "root"
    superuser.create("default")
    user = get_user_model().objects.get(username="root")
    assert user.is_superuser and user.is_staff
    assert user.check_password(HOSTILE_PASSWORD)
    assert user.email == "root@example.com"
    assert superuser.missing(db, staging.table_names(db)) is None


def test_another_alias_is_not_asked(db, env):
    other = db.copy("other")
    assert superuser.missing(other, set()) is None


def test_a_required_field_must_be_set(db, env):
    call_command("migrate", verbosity=0)
    env.delenv("DJANGO_SUPERUSER_EMAIL")
    with pytest.raises(CommandError) as raised:
        superuser.create("default")
    assert str(raised.value) == "DJANGO_SUPERUSER_EMAIL is not set (auth.User requires email)"
    assert not get_user_model().objects.exists()
