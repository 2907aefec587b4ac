"""Explain buckets and SMTP relays: which bound service became which storage or mail setting.

Plain data, like the rest of the report; every access key, secret and password is masked
through the one ``Masker`` before it leaves. A binding that cannot be read is reported with
its error rather than raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.classify import S3, SMTP, Match, classify
from cfsettings.bindings.s3 import read_bucket
from cfsettings.bindings.smtp import read_relay
from cfsettings.bindings.sources import read_services
from cfsettings.defaults import pick_default, requested_defaults
from cfsettings.email import DEFAULT_EMAIL_VARIABLE, email_settings, mailers_supported
from cfsettings.masking import Masker
from cfsettings.storage import DEFAULT_STORAGE_VARIABLE, storages

#: The mail settings explain shows (Django's, whether cfsettings or the project set them).
EMAIL_NAMES = (
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
    "DEFAULT_FROM_EMAIL",
    "SERVER_EMAIL",
)


def describe_storage_email(
    environ: Mapping[str, str], masker: Masker, settings: Any = None, mailers: bool | None = None
) -> dict[str, Any]:
    """``{"services": {name: {"becomes": [...], "error": ...}}, "STORAGES": ..., "EMAIL": ...,
    "errors": [...]}``, masked; ``settings`` (Django's) shows the project's own values.
    ``mailers``: relays as Django 6.1's ``MAILERS`` (the default there) or ``EMAIL_*``."""
    mailers = mailers_supported() if mailers is None else mailers
    saved = dict(requested_defaults)  # explain must not change what the checks read
    try:
        services: dict[str, dict[str, Any]] = {}
        errors: list[str] = []
        matches = _matches(environ, masker)
        for kind, variable in ((S3, DEFAULT_STORAGE_VARIABLE), (SMTP, DEFAULT_EMAIL_VARIABLE)):
            found = [m for m in matches if m.kind == kind]
            _describe(found, environ, variable, masker, services, errors, mailers)
        result = {
            "services": services,
            "STORAGES": _built(lambda: _storages(environ, settings), errors),
            "EMAIL": _built(lambda: _email(environ, settings, mailers), errors),
            "errors": errors,
        }
    finally:
        requested_defaults.clear()
        requested_defaults.update(saved)
    masker.learn(result["STORAGES"])
    masker.learn(result["EMAIL"])
    masked: dict[str, Any] = masker.data(result, keys=True)
    return masked


def add_storage_email(
    report: dict[str, Any], environ: Mapping[str, str], masker: Masker, settings: Any = None
) -> None:
    """Into an explain report: what each bucket and relay became, STORAGES and EMAIL_*."""
    found = describe_storage_email(environ, masker, settings)
    for entry in report["services"]:
        if entry["name"] in found["services"]:
            entry["aliases"] = found["services"][entry["name"]]["becomes"]
            entry["error"] = entry["error"] or found["services"][entry["name"]]["error"]
    report["settings"]["STORAGES"], report["settings"]["EMAIL"] = found["STORAGES"], found["EMAIL"]
    report["errors"].extend(error for error in found["errors"] if error not in report["errors"])


def _matches(environ: Mapping[str, str], masker: Masker) -> list[Match]:
    try:
        services = read_services(environ)
    except ImproperlyConfigured:
        return []  # the report's bindings section says why
    matches = []
    for service in services:
        masker.learn(service.credentials)
        try:
            decision = classify(service)
        except ImproperlyConfigured:
            continue  # the report's services section says why
        if isinstance(decision, Match) and decision.kind in (S3, SMTP):
            matches.append(decision)
    return matches


def _describe(
    matches: list[Match],
    environ: Mapping[str, str],
    variable: str,
    masker: Masker,
    services: dict[str, dict[str, Any]],
    errors: list[str],
    mailers: bool,
) -> None:
    """What each bucket or relay becomes, once the default among them is known."""
    if not matches:
        return
    try:
        chosen = pick_default(matches, environ.get(variable, "").strip() or None, variable)
    except ImproperlyConfigured as exc:
        errors.append(str(exc))
        chosen = None
    for match in matches:
        name = match.service.name
        entry: dict[str, Any] = {"becomes": [], "error": None}
        services[name] = entry
        try:
            if match.kind == S3:
                bucket = read_bucket(match)
                masker.add(bucket.secret_key)
                masker.add(bucket.access_key)
                if match is chosen:
                    entry["becomes"].append("STORAGES['default']")
                entry["becomes"].append(f"STORAGES[{name!r}]")
                entry["becomes"] += [f"STORAGES[{f'{name}/{b}'!r}]" for b in bucket.additional]
            else:
                relay = read_relay(match)
                masker.add(relay.password)
                if mailers:  # Django 6.1+: every relay is a mailer, one also the default
                    if match is chosen:
                        entry["becomes"].append("MAILERS['default']")
                    entry["becomes"].append(f"MAILERS[{name!r}]")
                elif match is chosen:
                    entry["becomes"].append("EMAIL_HOST and the other EMAIL_* settings")
                elif chosen is not None:
                    entry["becomes"].append(
                        f"nothing: Django sends through one relay, {chosen.service.name!r} "
                        f"(set {variable} to choose)"
                    )
                if match is chosen and relay.sender:
                    entry["becomes"].append("DEFAULT_FROM_EMAIL")
        except ImproperlyConfigured as exc:
            entry["error"] = str(exc)
            errors.append(str(exc))


def _built(build: Any, errors: list[str]) -> Any:
    try:
        return build()
    except ImproperlyConfigured as exc:
        message = str(exc)
        if message not in errors:
            errors.append(message)
        return {"error": message}


def _storages(environ: Mapping[str, str], settings: Any) -> Any:
    if settings is not None:
        return getattr(settings, "STORAGES", None)
    return storages(environ=environ)


def _email(environ: Mapping[str, str], settings: Any, mailers: bool) -> dict[str, Any]:
    """The mail settings: ``MAILERS`` and the senders on Django 6.1+ (plus any deprecated
    ``EMAIL_*`` the project still sets: reading unset ones would only raise warnings), else
    the ``EMAIL_*`` settings."""
    if settings is None:
        return email_settings(environ=environ, mailers=mailers)
    names: tuple[str, ...] = EMAIL_NAMES
    if mailers:
        overridden = getattr(settings, "is_overridden", lambda name: False)
        names = ("MAILERS", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL")
        names += tuple(name for name in EMAIL_NAMES[:-2] if overridden(name))
    return {name: getattr(settings, name, None) for name in names}
