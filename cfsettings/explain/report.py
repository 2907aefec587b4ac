"""Explain what cfsettings decided and why: ``python -m cfsettings`` and ``manage.py cf_settings``.

For every bound service: its name, label and tags, the kind it was recognised as and the rule
that decided (or why it was ignored, or what is wrong with it), and the aliases it became;
then the ``DATABASES``, ``CACHES`` and ``ALLOWED_HOSTS`` that result. All of it is read from
one ``Resolution`` (``cfsettings.resolve``), the one ``databases()`` and the checks read, and
from the project's settings when there are some. Every secret is masked (``masking``) before
anything is printed, and a broken binding is reported rather than raised: a failing deploy is
exactly when this is needed.

The report is plain data (``build_report``), printed as text for people or as JSON for
machines. Nothing is written to disk: certificates go to a temporary directory, and their
paths are shown where the app would write them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cfsettings import __version__
from cfsettings.bindings.service import CERT_DIR_VARIABLE
from cfsettings.bindings.sources import SOURCES, VCAP_SERVICES, read_application
from cfsettings.bindings.tls import default_cert_dir
from cfsettings.caches import caches
from cfsettings.connections import Connecting
from cfsettings.databases import databases
from cfsettings.defaults import (
    ARGUMENT,
    FIRST_BY_NAME,
    NAMED_DEFAULT,
    ONLY,
    VARIABLE,
    DefaultChoice,
    copied_service,
    same_entry,
)
from cfsettings.explain.storage_email import add_storage_email
from cfsettings.hosts import INTERNAL_IP_VARIABLE, allowed_hosts
from cfsettings.masking import Masker
from cfsettings.platform.explain import platform_report
from cfsettings.platform.logging import LOG_LEVEL_VARIABLE
from cfsettings.platform.secret_key import SECRET_KEY_VARIABLES
from cfsettings.resolution import Bound, Resolution, Resolved
from cfsettings.resolve import CACHE_FAMILY, DATABASE_FAMILY, URL_FAMILIES, resolve

WIDTH = 80

#: The variables of ``cf env``'s "User-Provided" section that change cfsettings' decisions.
USER_VARIABLES = (
    DATABASE_FAMILY.url_variable,
    CACHE_FAMILY.url_variable,
    DATABASE_FAMILY.variable,
    CACHE_FAMILY.variable,
    INTERNAL_IP_VARIABLE,
    *SECRET_KEY_VARIABLES,
    LOG_LEVEL_VARIABLE,
)

#: How a default was chosen, as explain says it; ``{noun}``, ``{variable}``, ``{names}``.
WHY = {
    ARGUMENT: "named by {noun}s(default=...) in settings.py",
    VARIABLE: "named by {variable}",
    ONLY: "the only {noun} service",
    NAMED_DEFAULT: "named 'default', which is Django's default alias",
    FIRST_BY_NAME: "first by name of {names}; set {variable} to choose",
}


def build_report(
    environ: Mapping[str, str],
    *,
    settings: Any = None,
    origin: str = "the environment",
    masker: Masker | None = None,
) -> dict[str, Any]:
    """Everything explain shows, as JSON-ready data with every secret masked.

    ``settings`` (Django's, for ``manage.py cf_settings``) shows the project's own
    ``DATABASES``, ``CACHES`` and ``ALLOWED_HOSTS``; without it they are built from the
    resolution of ``environ`` with cfsettings' defaults, as ``settings.py`` would get them
    with no arguments. ``masker`` ends up knowing every secret seen, for a last pass over the
    printed text.
    """
    masker = Masker() if masker is None else masker
    for family in URL_FAMILIES:
        masker.learn(environ.get(family.url_variable, ""))
    resolution = resolve(environ)
    with tempfile.TemporaryDirectory(prefix="cfsettings-explain-") as scratch:
        cert_dir = os.path.join(scratch, "certs")
        report = _collect(environ, resolution, settings, origin, masker, cert_dir)
        masked = masker.data(report)
        for name in ("DATABASES", "CACHES", "ALLOWED_HOSTS"):  # aliases, option names
            masked["settings"][name] = masker.data(report["settings"][name], keys=True)
    shown_dir = environ.get(CERT_DIR_VARIABLE) or default_cert_dir()
    result: dict[str, Any] = _replace_prefix(masked, cert_dir, shown_dir)
    return result


def _collect(
    environ: Mapping[str, str],
    resolution: Resolution,
    settings: Any,
    origin: str,
    masker: Masker,
    cert_dir: str,
) -> dict[str, Any]:
    errors: list[str] = []
    source = resolution.source
    report: dict[str, Any] = {
        "cfsettings": __version__,
        "origin": origin,
        "bindings": {
            "source": source,
            "location": environ[source].strip() if source and source != VCAP_SERVICES else None,
            "ignored": list(resolution.ignored_sources),
            "precedence": list(SOURCES),
            "error": resolution.error,
        },
        "cloud_foundry": _platform(environ, errors),
        "services": [],
        "defaults": {},
        "settings": {"from": "settings.py" if settings is not None else "cfsettings defaults"},
        "errors": errors,
    }
    if resolution.error is not None:
        errors.append(resolution.error)
    for resolved in resolution.services:
        masker.learn(resolved.service.credentials)
    for resolved in resolution.services:
        entry = _service(resolved, resolution.environ, masker)
        report["services"].append(entry)
        if entry["error"] is not None:
            errors.append(entry["error"])

    computed = _settings(environ, resolution, settings, cert_dir, errors)
    for bound in (resolution.databases, resolution.caches):
        name = bound.family.setting
        masker.learn(computed.get(name))
        report["defaults"][name] = _default(bound, computed.get(name), settings, report)
    report["settings"].update(computed)
    report["platform"] = platform_report(environ, settings, masker, resolution)
    add_storage_email(report, resolution, masker, settings)
    return report


def _service(resolved: Resolved, environ: Mapping[str, str], masker: Masker) -> dict[str, Any]:
    """One bound service as explain shows it. ``notes``: where its credentials disagreed on
    the host, port or database, which source was used and why (issue 12)."""
    service, match, ignored = resolved.service, resolved.match, resolved.ignored
    endpoint = resolved.endpoint
    entry: dict[str, Any] = {
        "name": service.name,
        "label": service.label,
        "tags": list(service.tags),
        "plan": service.plan,
        "source": service.source,
        "kind": match.kind if match else None,
        "rule": match.rule if match else None,
        "ignored": ignored.reason if ignored else None,
        "error": resolved.error,
        "aliases": [],
        "notes": list(endpoint.notes) if endpoint is not None else [],
    }
    if endpoint is not None and endpoint.password:
        masker.add(endpoint.password)
    if endpoint is not None and endpoint.kind in DATABASE_FAMILY.kinds:
        # Poolers, ASGI, the stated limit: cfsettings.connections.
        try:
            plan = Connecting(environ, None, None).plan(endpoint, service.credentials)
        except ImproperlyConfigured as exc:
            entry["error"] = str(exc)
        else:
            entry["connections"] = plan.as_data()
    return entry


def _platform(environ: Mapping[str, str], errors: list[str]) -> dict[str, Any]:
    try:
        application = read_application(environ)
    except ImproperlyConfigured as exc:
        errors.append(str(exc))
        return {"running": True, "application": None, "error": str(exc)}
    if application is None:
        return {"running": False, "application": None, "error": None}
    name = application.get("application_name", application.get("name"))
    return {
        "running": True,
        "application": name if isinstance(name, str) else None,
        "error": None,
    }


def _settings(
    environ: Mapping[str, str],
    resolution: Resolution,
    settings: Any,
    cert_dir: str,
    errors: list[str],
) -> dict[str, Any]:
    """The three settings, each either its value or ``{"error": message}``."""
    builders: dict[str, Callable[[], Any]]
    if settings is not None:
        builders = {
            name: (lambda name=name: getattr(settings, name, None))  # type: ignore[misc]
            for name in ("DATABASES", "CACHES", "ALLOWED_HOSTS")
        }
    else:
        builders = {
            "DATABASES": lambda: databases(resolution=resolution, cert_dir=cert_dir),
            "CACHES": lambda: caches(resolution=resolution, cert_dir=cert_dir),
            "ALLOWED_HOSTS": lambda: allowed_hosts(environ=environ),
        }
    result: dict[str, Any] = {}
    for name, build in builders.items():
        try:
            result[name] = build()
        except ImproperlyConfigured as exc:
            message = str(exc)
            result[name] = {"error": message}
            if message not in errors:
                errors.append(message)
    return result


def _default(bound: Bound, value: Any, settings: Any, report: dict[str, Any]) -> dict[str, Any]:
    """Which service became ``default`` for DATABASES or CACHES, and why; sets the aliases."""
    family = bound.family
    url_variable, noun = family.url_variable, family.noun
    result: dict[str, Any] = {"service": None, "why": "", url_variable: None}
    if not bound.services:
        result[url_variable] = "used" if bound.url else "not set"
        result["why"] = (
            f"no {noun} service is bound; {url_variable} is used"
            if bound.url
            else f"no {noun} service is bound and {url_variable} is not set, so the fallback "
            "is used"
        )
        return result
    result[url_variable] = (
        f"set, but ignored: bound {noun} services come first" if bound.url else "not set"
    )
    choice = _choice(bound, value) if settings is not None else bound.default
    if choice is None:
        result["why"] = bound.default_error
        return result
    names = sorted(bound.names)
    why = WHY[choice.how].format(
        noun=noun, variable=family.variable, names=", ".join(repr(n) for n in names)
    )
    result.update(service=choice.name, why=why)
    built = value if isinstance(value, dict) and not failed(value) else {}
    for entry in report["services"]:
        if entry["name"] in names and entry["name"] in built:
            aliases = [entry["name"]]
            if entry["name"] == choice.name != "default" and same_entry(
                built.get("default"), built[entry["name"]]
            ):
                aliases.insert(0, "default")
            entry["aliases"] = [f"{family.setting}[{alias!r}]" for alias in aliases]
    return result


def _choice(bound: Bound, value: Any) -> DefaultChoice | None:
    """The default the project's setting shows: the resolution's own choice, unless the
    ``default`` entry is a copy of another bound service's, which only ``default=`` makes."""
    default = bound.default
    candidates = ([default.name] if default else []) + bound.names
    copied = copied_service(value, candidates)
    if copied is not None and (default is None or copied != default.name):
        return DefaultChoice(copied, ARGUMENT)
    return default


def failed(value: Any) -> bool:
    """Whether a setting is the ``{"error": message}`` of one that could not be built."""
    return isinstance(value, dict) and set(value) == {"error"}


def _replace_prefix(value: Any, old: str, new: str) -> Any:
    """``value`` with every string starting with ``old`` (a scratch directory) made ``new``."""
    if isinstance(value, dict):
        return {key: _replace_prefix(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_prefix(item, old, new) for item in value]
    if isinstance(value, str) and value.startswith(old):
        return new + value[len(old) :]
    return value
