"""The fast "nothing to do" path never disagrees with Django's own migration plan.

Migration packages are written per test (for the ``auth`` app, through MIGRATION_MODULES) so
squashes, odd layouts and every combination of recorded rows can be checked against what
Django's loader and executor decide.
"""

from __future__ import annotations

import itertools
import py_compile
import uuid
import zipfile

import pytest
from django.core.management import call_command
from django.db.migrations.exceptions import InconsistentMigrationHistory
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings

from cfsettings.stage import plan as staging
from tests.stagekit import default_database

EMPTY = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = {dependencies!r}
    operations = []
"""
SQUASH = """from django.db import migrations


class Migration(migrations.Migration):
    replaces = {replaces!r}
    dependencies = {dependencies!r}
    operations = []
"""


@pytest.fixture
def db(tmp_path):
    with default_database(tmp_path / "db.sqlite3") as connection:
        yield connection


@pytest.fixture
def package(tmp_path, monkeypatch):
    """Writes a uniquely named migrations package on sys.path; returns its name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(files: dict[str, str], init: str | None = "") -> str:
        name = f"migs_{uuid.uuid4().hex[:10]}"
        directory = tmp_path / name
        directory.mkdir()
        if init is not None:
            (directory / "__init__.py").write_text(init)
        for filename, source in files.items():
            (directory / f"{filename}.py").write_text(source)
        return name

    return write


def empty(*dependencies: tuple[str, str]) -> str:
    return EMPTY.format(dependencies=list(dependencies))


def squash(replaces: list[tuple[str, str]], *dependencies: tuple[str, str]) -> str:
    return SQUASH.format(replaces=replaces, dependencies=list(dependencies))


def record(connection, keys) -> None:
    """Make django_migrations hold exactly these rows."""
    recorder = MigrationRecorder(connection)
    recorder.ensure_schema()
    recorder.migration_qs.all().delete()
    for app, name in keys:
        recorder.record_applied(app, name)


CONTENTTYPES = [("contenttypes", "0001_initial"), ("contenttypes", "0002_remove_content_type_name")]
REPLACED = [("auth", "0001_initial"), ("auth", "0002_second")]
SQUASHED = ("auth", "0001_squashed_0002_second")
THIRD = ("auth", "0003_third")
SQUASH_KEPT = {  # mid-transition: the replaced files are still there
    "0001_initial": empty(),
    "0002_second": empty(("auth", "0001_initial")),
    "0001_squashed_0002_second": squash(REPLACED),
    "0003_third": empty(("auth", "0002_second")),
}
SQUASH_ALONE = {  # long after: the replaced files are gone, ``replaces`` is still set
    "0001_squashed_0002_second": squash(REPLACED),
    "0003_third": empty(SQUASHED),
}
SQUASH_LEAF = {"0001_squashed_0002_second": squash(REPLACED)}


def test_fresh_database_needs_everything(db):
    assert not staging.nothing_to_do(db)
    pending = staging.pending(db)
    assert {"contenttypes.0001_initial", "auth.0001_initial"} <= set(pending.migrations)
    assert len(pending.migrations) == 2 + 12
    assert not (pending.syncdb_tables or pending.cache_tables or pending.superuser)
    first_three = ", ".join(pending.migrations[:3])
    assert pending.describe() == [f"14 migrations to apply: {first_three} and 11 more"]


def test_after_migrate_nothing_to_do_until_a_migration_is_missing(db):
    call_command("migrate", verbosity=0)
    assert staging.nothing_to_do(db)
    assert not staging.pending(db)
    MigrationRecorder(db).record_unapplied("auth", "0012_alter_user_first_name_max_length")
    assert not staging.nothing_to_do(db)
    assert staging.pending(db).migrations == ("auth.0012_alter_user_first_name_max_length",)


