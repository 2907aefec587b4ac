"""System checks for uploads and mail: what would be lost, or fail, only after the deploy.

=================  =======  =========================================================
id                 level    when
=================  =======  =========================================================
cfsettings.W006    Warning  on Cloud Foundry, a model's FileField/ImageField stores on
                            the local disk, which is wiped on every restart
cfsettings.E005    Error    a bucket is bound but django-storages or boto3 is missing
cfsettings.I002    Info     an SMTP relay is bound but names no sender address
=================  =======  =========================================================

Like the other cfsettings checks these never raise: a binding settings.py could not read
has already stopped it, and a storage that cannot be built is E005's business. They read
the resolution ``check_cfsettings`` made for every check.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import AppConfig, apps
from django.conf import global_settings, settings
from django.core import checks

from cfsettings.bindings.sources import VCAP_APPLICATION
from cfsettings.resolution import Resolution, Resolved
from cfsettings.resolve import resolve

#: django-storages' S3 backend and the client it drives.
S3_MODULES = ("storages", "boto3")
S3_INSTALL = 'pip install "cfsettings[s3]"'


def check_storage(
    app_configs: Iterable[AppConfig] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    resolution: Resolution | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """W006, E005 and I002. Run by ``check_cfsettings``, which passes its ``resolution`` and
    masks secrets; called alone, it resolves ``environ`` (``os.environ`` by default)."""
    if resolution is None:
        resolution = resolve(os.environ if environ is None else environ)
    return [
        *_local_uploads(resolution.environ, app_configs),
        *_missing_driver(resolution.storages.services),
        *_no_sender(resolution.email.services),
    ]


def _local_uploads(
    env: Mapping[str, str], app_configs: Iterable[AppConfig] | None
) -> list[checks.CheckMessage]:
    """W006: file fields whose storage is ``FileSystemStorage``, on Cloud Foundry only."""
    if not env.get(VCAP_APPLICATION, "").strip():
        return []
    from django.core.files.storage import FileSystemStorage
    from django.db.models import FileField

    local = []
    for config in apps.get_app_configs() if app_configs is None else app_configs:
        for model in config.get_models():
            for field in model._meta.get_fields():
                if isinstance(field, FileField) and _is_local(field, FileSystemStorage):
                    local.append(f"{model._meta.label}.{field.name}")
    if not local:
        return []
    return [
        checks.Warning(
            f"{', '.join(sorted(local))} {'stores' if len(local) == 1 else 'store'} uploads "
            "on the container's disk (FileSystemStorage) on Cloud Foundry: the disk is wiped "
            "on every restart and not shared between instances, so the files will vanish.",
            hint="Bind an S3-compatible bucket (cf create-service, cf bind-service), "
            f"{S3_INSTALL} and set STORAGES = cfsettings.storages() in settings.py. If "
            "losing the files is fine, add 'cfsettings.W006' to SILENCED_SYSTEM_CHECKS.",
            id="cfsettings.W006",
        )
    ]


def _is_local(field: Any, local_class: type) -> bool:
    try:
        return isinstance(field.storage, local_class)
    except Exception:  # a backend that cannot be built: E005, or Django's own error
        return False


def _missing_driver(buckets: tuple[Resolved, ...]) -> list[checks.CheckMessage]:
    missing = [module for module in S3_MODULES if importlib.util.find_spec(module) is None]
    if not missing:
        return []
    return [
        checks.Error(
            f"Bound service {bucket.service.name!r} is S3-compatible object storage, but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed.",
            hint=f"{S3_INSTALL}, and add it to requirements.txt.",
            id="cfsettings.E005",
        )
        for bucket in buckets
    ]


def _no_sender(relays: tuple[Resolved, ...]) -> list[checks.CheckMessage]:
    """I002, unless settings.py names a sender itself."""
    project_sender = getattr(settings, "DEFAULT_FROM_EMAIL", global_settings.DEFAULT_FROM_EMAIL)
    if project_sender != global_settings.DEFAULT_FROM_EMAIL:
        return []
    return [
        checks.Info(
            f"Bound SMTP relay {resolved.service.name!r} names no sender address, so mail "
            f"goes out from {global_settings.DEFAULT_FROM_EMAIL!r}, which relays refuse "
            "or mark as spam.",
            hint="Add a 'from' address to the binding (cf update-user-provided-service "
            "-p), or set DEFAULT_FROM_EMAIL and SERVER_EMAIL in settings.py.",
            id="cfsettings.I002",
        )
        for resolved in relays
        # No relay: settings.py has already raised for its credentials.
        if resolved.relay is not None and not resolved.relay.sender
    ]
