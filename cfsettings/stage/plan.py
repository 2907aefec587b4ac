"""What staging one database would do, found without changing anything.

``nothing_to_do`` is the fast path every instance takes on every start: it compares the rows
of ``django_migrations`` with the names of the migration files on disk, without importing
them (importing hundreds of migrations is most of what makes a no-op ``migrate`` slow). It
answers True only when that proves Django's plan is empty; whenever in doubt it answers False
and the caller asks Django itself with ``pending``.
"""

from __future__ import annotations

import ast
import pkgutil
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import cast

from django.apps import apps
from django.conf import settings
from django.db import router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MIGRATIONS_MODULE_NAME, MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils.module_loading import import_string

from cfsettings.stage import superuser

Key = tuple[str, str]


@dataclass(frozen=True)
class Pending:
    """Everything staging would change on one database; empty means up to date."""

    migrations: tuple[str, ...] = ()
    syncdb_tables: tuple[str, ...] = ()
    cache_tables: tuple[str, ...] = ()
    superuser: str | None = None

    @property
    def needs_migrate(self) -> bool:
        return bool(self.migrations or self.syncdb_tables)

    def __bool__(self) -> bool:
        return self.needs_migrate or bool(self.cache_tables or self.superuser)

    def describe(self) -> list[str]:
        """One line per kind of pending work, for ``--check``."""
        lines = []
        if self.migrations:
            count = len(self.migrations)
            lines.append(f"{plural(count, 'migration')} to apply: {_sample(self.migrations)}")
        if self.syncdb_tables:
            count = len(self.syncdb_tables)
            tables = _sample(self.syncdb_tables)
            lines.append(
                f"{plural(count, 'table')} to create for apps without migrations: {tables}"
            )
        if self.cache_tables:
            lines.append(f"cache table to create: {', '.join(self.cache_tables)}")
        if self.superuser:
            lines.append(f"superuser {self.superuser!r} to create")
        return lines


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _sample(names: tuple[str, ...], limit: int = 3) -> str:
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class DiskMigrations:
    """Migration names per app as Django's loader would find them, without importing them."""

    names: dict[str, frozenset[str]]
    unmigrated: frozenset[str]
    replaces: dict[Key, tuple[Key, ...]]

    def all_recorded(self, recorded: set[Key]) -> bool:
        """True when every migration, and everything a squashed one replaces, is recorded.

        A squashed migration counts as applied only when all it replaces is recorded, so that
        is checked too; recorded rows with no file (deleted after squashing) do not matter.
        """
        return all(
            (label, name) in recorded for label, names in self.names.items() for name in names
        ) and all(key in recorded for keys in self.replaces.values() for key in keys)


def scan_disk() -> DiskMigrations | None:
    """Find every app's migrations as ``MigrationLoader.load_disk`` does; None when unsure."""
    names: dict[str, frozenset[str]] = {}
    unmigrated: set[str] = set()
    replaces: dict[Key, tuple[Key, ...]] = {}
    for app_config in apps.get_app_configs():
        label = app_config.label
        module_name, explicit = MigrationLoader.migrations_module(label)
        if module_name is None:
            unmigrated.add(label)
            continue
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if not explicit and MIGRATIONS_MODULE_NAME in (exc.name or "").split("."):
                unmigrated.add(label)
                continue
            return None  # Django raises here; let it say why.
        path = getattr(module, "__path__", None)
        # Not a package, or a namespace package (an empty directory): no migrations.
        if path is None or (
            getattr(module, "__file__", None) is None and not isinstance(path, list)
        ):
            unmigrated.add(label)
            continue
        found = set()
        for info in pkgutil.iter_modules(path):
            if info.ispkg or info.name[0] in "_~":
                continue
            squashed = _replaces(getattr(info.module_finder, "path", None), info.name)
            if squashed is None:
                return None
            if squashed:
                replaces[label, info.name] = squashed
            found.add(info.name)
        names[label] = frozenset(found)
    return DiskMigrations(names, frozenset(unmigrated), replaces)


def _replaces(directory: str | None, name: str) -> tuple[Key, ...] | None:
    """What the migration file replaces (empty for most); None when the source can't tell.

    Only files that mention ``replaces`` at all are parsed, and only a literal class attribute
    is believed: anything computed, inherited or compiled-only sends the caller to Django.
    """
    if directory is None:
        return None
    source = Path(directory, f"{name}.py")
    try:
        text = source.read_bytes()
    except OSError:
        return None
    if b"replaces" not in text:
        return ()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Migration":
            for statement in node.body:
                if (
                    isinstance(statement, ast.Assign)
                    and len(statement.targets) == 1
                    and isinstance(statement.targets[0], ast.Name)
                    and statement.targets[0].id == "replaces"
                ):
                    return _keys(statement.value)
    return None


