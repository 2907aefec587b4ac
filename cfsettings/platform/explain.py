"""What the platform settings are and where each came from, for ``python -m cfsettings``.

Each setting of ``docs/platform.rst`` with its value and its source: what cfsettings would set
(a variable, a bound service, the routes, a default), ``settings.py`` when the project's value
differs from that, or Django's default. ``SECRET_KEY`` is never shown, only whether it is set
and from where; everything else goes through the one masker as well.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cfsettings.hosts import routes
from cfsettings.masking import MASK, Masker
from cfsettings.platform.detect import on_cloud_foundry
from cfsettings.platform.health import DEFAULT_PATH, PATH_SETTING
from cfsettings.platform.https import https_settings, trusted_origins
from cfsettings.platform.logging import LOG_LEVEL_VARIABLE, logging_config
from cfsettings.platform.secret_key import (
    DEVELOPMENT_KEY,
    find_secret_key,
    secret_key,
)
from cfsettings.platform.static import static_settings
from cfsettings.resolution import Resolution
from cfsettings.resolve import resolve

#: In the order explain lists them.
NAMES = (
    "DEBUG",
    "SECRET_KEY",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "CSRF_TRUSTED_ORIGINS",
    "LOGGING",
    "STATIC_URL",
    "STATIC_ROOT",
    "STORAGES",
    PATH_SETTING,
)
NOT_SET = "(not set)"


def platform_report(
    environ: Mapping[str, str],
    settings: Any = None,
    masker: Masker | None = None,
    resolution: Resolution | None = None,
) -> dict[str, Any]:
    """``{"cloud_foundry", "settings": [{"name", "value", "source"}], "ignored_routes",
    "errors"}``; ``settings`` is Django's (``manage.py cf_settings``) or ``None`` (what
    cfsettings would set from ``environ`` alone). ``resolution``: ``environ`` resolved, as
    explain has it already."""
    masker = Masker() if masker is None else masker
    errors: list[str] = []
    base_dir = getattr(settings, "BASE_DIR", None) if settings is not None else None
    resolution = resolve(environ) if resolution is None else resolution
    computed, sources = _computed(resolution, errors, masker, base_dir)
    rows = []
    for name in NAMES:
        value, source = computed.get(name, None), sources.get(name)
        if settings is not None:
            value, source = _from_settings(settings, name, value, source)
        elif name not in computed:
            value, source = NOT_SET, source or _not_set(name, environ)
        rows.append({"name": name, "value": _shown(name, value), "source": source})
    ignored: list[str] = []
    # A VCAP_APPLICATION that cannot be read is already among the errors, from https_settings.
    with contextlib.suppress(ImproperlyConfigured):
        ignored = trusted_origins(routes(environ))[1]
    report = {
        "cloud_foundry": on_cloud_foundry(environ),
        "settings": rows,
        "ignored_routes": ignored,
        "errors": errors,
    }
    result: dict[str, Any] = masker.data(report)
    return result


def _computed(
    resolution: Resolution, errors: list[str], masker: Masker, base_dir: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """What cfsettings would set, and why, setting by setting."""
    environ = resolution.environ
    values: dict[str, Any] = {PATH_SETTING: DEFAULT_PATH}
    sources: dict[str, str] = {PATH_SETTING: "cfsettings' default"}
    try:
        key = secret_key(environ=environ, resolution=resolution)
        masker.add(key)
        found = find_secret_key(environ, resolution)
        values["SECRET_KEY"] = key
        sources["SECRET_KEY"] = (
            found[1] if found else "development key (no platform variable is set)"
        )
    except ImproperlyConfigured as exc:
        errors.append(str(exc))
        sources["SECRET_KEY"] = str(exc)
    if not on_cloud_foundry(environ):
        return values, sources
    builders = (
        ("https_settings()", lambda: https_settings(environ=environ)),
        ("logging_config()", lambda: {"LOGGING": logging_config(environ=environ)}),
        # Without the project's BASE_DIR: relative to where the app starts.
        ("static_settings()", lambda: static_settings(environ=environ, base_dir=base_dir or ".")),
    )
    for source, build in builders:
        try:
            built = build()
        except ImproperlyConfigured as exc:
            errors.append(str(exc))
            continue
        values.update(built)
        sources.update(dict.fromkeys(built, source))
    if "CSRF_TRUSTED_ORIGINS" in values:
        sources["CSRF_TRUSTED_ORIGINS"] = "the routes"
    if "LOGGING" in values and environ.get(LOG_LEVEL_VARIABLE, "").strip():
        sources["LOGGING"] = f"logging_config(), level from {LOG_LEVEL_VARIABLE}"
    return values, sources


def _not_set(name: str, environ: Mapping[str, str]) -> str:
    if name == "DEBUG":
        return "the project's: cfsettings never sets it"
    return "not set by cfsettings" if on_cloud_foundry(environ) else "not on Cloud Foundry"


def _from_settings(settings: Any, name: str, computed: Any, source: str | None) -> tuple[Any, str]:
    """The project's value, and whether cfsettings gave it (equal to what it computes)."""
    if not hasattr(settings, name):
        return (computed, source) if name == PATH_SETTING and source else (NOT_SET, "not set")
    value = getattr(settings, name)
    if name == "STATIC_URL" and isinstance(computed, str) and not computed.startswith("/"):
        computed = "/" + computed  # as Django reads it: with the script prefix
    if source is not None and value == computed and name != "DEBUG":
        return value, source
    overridden = getattr(settings, "is_overridden", None)
    if overridden is not None and not overridden(name):
        return value, "Django's default"
    return value, "settings.py"


def _shown(name: str, value: Any) -> Any:
    """``SECRET_KEY`` as the mask (or the development key's name), anything else as is."""
    if name != "SECRET_KEY" or value == NOT_SET or value is None:
        return NOT_SET if value is None else value
    return "(the development key)" if value == DEVELOPMENT_KEY else MASK
