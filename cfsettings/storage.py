"""Build Django's ``STORAGES`` from bound S3-compatible buckets, or the local disk.

A Cloud Foundry container's disk is wiped on every restart and is not shared between
instances, so uploads belong in a bucket. Every bound bucket becomes a storage alias named
after its service (cloud.gov's ``additional_buckets`` as ``<service>/<bucket>``), and one of
them also ``default``, by the rule ``databases()`` uses. ``staticfiles`` stays the project's
choice: Django's own unless ``staticfiles=`` says otherwise.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cfsettings.databases import merge_options
from cfsettings.defaults import with_default
from cfsettings.errors import improperly_configured
from cfsettings.resolve import STORAGE_FAMILY, resolve

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cfsettings.bindings.s3 import Bucket
    from cfsettings.resolution import Resolution

DEFAULT_STORAGE_VARIABLE = STORAGE_FAMILY.variable
S3_BACKEND = "storages.backends.s3.S3Storage"
FILESYSTEM_BACKEND = "django.core.files.storage.FileSystemStorage"
STATICFILES_BACKEND = "django.contrib.staticfiles.storage.StaticFilesStorage"

#: Django's ``FileSystemStorage`` never overwrites an upload of the same name, and neither
#: should a bucket; SigV4 is what MinIO, Ceph and every newer AWS region accept.
S3_DEFAULT_OPTIONS: dict[str, Any] = {"file_overwrite": False, "signature_version": "s3v4"}


def storages(
    default: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    staticfiles: Mapping[str, Any] | None = None,
    s3_options: Mapping[str, Any] | None = None,
    resolution: Resolution | None = None,
) -> dict[str, dict[str, Any]]:
    """A complete ``STORAGES`` setting.

    Bound S3-compatible buckets (``VCAP_SERVICES``), else the local disk (``MEDIA_ROOT``).
    ``default`` (or ``CFSETTINGS_DEFAULT_STORAGE``) names the bound service that becomes
    ``default`` when several are bound. ``staticfiles`` is the ``staticfiles`` entry (Django's
    when not given); ``s3_options`` is merged into every bucket's ``OPTIONS`` (``None``
    removes an option). ``resolution`` (from :func:`cfsettings.resolve.resolve`) is used
    instead of resolving ``environ`` again.
    """
    if resolution is None:
        resolution = resolve(os.environ if environ is None else environ, (STORAGE_FAMILY,))
    static = dict(staticfiles) if staticfiles is not None else {"BACKEND": STATICFILES_BACKEND}
    chosen, members = resolution.members(STORAGE_FAMILY, default)
    if not members:
        return {"default": {"BACKEND": FILESYSTEM_BACKEND}, "staticfiles": static}

    buckets = {r.service.name: r.bucket for r in members if r.bucket is not None}
    if "staticfiles" in buckets:
        raise improperly_configured(
            "Service 'staticfiles' (s3) would take Django's 'staticfiles' storage alias; "
            "rename the service."
        )
    entries = {name: from_bucket(bucket, s3_options) for name, bucket in buckets.items()}
    aliases = with_default(entries, chosen)
    result = {"default": aliases.pop("default"), "staticfiles": static, **aliases}
    for bucket in buckets.values():
        for name in bucket.additional:
            alias = f"{bucket.service}/{name}"
            if alias in result:
                raise improperly_configured(
                    f"Service {bucket.service!r} (s3): 'additional_buckets' names {name!r} "
                    f"twice, or another service is named {alias!r}."
                )
            result[alias] = from_bucket(bucket.other(name), s3_options)
    return result


def from_bucket(bucket: Bucket, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One ``STORAGES`` entry for django-storages' ``S3Storage``."""
    options: dict[str, Any] = {"bucket_name": bucket.name, **S3_DEFAULT_OPTIONS}
    if bucket.access_key:
        options["access_key"] = bucket.access_key
        options["secret_key"] = bucket.secret_key
    if bucket.region:
        options["region_name"] = bucket.region
    if bucket.endpoint_url:
        options["endpoint_url"] = bucket.endpoint_url
    if bucket.path_style:
        options["addressing_style"] = "path"
    return {"BACKEND": S3_BACKEND, "OPTIONS": merge_options(options, overrides)}
