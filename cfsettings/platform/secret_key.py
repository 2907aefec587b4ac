"""``SECRET_KEY`` from the environment or a bound service, never made up in production.

Every instance of an app must sign with the same key, or sessions and CSRF tokens fail at
random between instances; a key written in ``settings.py`` is in the repository for anyone
to read. So the key comes from ``SECRET_KEY`` or ``DJANGO_SECRET_KEY`` (``cf set-env``), or
from a bound service tagged ``django`` (a user-provided or CredHub service) carrying a
``secret_key`` credential. A development key is handed out only where no platform is in
sight; on Cloud Foundry a missing key stops the app with what to type.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cfsettings.bindings.sources import VCAP_APPLICATION
from cfsettings.errors import improperly_configured
from cfsettings.platform.detect import application_name, on_cloud_foundry

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cfsettings.resolution import Resolution

SECRET_KEY_VARIABLES = ("SECRET_KEY", "DJANGO_SECRET_KEY")
#: A bound service with this tag may carry the key, under one of ``CREDENTIAL_NAMES``.
SERVICE_TAG = "django"
CREDENTIAL_NAMES = ("secret_key", "django_secret_key")
#: Variables that some platform sets: where one is set, this is no developer's laptop.
PLATFORM_VARIABLES = (VCAP_APPLICATION, "CF_INSTANCE_GUID", "KUBERNETES_SERVICE_HOST", "DYNO")
#: Starts with ``django-insecure-`` so that ``check --deploy`` (security.W009) flags it.
DEVELOPMENT_KEY = "django-insecure-cfsettings-development-key-for-this-machine-only"
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"


def secret_key(
    *, environ: Mapping[str, str] | None = None, resolution: Resolution | None = None
) -> str:
    """The app's ``SECRET_KEY``: from the environment or a bound service; a development key
    only where no platform variable is set; otherwise ``ImproperlyConfigured`` saying how to
    set one. ``resolution`` (``cfsettings.resolve``, of the same environment) supplies the
    bound services instead of resolving the environment again."""
    env = os.environ if environ is None else environ
    found = find_secret_key(env, resolution)
    if found is not None:
        return found[0]
    if on_cloud_foundry(env):
        app = application_name(env)
        raise improperly_configured(
            "SECRET_KEY is not set. On Cloud Foundry every instance needs the same key: "
            f'cf set-env {app} SECRET_KEY "$({GENERATE})" and cf restage {app}; or bind a '
            f"service that holds it: cf cups {app}-secrets -p "
            f'\'{{"secret_key":"..."}}\' -t {SERVICE_TAG} and cf bind-service {app} '
            f"{app}-secrets."
        )
    platform = [variable for variable in PLATFORM_VARIABLES if env.get(variable, "").strip()]
    if platform:
        raise improperly_configured(
            f"SECRET_KEY is not set, and {platform[0]} says this is no development machine: "
            f'set SECRET_KEY (e.g. to the output of "{GENERATE}").'
        )
    return DEVELOPMENT_KEY


def find_secret_key(
    environ: Mapping[str, str], resolution: Resolution | None = None
) -> tuple[str, str] | None:
    """The configured key and where it comes from (never the key itself in that text), or
    ``None``. Set in several places with different values is an error: which one signs
    would otherwise depend on precedence rules nobody remembers during an outage. The bound
    services are ``resolution``'s (``environ`` resolved when it is ``None``)."""
    from cfsettings.resolve import resolve

    resolution = resolve(environ) if resolution is None else resolution
    if resolution.error is not None:
        raise improperly_configured(resolution.error)
    found: list[tuple[str, str]] = [
        (environ[variable], variable)
        for variable in SECRET_KEY_VARIABLES
        if environ.get(variable, "").strip()
    ]
    for service in (resolved.service for resolved in resolution.services):
        if SERVICE_TAG not in (tag.lower() for tag in service.tags):
            continue
        for name, value in service.credentials.items():
            if name.lower() not in CREDENTIAL_NAMES:
                continue
            where = f"bound service {service.name!r} ({name})"
            if not isinstance(value, str) or not value.strip():
                raise improperly_configured(
                    f"Bound service {service.name!r} (tagged {SERVICE_TAG!r}): the credential "
                    f"{name!r} must be a non-empty string."
                )
            found.append((value, where))
    if len({value for value, _ in found}) > 1:
        raise improperly_configured(
            "SECRET_KEY is set in several places with different values: "
            f"{', '.join(where for _, where in found)}. Keep one."
        )
    return found[0] if found else None
