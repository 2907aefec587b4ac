"""Which aliases are one staging target: only those that really migrate the same schema."""

from __future__ import annotations

import pytest

from cfsettings.stage.targets import distinct_databases, target_key

BASE = {"ENGINE": "e", "HOST": "h", "PORT": 5432, "NAME": "n", "USER": "u"}


def test_the_same_database_and_user_under_two_aliases_is_one_target():
    databases = {
        "default": BASE,
        "alias": dict(BASE, PORT="5432", CONN_MAX_AGE=0, PASSWORD="other"),
        "other_port": dict(BASE, PORT=5433),
        "other_name": dict(BASE, NAME="m"),
        "again": dict(BASE, NAME="m"),
    }
    assert distinct_databases(["default", *databases, "default"], databases) == [
        ("default", None),
        ("alias", "default"),
        ("other_port", None),
        ("other_name", None),
        ("again", "other_name"),
    ]


@pytest.mark.parametrize(
    "change",
    [
        {"USER": "reporting"},
        {"ENGINE": "other"},
        {"HOST": "replica"},
        {"OPTIONS": {"options": "-c search_path=tenant"}},
        {"OPTIONS": {"service": "tenant"}},
        {"OPTIONS": {"init_command": "SET search_path TO tenant"}},
        {"OPTIONS": {"assume_role": "owner"}},
        {"OPTIONS": {"unix_socket": "/run/mysqld.sock"}},
    ],
)
def test_what_changes_the_schema_makes_another_target(change):
    databases = {"default": BASE, "twin": {**BASE, **change}}
    assert distinct_databases(["default", "twin"], databases) == [
        ("default", None),
        ("twin", None),
    ]


@pytest.mark.parametrize(
    "options",
    [
        {"sslmode": "require", "sslrootcert": "/ca.pem", "connect_timeout": 3},
        {"pool": {"min_size": 2}, "server_side_binding": True, "application_name": "web"},
        {"charset": "utf8mb4", "ssl": {"ca": "/ca.pem"}, "passwd": "x", "isolation_level": 1},
        {"SSLMODE": "verify-full", "Keepalives_Idle": 30},
    ],
)
def test_options_that_only_tune_the_link_do_not(options):
    assert target_key({**BASE, "OPTIONS": options}) == target_key(BASE)


def test_option_order_and_value_types_do_not_matter_but_values_do():
    one = {**BASE, "OPTIONS": {"options": "-c search_path=a", "init_command": "x"}}
    two = {**BASE, "OPTIONS": {"init_command": "x", "options": "-c search_path=a"}}
    assert target_key(one) == target_key(two)
    assert target_key({**BASE, "OPTIONS": {"options": object()}}) != target_key(BASE)
    assert target_key({**BASE, "OPTIONS": None}) == target_key(BASE)