@pytest.mark.parametrize(
    "layout", [SQUASH_KEPT, SQUASH_ALONE, SQUASH_LEAF], ids=["kept", "alone", "leaf"]
)
def test_fast_path_implies_an_empty_plan_for_every_recorded_state(db, package, layout):
    universe = [*REPLACED, SQUASHED, THIRD, ("auth", "0099_deleted_long_ago")]
    with override_settings(MIGRATION_MODULES={"auth": package(layout)}):
        fast_states = 0
        for size in range(len(universe) + 1):
            for recorded in itertools.combinations(universe, size):
                record(db, [*CONTENTTYPES, *recorded])
                try:
                    plan = staging.pending(db).migrations
                except InconsistentMigrationHistory:
                    plan = ("inconsistent",)  # migrate would refuse: not "nothing to do"
                if staging.nothing_to_do(db):
                    fast_states += 1
                    assert plan == (), f"fast path said done with {recorded} pending {plan}"
        assert fast_states > 0

        # The state Django itself leaves after migrating is recognised without the loader.
        record(db, [])
        call_command("migrate", verbosity=0)
        assert staging.nothing_to_do(db)


def test_a_squash_recorded_without_what_it_replaces_is_not_trusted(db, package):
    """Django applies such a squash again; the fast path must not call it done."""
    with override_settings(MIGRATION_MODULES={"auth": package(SQUASH_LEAF)}):
        record(db, [*CONTENTTYPES, SQUASHED])
        assert not staging.nothing_to_do(db)
        assert staging.pending(db).migrations == ("auth.0001_squashed_0002_second",)


def loader_view(loader: MigrationLoader):
    names: dict[str, set[str]] = {}
    for label, name in loader.disk_migrations:
        names.setdefault(label, set()).add(name)
    replaces = {
        key: tuple(map(tuple, migration.replaces))
        for key, migration in loader.disk_migrations.items()
        if migration.replaces
    }
    return names, set(loader.unmigrated_apps), replaces


def scan_view(disk: staging.DiskMigrations):
    names = {label: set(found) for label, found in disk.names.items() if found}
    return names, set(disk.unmigrated), disk.replaces


def assert_scan_matches_django(migration_module) -> staging.DiskMigrations:
    with override_settings(MIGRATION_MODULES={"auth": migration_module}):
        disk = staging.scan_disk()
        assert disk is not None
        assert scan_view(disk) == loader_view(MigrationLoader(None))
        return disk


def test_scan_finds_what_djangos_loader_finds(package):
    name = package(
        {
            "0001_initial": empty(),
            "0002_second": empty(("auth", "0001_initial")),
            "0001_squashed_0002_second": squash(
                (("auth", "0001_initial"), ("auth", "0002_second"))
            ),
            "_private": "",
            "~backup": "",
        }
    )
    disk = assert_scan_matches_django(name)
    assert disk.replaces == {SQUASHED: tuple(REPLACED)}
    assert "cfsettings" in disk.unmigrated


def test_apps_without_migrations_as_django_sees_them(package, tmp_path):
    assert "auth" in assert_scan_matches_django(None).unmigrated
    (tmp_path / "plainmodule_migs.py").write_text("")
    assert "auth" in assert_scan_matches_django("plainmodule_migs").unmigrated
    (tmp_path / "namespace_migs").mkdir()
    assert "auth" in assert_scan_matches_django("namespace_migs").unmigrated


def test_a_subpackage_is_not_a_migration(package, tmp_path):
    name = package({"0001_initial": empty()})
    (tmp_path / name / "helpers").mkdir()
    (tmp_path / name / "helpers" / "__init__.py").write_text("")
    assert assert_scan_matches_django(name).names["auth"] == {"0001_initial"}


@pytest.mark.parametrize(
    "source",
    [
        "# replaces nothing, but says the word\n" + EMPTY.format(dependencies=[]),
        SQUASH.replace("{replaces!r}", "list(())").format(dependencies=[]),
        SQUASH.format(replaces="auth", dependencies=[]),
        SQUASH.format(replaces=[("auth",)], dependencies=[]),
        SQUASH.format(replaces=[], dependencies=[]) + "\nreplaces = (\n",
    ],
    ids=["mentioned", "computed", "not-a-list", "bad-item", "syntax-error"],
)
def test_doubtful_replaces_sends_django_the_question(package, source):
    with override_settings(MIGRATION_MODULES={"auth": package({"0001_initial": source})}):
        assert staging.scan_disk() is None


