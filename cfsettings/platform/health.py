"""Answer Cloud Foundry's HTTP health check before anything can refuse it.

With ``health-check-type: http`` the platform requests ``health-check-http-endpoint`` on the
container's own address (``CF_INSTANCE_INTERNAL_IP``, also the ``Host``), over plain HTTP and
without ``X-Forwarded-Proto``. Behind the usual middleware that request gets a 301 to HTTPS
(``SECURE_SSL_REDIRECT``) or a 400 (a ``Host`` outside ``ALLOWED_HOSTS``), the check fails and
the platform kills a healthy instance. This middleware, placed first, answers the endpoint
with 200 before either runs. It says only that the process serves requests: a database
outage should not make the platform restart every instance.

The path is ``CFSETTINGS_HEALTH_CHECK_PATH`` (``/healthz`` by default; ``""`` switches the
middleware off), and must match the manifest's ``health-check-http-endpoint``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

from cfsettings.errors import improperly_configured

PATH_SETTING = "CFSETTINGS_HEALTH_CHECK_PATH"
DEFAULT_PATH = "/healthz"


class HealthCheckMiddleware:
    """Answers ``GET`` and ``HEAD`` of the health-check path with ``200 ok``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        path = getattr(settings, PATH_SETTING, DEFAULT_PATH)
        if not path:
            raise MiddlewareNotUsed(f"{PATH_SETTING} is empty")
        if not isinstance(path, str) or not path.startswith("/"):
            raise improperly_configured(
                f"{PATH_SETTING} must be a path starting with '/', like the manifest's "
                "health-check-http-endpoint."
            )
        self.path = path
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == self.path and request.method in ("GET", "HEAD"):
            return HttpResponse(b"ok", content_type="text/plain")
        return self.get_response(request)
