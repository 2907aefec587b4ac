"""The endpoint Cloud Foundry's HTTP health check calls (``health-check-http-endpoint``).

The platform's checker requests ``http://<an IP of the container>:<port>/healthz``. cfsettings
allows ``CF_INSTANCE_INTERNAL_IP``, but the checker takes the first non-loopback IPv4 address it
finds, and other platforms' checkers send other Hosts: a 400 there gets a healthy app restarted.
So this middleware sits first and answers before any Host validation, session or database. It
says only that the process serves requests: a database outage should not make the platform
kill every instance.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEALTH_PATH = "/healthz"


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)
