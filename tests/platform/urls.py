"""A form view for the platform tests: GET sets the CSRF cookie, POST needs the check passed."""

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import path


def form(request: HttpRequest) -> HttpResponse:
    return HttpResponse(get_token(request) if request.method == "GET" else "posted")


urlpatterns = [path("form/", form)]