def test_compiled_only_migrations_send_django_the_question(db, package, tmp_path):
    name = package({"0001_initial": empty()})
    source = tmp_path / name / "0001_initial.py"
    py_compile.compile(str(source), cfile=str(source.with_suffix(".pyc")))
    source.unlink()
    with override_settings(MIGRATION_MODULES={"auth": name}):
        assert staging.scan_disk() is None
        assert ("auth", "0001_initial") in MigrationLoader(None).disk_migrations
        record(db, [*CONTENTTYPES, ("auth", "0001_initial")])
        assert staging.pending(db).migrations == ()
        assert not staging.nothing_to_do(db)  # in doubt, the caller asks Django


def test_zipped_migrations_send_django_the_question(tmp_path, monkeypatch):
    archive = tmp_path / "migrations.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("zipped_migs/__init__.py", "")
        bundle.writestr("zipped_migs/0001_initial.py", empty())
    monkeypatch.syspath_prepend(str(archive))
    with override_settings(MIGRATION_MODULES={"auth": "zipped_migs"}):
        assert staging.scan_disk() is None
        assert ("auth", "0001_initial") in MigrationLoader(None).disk_migrations


@pytest.mark.parametrize("init", ["import no_such_module_anywhere\n", None])
def test_migrations_django_cannot_load_send_django_the_question(package, init):
    broken = package({}, init=init) if init else "no_such_migrations_module"
    with override_settings(MIGRATION_MODULES={"auth": broken}):
        assert staging.scan_disk() is None
        with pytest.raises(ModuleNotFoundError):
            MigrationLoader(None)


def test_conflicting_leaves_are_reported(db, package):
    name = package(
        {
            "0001_initial": empty(),
            "0002_left": empty(("auth", "0001_initial")),
            "0002_right": empty(("auth", "0001_initial")),
        }
    )
    with (
        override_settings(MIGRATION_MODULES={"auth": name}),
        pytest.raises(staging.MigrationConflict, match="makemigrations --merge"),
    ):
        staging.pending(db)


def test_apps_without_migrations_need_their_tables(db):
    with override_settings(MIGRATION_MODULES={"auth": None}):
        # contenttypes only (auth has no migrations now), without post_migrate handlers
        MigrationExecutor(db).migrate([CONTENTTYPES[-1]])
        tables = staging.table_names(db)
        missing = staging.missing_syncdb_tables(db, {"auth"}, tables)
        assert set(missing) == {"auth_permission", "auth_group", "auth_user"}
        assert not staging.nothing_to_do(db)
        assert staging.pending(db).syncdb_tables == missing
        assert staging.pending(db).describe() == [
            "3 tables to create for apps without migrations: " + ", ".join(missing[:3])
        ]
        call_command("migrate", run_syncdb=True, verbosity=0)
        assert staging.missing_syncdb_tables(db, {"auth"}, staging.table_names(db)) == ()
        assert staging.nothing_to_do(db)


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "one": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_one"},
    "again": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_one"},
}


def test_database_caches_need_their_table(db):
    call_command("migrate", verbosity=0)
    with override_settings(CACHES=CACHES):
        assert staging.missing_cache_tables(db, staging.table_names(db)) == ("cache_one",)
        assert not staging.nothing_to_do(db)
        assert staging.pending(db).describe() == ["cache table to create: cache_one"]
        call_command("createcachetable", verbosity=0)
        assert staging.missing_cache_tables(db, staging.table_names(db)) == ()
        assert staging.nothing_to_do(db)


def test_pending_reads_as_plain_english():
    assert not staging.Pending()
    one = staging.Pending(migrations=("a.1",), syncdb_tables=("t",), superuser="root")
    assert one and one.needs_migrate
    assert one.describe() == [
        "1 migration to apply: a.1",
        "1 table to create for apps without migrations: t",
        "superuser 'root' to create",
    ]
    assert (
        staging.Pending(cache_tables=("c",))
        and not staging.Pending(cache_tables=("c",)).needs_migrate
    )


def test_recorded_migrations_before_the_first_migrate(db):
    assert staging.recorded_migrations(db, staging.table_names(db)) == set()
