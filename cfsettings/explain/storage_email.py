"""Explain buckets and SMTP relays: which bound service became which storage or mail setting.

Plain data, like the rest of the report; every access key, secret and password is masked
through the one ``Masker`` before it leaves. A binding that cannot be read is reported with
its error rather than raised.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cfsettings.email import EMAIL_NAMES, SENDER_NAMES, email_settings, mailers_supported
from cfsettings.masking import Masker
from cfsettings.resolution import Bound, Resolution
from cfsettings.storage import storages


def describe_storage_email(
    resolution: Resolution, masker: Masker, settings: Any = None, mailers: bool | None = None
) -> dict[str, Any]:
    """``{"services": {name: {"becomes": [...], "error": ...}}, "STORAGES": ..., "EMAIL": ...,
    "errors": [...]}``, masked; ``settings`` (Django's) shows the project's own values.
    ``mailers``: relays as Django 6.1's ``MAILERS`` (the default there) or ``EMAIL_*``."""
    mailers = mailers_supported() if mailers is None else mailers
    services: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for resolved in resolution.services:
        masker.learn(resolved.service.credentials)
    for bound in (resolution.storages, resolution.email):
        _describe(bound, masker, services, errors, mailers)
    result = {
        "services": services,
        "STORAGES": _built(lambda: _storages(resolution, settings), errors),
        "EMAIL": _built(lambda: _email(resolution, settings, mailers), errors),
        "errors": errors,
    }
    masker.learn(result["STORAGES"])
    masker.learn(result["EMAIL"])
    # Keys are masked inside the settings only: this record's own keys ("becomes", "error",
    # the service names it is looked up by) are structure, never shown, and a secret such as
    # "beco" must not turn them into something else.
    return {
        "services": masker.data(services),
        "STORAGES": masker.data(result["STORAGES"], keys=True),
        "EMAIL": masker.data(result["EMAIL"], keys=True),
        "errors": masker.data(errors),
    }


def add_storage_email(
    report: dict[str, Any], resolution: Resolution, masker: Masker, settings: Any = None
) -> None:
    """Into an explain report: what each bucket and relay became, STORAGES and EMAIL_*."""
    found = describe_storage_email(resolution, masker, settings)
    for entry in report["services"]:
        if entry["name"] in found["services"]:
            entry["aliases"] = found["services"][entry["name"]]["becomes"]
            entry["error"] = entry["error"] or found["services"][entry["name"]]["error"]
    report["settings"]["STORAGES"], report["settings"]["EMAIL"] = found["STORAGES"], found["EMAIL"]
    report["errors"].extend(error for error in found["errors"] if error not in report["errors"])


def _describe(
    bound: Bound,
    masker: Masker,
    services: dict[str, dict[str, Any]],
    errors: list[str],
    mailers: bool,
) -> None:
    """What each bucket or relay becomes, by the default the resolution chose among them."""
    if bound.default_error is not None:
        errors.append(bound.default_error)
    chosen = bound.default.name if bound.default is not None else None
    for resolved in bound.services:
        name = resolved.service.name
        entry: dict[str, Any] = {"becomes": [], "error": resolved.error}
        services[name] = entry
        becomes = entry["becomes"]
        if resolved.error is not None:
            errors.append(resolved.error)
        elif resolved.bucket is not None:
            bucket = resolved.bucket
            masker.add(bucket.secret_key)
            masker.add(bucket.access_key)
            if name == chosen:
                becomes.append("STORAGES['default']")
            becomes.append(f"STORAGES[{name!r}]")
            becomes += [f"STORAGES[{f'{name}/{b}'!r}]" for b in bucket.additional]
        else:
            relay = resolved.relay
            assert relay is not None, "a bound relay without an error was read"
            masker.add(relay.password)
            if mailers:  # Django 6.1+: every relay is a mailer, one also the default
                if name == chosen:
                    becomes.append("MAILERS['default']")
                becomes.append(f"MAILERS[{name!r}]")
            elif name == chosen:
                becomes.append("EMAIL_HOST and the other EMAIL_* settings")
            elif chosen is not None:
                becomes.append(
                    f"nothing: Django sends through one relay, {chosen!r} "
                    f"(set {bound.family.variable} to choose)"
                )
            if name == chosen and relay.sender:
                becomes.append("DEFAULT_FROM_EMAIL")


def _built(build: Any, errors: list[str]) -> Any:
    try:
        return build()
    except ImproperlyConfigured as exc:
        message = str(exc)
        if message not in errors:
            errors.append(message)
        return {"error": message}


def _storages(resolution: Resolution, settings: Any) -> Any:
    if settings is not None:
        return getattr(settings, "STORAGES", None)
    return storages(resolution=resolution)


def _email(resolution: Resolution, settings: Any, mailers: bool) -> dict[str, Any]:
    """The mail settings: ``MAILERS`` and the senders on Django 6.1+ (plus any deprecated
    ``EMAIL_*`` the project still sets: reading unset ones would only raise warnings), else
    the ``EMAIL_*`` settings."""
    if settings is None:
        return email_settings(resolution=resolution, mailers=mailers)
    names: tuple[str, ...] = EMAIL_NAMES + SENDER_NAMES
    if mailers:
        overridden = getattr(settings, "is_overridden", lambda name: False)
        names = ("MAILERS", *SENDER_NAMES)
        names += tuple(name for name in EMAIL_NAMES if overridden(name))
    return {name: getattr(settings, name, None) for name in names}
