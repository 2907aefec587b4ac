"""Two schemas in one PostgreSQL database are two staging targets: each is migrated."""

from __future__ import annotations

import json

from tests import servers
from tests.stage.faults import postgres_admin
from tests.stage.test_cf_stage import INITIAL, WIDGET, app_environment
from tests.stagekit import HOSTILE_PASSWORD, assert_no_secret, manage, postgres, write_app


def test_two_schemas_on_one_database_are_both_migrated(tmp_path):
    with servers.postgres_database_as(HOSTILE_PASSWORD) as (name, role):
        for schema in ("tenant_a", "tenant_b"):
            postgres_admin(name, f'CREATE SCHEMA {schema} AUTHORIZATION "{role}"')
        base = postgres(name, role, HOSTILE_PASSWORD)
        databases = {
            "default": {**base, "OPTIONS": {"options": "-c search_path=tenant_a"}},
            "tenant": {**base, "OPTIONS": {"options": "-c search_path=tenant_b"}},
        }
        write_app(tmp_path, "fragile", {"0001_initial": INITIAL}, WIDGET)
        env = app_environment(databases["default"], tmp_path, "fragile")
        env = {**env, "STAGE_DATABASES": json.dumps(databases)}

        before = manage(env, "cf_stage", "--check")
        assert before.returncode == 1, before.stdout + before.stderr
        assert "work pending on default, tenant" in before.stderr
        staged = manage(env, "cf_stage")
        assert staged.returncode == 0, staged.stdout + staged.stderr
        assert staged.stdout.count("1 migration applied") == 2, staged.stdout
        assert "same staging target" not in staged.stdout
        for schema in ("tenant_a", "tenant_b"):
            assert postgres_admin(
                name, f"SELECT app, name FROM {schema}.django_migrations WHERE app = 'fragile'"
            ) == [("fragile", "0001_initial")]
            assert postgres_admin(name, f"SELECT COUNT(*) FROM {schema}.fragile_widget") == [(0,)]
        assert postgres_admin(
            name,
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
            " AND table_catalog = current_database()",
        ) == [(0,)]
        after = manage(env, "cf_stage", "--check")
        assert after.returncode == 0, after.stdout + after.stderr
        django_says = manage(env, "migrate", "--database", "tenant", "--check")
        assert django_says.returncode == 0, django_says.stdout + django_says.stderr
        assert_no_secret(before.stdout, before.stderr, staged.stdout, staged.stderr)