def _keys(value: ast.expr) -> tuple[Key, ...] | None:
    try:
        literal = ast.literal_eval(value)
    except ValueError:
        return None
    if not isinstance(literal, list | tuple):
        return None
    keys = []
    for item in literal:
        if not (
            isinstance(item, list | tuple)
            and len(item) == 2
            and all(isinstance(part, str) for part in item)
        ):
            return None
        keys.append((item[0], item[1]))
    return tuple(keys)


def table_names(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.table_names(cursor))


def recorded_migrations(connection: BaseDatabaseWrapper, tables: set[str]) -> set[Key]:
    """The (app, name) rows of ``django_migrations``; empty before the first migrate."""
    table = MigrationRecorder.Migration._meta.db_table
    if connection.introspection.identifier_converter(table) not in tables:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app, name FROM {connection.ops.quote_name(table)}")
        return {(app, name) for app, name in cursor.fetchall()}


def missing_syncdb_tables(
    connection: BaseDatabaseWrapper, labels: Iterable[str], tables: set[str]
) -> tuple[str, ...]:
    """Tables ``migrate --run-syncdb`` would create for apps without migrations.

    The same rules as ``migrate``'s ``sync_apps``: routers decide, unmanaged and proxy models
    are skipped, and many-to-many tables come with their model (auto-created ones are left out).
    """
    labels = set(labels)
    converter = connection.introspection.identifier_converter
    missing = []
    for app_config in apps.get_app_configs():
        if app_config.models_module is None or app_config.label not in labels:
            continue
        for model in router.get_migratable_models(
            app_config, connection.alias, include_auto_created=False
        ):
            opts = model._meta
            if not opts.can_migrate(connection):
                continue
            if converter(opts.db_table) not in tables:
                missing.append(opts.db_table)
    return tuple(missing)


def missing_cache_tables(connection: BaseDatabaseWrapper, tables: set[str]) -> tuple[str, ...]:
    """Tables ``createcachetable`` would create on this alias for the DatabaseCache entries."""
    from django.core.cache import caches
    from django.core.cache.backends.db import BaseDatabaseCache

    converter = connection.introspection.identifier_converter
    missing: list[str] = []
    for alias, config in settings.CACHES.items():
        # Look at the class first: other backends are not even instantiated.
        if not issubclass(import_string(config["BACKEND"]), BaseDatabaseCache):
            continue
        cache = cast(BaseDatabaseCache, caches[alias])
        if not router.allow_migrate_model(connection.alias, cache.cache_model_class):
            continue
        table: str = cache._table  # type: ignore[attr-defined]
        if converter(table) not in tables and table not in missing:
            missing.append(table)
    return tuple(missing)


def nothing_to_do(connection: BaseDatabaseWrapper) -> bool:
    """True only when it is certain that staging would change nothing on this connection."""
    disk = scan_disk()
    if disk is None:
        return False
    tables = table_names(connection)
    if not disk.all_recorded(recorded_migrations(connection, tables)):
        return False
    return not (
        missing_syncdb_tables(connection, disk.unmigrated, tables)
        or missing_cache_tables(connection, tables)
        or superuser.missing(connection, tables)
    )


class MigrationConflict(Exception):
    """Two leaf migrations in one app: ``makemigrations --merge`` must settle it first."""


def pending(connection: BaseDatabaseWrapper) -> Pending:
    """Django's own answer: the migration plan ``migrate`` would run, and the rest."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    loader = executor.loader
    loader.check_consistent_history(connection)
    conflicts = loader.detect_conflicts()
    if conflicts:
        detail = "; ".join(f"{', '.join(names)} in {app}" for app, names in conflicts.items())
        raise MigrationConflict(f"conflicting migrations ({detail}): run makemigrations --merge")
    plan = executor.migration_plan(loader.graph.leaf_nodes())
    tables = table_names(connection)
    return Pending(
        migrations=tuple(f"{migration.app_label}.{migration.name}" for migration, _ in plan),
        syncdb_tables=missing_syncdb_tables(connection, loader.unmigrated_apps, tables),
        cache_tables=missing_cache_tables(connection, tables),
        superuser=superuser.missing(connection, tables),
    )
