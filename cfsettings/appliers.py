"""``cfsettings.configure(globals())``: every cfsettings setting in one line, none imposed.

Called at the end of ``settings.py``, it fills in what the project left open and never
replaces what the project set. "Set by the project" means the name is in the settings module,
except for the values ``django-admin startproject`` writes before anyone has decided
anything: ``ALLOWED_HOSTS = []``; Django 6.1's ``MAILERS`` with only the console backend; a
``DATABASES`` whose only entry is ``default`` with a SQLite ``ENGINE`` and ``NAME`` and
nothing else (``databases()`` gets that ``NAME`` as its fallback,
so nothing changes without a bound service); and, on Cloud Foundry, a ``SECRET_KEY`` that is
empty or starts with ``django-insecure-`` (it is in the repository). ``DEBUG`` is never
touched: ``cfsettings.W005`` warns when it is on on Cloud Foundry.

Each kind of setting is one applier in ``APPLIERS``; a new family is one more line there.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cfsettings.caches import caches
from cfsettings.databases import SQLITE_ENGINE, databases
from cfsettings.hosts import allowed_hosts
from cfsettings.resolve import resolve

# Not named configure.py: importing a module ``cfsettings.configure`` would replace the function
# of that name in the package. ``import cfsettings`` imports this module only when
# ``configure`` is first used, and each applier imports its family's module when called.

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping
    from typing import Any

    from cfsettings.resolution import Resolution

APP = "cfsettings"
#: Named, not imported: the middleware's module imports Django, settings modules must not.
HEALTH_MIDDLEWARE = "cfsettings.platform.health.HealthCheckMiddleware"
INSECURE_KEY_PREFIX = "django-insecure-"
#: What ``startproject`` writes on Django 6.1 and later: a placeholder, like its SQLite.
STARTPROJECT_MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}


class Context:
    """What an applier sees: the settings module, the environment (and its one resolution,
    which every builder reads), and what the project set.

    A plain class: ``dataclasses`` would import ``copy`` into every worker's settings."""

    __slots__ = ("applied", "environ", "on_cloud_foundry", "project", "resolution", "settings")

    def __init__(
        self,
        settings: MutableMapping[str, Any],
        environ: Mapping[str, str],
        on_cloud_foundry: bool,
        project: frozenset[str],
    ) -> None:
        self.settings = settings
        self.environ = environ
        self.resolution: Resolution = resolve(environ)
        self.on_cloud_foundry = on_cloud_foundry
        self.project = project
        self.applied: dict[str, str] = {}

    def offer(self, name: str, value: Any, source: str) -> None:
        """Set ``name`` unless the project set it."""
        if name not in self.project:
            self.settings[name] = value
            self.applied[name] = source

    def offer_all(self, values: Mapping[str, Any], source: str) -> None:
        for name, value in values.items():
            self.offer(name, value, source)

    def offer_entries(self, name: str, entries: Mapping[str, Any], source: str) -> None:
        """Set entries of a dict setting (``STORAGES``) the project did not set, keeping
        Django's default entries and those an earlier applier set."""
        if name in self.project:
            return
        current = self.settings.get(name, dict_default(name))
        self.settings[name] = {**current, **entries}
        self.applied[name] = source

    def add(self, name: str, item: str, position: int | None = None) -> None:
        """Add ``item`` to a list setting (``INSTALLED_APPS``, ``MIDDLEWARE``) once, keeping
        the list's type; ``position`` ``None`` appends."""
        current = self.settings.get(name, [])
        if item in current:
            return
        items = list(current)
        items.insert(len(items) if position is None else position, item)
        self.settings[name] = tuple(items) if isinstance(current, tuple) else items
        added = f"{item} added"
        self.applied[name] = f"{self.applied[name]}; {added}" if name in self.applied else added


def dict_default(name: str) -> Mapping[str, Any]:
    """Django's default of a dict setting whose entries appliers fill in one by one."""
    from cfsettings.platform.static import DJANGO_STORAGES

    return DJANGO_STORAGES if name == "STORAGES" else {}


def set_by_project(name: str, value: Any, on_cf: bool) -> bool:
    """Whether the settings module's ``value`` for ``name`` is the project's decision, not a
    ``startproject`` placeholder (see the module docstring)."""
    if name == "ALLOWED_HOSTS":
        return bool(value)
    if name == "DATABASES":
        return startproject_sqlite(value) is None
    if name == "MAILERS":
        return not (isinstance(value, dict) and value == STARTPROJECT_MAILERS)
    if name == "SECRET_KEY" and (not value or not isinstance(value, str)):
        return False
    if name == "SECRET_KEY" and on_cf:
        return not value.startswith(INSECURE_KEY_PREFIX)
    return True


def startproject_sqlite(value: Any) -> str | os.PathLike[str] | None:
    """The file of a ``DATABASES`` shaped as ``startproject`` writes it, else ``None``."""
    if not isinstance(value, dict) or list(value) != ["default"]:
        return None
    entry = value["default"]
    if not isinstance(entry, dict) or set(entry) != {"ENGINE", "NAME"}:
        return None
    name = entry["NAME"]
    if entry["ENGINE"] != SQLITE_ENGINE or not isinstance(name, (str, os.PathLike)):
        return None
    return name


