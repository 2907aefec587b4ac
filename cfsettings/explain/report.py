"""Explain what cfsettings decided and why: ``python -m cfsettings`` and ``manage.py cf_settings``.

For every bound service: its name, label and tags, the kind it was recognised as and the rule
that decided (or why it was ignored, or what is wrong with it), and the aliases it became;
then the ``DATABASES``, ``CACHES`` and ``ALLOWED_HOSTS`` that result. Every secret is masked
(see ``redact``) before anything is printed, and a broken binding is reported rather than
raised: a failing deploy is exactly when this is needed.

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
from cfsettings.bindings.classify import (
    CACHE_KINDS,
    DATABASE_KINDS,
    MEMCACHED,
    MYSQL,
    POSTGRESQL,
    REDIS,
    S3,
    SMTP,
    Ignored,
    Match,
    classify,
)
from cfsettings.bindings.endpoint import read_endpoint
from cfsettings.bindings.sources import (
    SOURCES,
    VCAP_SERVICES,
    binding_source,
    read_application,
    read_services,
)
from cfsettings.bindings.tls import CERT_DIR_VARIABLE, default_cert_dir
from cfsettings.caches import DEFAULT_CACHE_VARIABLE, REDIS_URL, caches
from cfsettings.connections import Connecting
from cfsettings.databases import DATABASE_URL, DEFAULT_DATABASE_VARIABLE, databases
from cfsettings.defaults import pick_default, requested_defaults
from cfsettings.explain.storage_email import add_storage_email
from cfsettings.hosts import INTERNAL_IP_VARIABLE, allowed_hosts
from cfsettings.masking import Masker
from cfsettings.platform.explain import platform_report
from cfsettings.platform.logging import LOG_LEVEL_VARIABLE
from cfsettings.platform.secret_key import SECRET_KEY_VARIABLES

KIND_NAMES = {
    MYSQL: "MySQL",
    POSTGRESQL: "PostgreSQL",
    REDIS: "Redis",
    MEMCACHED: "Memcached",
    S3: "S3-compatible object storage",
    SMTP: "an SMTP relay",
}
WIDTH = 80

#: The variables of ``cf env``'s "User-Provided" section that change cfsettings' decisions.
USER_VARIABLES = (
    DATABASE_URL,
    REDIS_URL,
    DEFAULT_DATABASE_VARIABLE,
    DEFAULT_CACHE_VARIABLE,
    INTERNAL_IP_VARIABLE,
    *SECRET_KEY_VARIABLES,
    LOG_LEVEL_VARIABLE,
)

#: What each kind of setting is called, the variables that steer it, and how it is built.
FAMILIES = {
    "DATABASES": (DATABASE_KINDS, DEFAULT_DATABASE_VARIABLE, DATABASE_URL, "database"),
    "CACHES": (CACHE_KINDS, DEFAULT_CACHE_VARIABLE, REDIS_URL, "cache"),
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
    ``DATABASES``, ``CACHES`` and ``ALLOWED_HOSTS``; without it they are computed from
    ``environ`` with cfsettings' defaults, as ``settings.py`` would get them with no arguments.
    ``masker`` ends up knowing every secret seen, for a last pass over the printed text.
    """
    masker = Masker() if masker is None else masker
    for variable in (DATABASE_URL, REDIS_URL):
        masker.learn(environ.get(variable, ""))
    saved = dict(requested_defaults)  # explain must not change what the checks read
    try:
        with tempfile.TemporaryDirectory(prefix="cfsettings-explain-") as scratch:
            cert_dir = os.path.join(scratch, "certs")
            report = _collect(environ, settings, origin, masker, cert_dir)
            masked = masker.data(report)
            for name in ("DATABASES", "CACHES", "ALLOWED_HOSTS"):  # aliases, option names
                masked["settings"][name] = masker.data(report["settings"][name], keys=True)
    finally:
        requested_defaults.clear()
        requested_defaults.update(saved)
    shown_dir = environ.get(CERT_DIR_VARIABLE) or default_cert_dir()
    result: dict[str, Any] = _replace_prefix(masked, cert_dir, shown_dir)
    return result


