"""Static files on Cloud Foundry: a ``STATIC_ROOT`` for the buildpack, WhiteNoise to serve it.

The Python buildpack runs ``manage.py collectstatic --noinput`` while staging whenever Django
is installed, and staging fails if ``STATIC_ROOT`` is not set. Nothing in front of the app
serves files, so the app does it: with WhiteNoise (``pip install "cfsettings[whitenoise]"``),
compressed, with far-future caching of the hashed names ``ManifestStaticFilesStorage``
writes. Without WhiteNoise only ``STATIC_ROOT`` is set, and serving is the project's choice.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cfsettings.platform.detect import on_cloud_foundry

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

STATIC_DIRECTORY = "staticfiles"
STATIC_URL = "static/"
WHITENOISE_MIDDLEWARE = "whitenoise.middleware.WhiteNoiseMiddleware"
WHITENOISE_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"
#: Django's own default ``STORAGES``: one entry replaced must leave the other in place.
DJANGO_STORAGES: dict[str, dict[str, str]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def whitenoise_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("whitenoise") is not None


def static_settings(
    *,
    environ: Mapping[str, str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    whitenoise: bool | None = None,
) -> dict[str, Any]:
    """``STATIC_URL``, ``STATIC_ROOT`` (``<base_dir>/staticfiles``; the current directory, the
    app's root on Cloud Foundry, by default) and, with WhiteNoise, ``STORAGES`` with its
    storage for static files; ``{}`` off Cloud Foundry. ``whitenoise``: use it (default:
    when installed). Add ``WHITENOISE_MIDDLEWARE`` after ``SecurityMiddleware`` yourself, or
    let ``configure()`` do it."""
    env = os.environ if environ is None else environ
    if not on_cloud_foundry(env):
        return {}
    root = os.fspath(base_dir) if base_dir is not None else os.getcwd()
    result: dict[str, Any] = {
        "STATIC_URL": STATIC_URL,
        "STATIC_ROOT": os.path.join(root, STATIC_DIRECTORY),
    }
    if whitenoise_installed() if whitenoise is None else whitenoise:
        result["STORAGES"] = {**DJANGO_STORAGES, "staticfiles": {"BACKEND": WHITENOISE_STORAGE}}
    return result