def base_dir(context: Context) -> str:
    """The project's ``BASE_DIR`` (a ``Path`` or, from ``wagtail start``, a string), or the
    current directory: on Cloud Foundry the app's root, where ``manage.py`` is."""
    value = context.settings.get("BASE_DIR")
    return os.fspath(value) if isinstance(value, (str, os.PathLike)) else os.getcwd()


def apply_databases(context: Context) -> None:
    if "DATABASES" in context.project:
        return
    placeholder = startproject_sqlite(context.settings.get("DATABASES"))
    path = placeholder or os.path.join(base_dir(context), "db.sqlite3")
    built = databases(resolution=context.resolution, sqlite_path=path)
    context.offer("DATABASES", built, "databases()")


def apply_caches(context: Context) -> None:
    if "CACHES" not in context.project:
        context.offer("CACHES", caches(resolution=context.resolution), "caches()")


def apply_allowed_hosts(context: Context) -> None:
    if "ALLOWED_HOSTS" not in context.project:
        context.offer("ALLOWED_HOSTS", allowed_hosts(environ=context.environ), "allowed_hosts()")


def apply_secret_key(context: Context) -> None:
    from cfsettings.platform.secret_key import secret_key

    if "SECRET_KEY" not in context.project:
        key = secret_key(environ=context.environ, resolution=context.resolution)
        context.offer("SECRET_KEY", key, "secret_key()")


def apply_platform(context: Context) -> None:
    """HTTPS, logging and static files: only on Cloud Foundry."""
    if not context.on_cloud_foundry:
        return
    from cfsettings.platform.https import https_settings
    from cfsettings.platform.logging import logging_config
    from cfsettings.platform.static import (
        SECURITY_MIDDLEWARE,
        WHITENOISE_MIDDLEWARE,
        static_settings,
    )

    context.offer_all(https_settings(environ=context.environ), "https_settings()")
    context.offer("LOGGING", logging_config(environ=context.environ), "logging_config()")
    static = static_settings(environ=context.environ, base_dir=base_dir(context))
    storages = static.pop("STORAGES", None)
    context.offer_all(static, "static_settings()")
    if storages is not None:
        context.offer_entries(
            "STORAGES", {"staticfiles": storages["staticfiles"]}, "static_settings()"
        )
        # Right after SecurityMiddleware, as WhiteNoise asks: its redirects and headers first.
        middleware = list(context.settings.get("MIDDLEWARE", []))
        security = SECURITY_MIDDLEWARE in middleware
        after = middleware.index(SECURITY_MIDDLEWARE) + 1 if security else 0
        context.add("MIDDLEWARE", WHITENOISE_MIDDLEWARE, after)


def apply_storage(context: Context) -> None:
    """Uploads to the bound bucket(s); with none bound, Django's own ``default`` stays."""
    if "STORAGES" in context.project:
        return
    from cfsettings.storage import FILESYSTEM_BACKEND, storages

    entries = storages(resolution=context.resolution)
    del entries["staticfiles"]  # the project's, or static_settings()'s on Cloud Foundry
    if entries["default"]["BACKEND"] != FILESYSTEM_BACKEND:
        context.offer_entries("STORAGES", entries, "storages()")


def apply_email(context: Context) -> None:
    """The bound relay; with none, the console backend off the platform (mail is printed) and
    Django's own default on it. A project that set any mail setting keeps its own set-up."""
    from cfsettings.email import CONSOLE_BACKEND, EMAIL_NAMES, email_settings

    if ({"MAILERS", *EMAIL_NAMES} - {"EMAIL_TIMEOUT"}) & context.project:
        return  # any mail setting but a timeout means the project chose its own set-up

    local = None if context.on_cloud_foundry else CONSOLE_BACKEND
    context.offer_all(
        email_settings(resolution=context.resolution, local_backend=local), "email_settings()"
    )


def apply_app_and_middleware(context: Context) -> None:
    """cfsettings' checks and commands; the health check answered first of all."""
    if not {APP, "cfsettings.apps.CfSettingsConfig"} & set(
        context.settings.get("INSTALLED_APPS", [])
    ):
        context.add("INSTALLED_APPS", APP)
    context.add("MIDDLEWARE", HEALTH_MIDDLEWARE, 0)


#: In order: storage before the platform's static files, which add ``staticfiles`` beside.
APPLIERS: tuple[Callable[[Context], None], ...] = (
    apply_databases,
    apply_caches,
    apply_allowed_hosts,
    apply_secret_key,
    apply_storage,
    apply_email,
    apply_platform,
    apply_app_and_middleware,
)


def configure(
    settings: MutableMapping[str, Any], *, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Apply cfsettings to a settings module's namespace (``globals()``) without replacing
    anything the project set; returns each setting it set or changed, with its source."""
    from cfsettings.platform.detect import on_cloud_foundry

    env = os.environ if environ is None else environ
    on_cf = on_cloud_foundry(env)
    project = frozenset(
        name
        for name, value in settings.items()
        if name.isupper() and set_by_project(name, value, on_cf)
    )
    context = Context(settings, env, on_cf, project)
    for applier in APPLIERS:
        applier(context)
    return context.applied