def _collect(
    environ: Mapping[str, str],
    settings: Any,
    origin: str,
    masker: Masker,
    cert_dir: str,
) -> dict[str, Any]:
    errors: list[str] = []
    source, ignored = binding_source(environ)
    report: dict[str, Any] = {
        "cfsettings": __version__,
        "origin": origin,
        "bindings": {
            "source": source,
            "location": environ[source].strip() if source and source != VCAP_SERVICES else None,
            "ignored": ignored,
            "precedence": list(SOURCES),
            "error": None,
        },
        "cloud_foundry": _platform(environ, errors),
        "services": [],
        "defaults": {},
        "settings": {"from": "settings.py" if settings is not None else "cfsettings defaults"},
        "errors": errors,
    }
    try:
        services = read_services(environ)
    except ImproperlyConfigured as exc:
        report["bindings"]["error"] = str(exc)
        errors.append(str(exc))
        services = []
    for service in services:
        masker.learn(service.credentials)

    decisions: list[Match] = []
    for service in services:
        entry: dict[str, Any] = {
            "name": service.name,
            "label": service.label,
            "tags": list(service.tags),
            "plan": service.plan,
            "source": service.source,
            "kind": None,
            "rule": None,
            "ignored": None,
            "error": None,
            "aliases": [],
        }
        report["services"].append(entry)
        try:
            decision = classify(service)
            if isinstance(decision, Ignored):
                entry["ignored"] = decision.reason
                continue
            entry["kind"], entry["rule"] = decision.kind, decision.rule
            if decision.kind in DATABASE_KINDS + CACHE_KINDS:  # buckets, relays: elsewhere
                endpoint = read_endpoint(decision)
                if endpoint.password:
                    masker.add(endpoint.password)
            if decision.kind in DATABASE_KINDS:  # poolers, ASGI, limit: cfsettings.connections
                plan = Connecting(environ, None, None).plan(endpoint, service.credentials)
                entry["connections"] = plan.as_data()
            decisions.append(decision)
        except ImproperlyConfigured as exc:
            entry["error"] = str(exc)
            errors.append(str(exc))

    computed = _settings(environ, settings, cert_dir, errors)
    for name in ("DATABASES", "CACHES"):
        masker.learn(computed.get(name))
        report["defaults"][name] = _default(name, environ, decisions, computed, settings, report)
    report["settings"].update(computed)
    report["platform"] = platform_report(environ, settings, masker)
    add_storage_email(report, environ, masker, settings)
    return report


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
            "DATABASES": lambda: databases(environ=environ, cert_dir=cert_dir),
            "CACHES": lambda: caches(environ=environ, cert_dir=cert_dir),
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


def _default(
    name: str,
    environ: Mapping[str, str],
    decisions: list[Match],
    computed: dict[str, Any],
    settings: Any,
    report: dict[str, Any],
) -> dict[str, Any]:
    """Which service became ``default`` for DATABASES or CACHES, and why; sets the aliases."""
    kinds, variable, url_variable, noun = FAMILIES[name]
    matches = [match for match in decisions if match.kind in kinds]
    url_set = bool(environ.get(url_variable, "").strip())
    value = computed.get(name)
    result: dict[str, Any] = {"service": None, "why": "", url_variable: None}
    if not matches:
        result[url_variable] = "used" if url_set else "not set"
        result["why"] = (
            f"no {noun} service is bound; {url_variable} is used"
            if url_set
            else f"no {noun} service is bound and {url_variable} is not set, so the fallback "
            "is used"
        )
        return result
    result[url_variable] = (
        f"set, but ignored: bound {noun} services come first" if url_set else "not set"
    )
    requested = environ.get(variable, "").strip() or None
    if settings is not None and requested is None:
        requested = requested_defaults.get(variable)
    try:
        chosen = pick_default(matches, requested, variable)
    except ImproperlyConfigured as exc:
        result["why"] = str(exc)
        return result
    names = sorted(match.service.name for match in matches)
    if environ.get(variable, "").strip():
        why = f"named by {variable}"
    elif requested:
        why = f"named by {noun}s(default=...) in settings.py"
    elif len(matches) == 1:
        why = f"the only {noun} service"
    else:
        why = f"first by name of {', '.join(repr(n) for n in names)}; set {variable} to choose"
    result.update(service=chosen.service.name, why=why)
    built = value if isinstance(value, dict) and not failed(value) else {}
    for entry in report["services"]:
        if entry["name"] in names and entry["name"] in built:
            aliases = [entry["name"]]
            if entry["name"] == chosen.service.name and same_entry(
                built.get("default"), built[entry["name"]]
            ):
                aliases.insert(0, "default")
            entry["aliases"] = [f"{name}[{alias!r}]" for alias in aliases]
    return result


def failed(value: Any) -> bool:
    """Whether a setting is the ``{"error": message}`` of one that could not be built."""
    return isinstance(value, dict) and set(value) == {"error"}


def same_entry(default: Any, entry: Any) -> bool:
    """Whether ``default`` is a copy of ``entry`` (a database's copy lacks its TEST mirror)."""
    if not isinstance(default, dict) or not isinstance(entry, dict):
        return False
    return {k: v for k, v in default.items() if k != "TEST"} == {
        k: v for k, v in entry.items() if k != "TEST"
    }


def _replace_prefix(value: Any, old: str, new: str) -> Any:
    """``value`` with every string starting with ``old`` (a scratch directory) made ``new``."""
    if isinstance(value, dict):
        return {key: _replace_prefix(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_prefix(item, old, new) for item in value]
    if isinstance(value, str) and value.startswith(old):
        return new + value[len(old) :]
    return value
