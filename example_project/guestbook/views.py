"""The one page: sign the guestbook (database) and see how often it was viewed (cache)."""

from django.core.cache import cache, caches
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from guestbook.forms import EntryForm
from guestbook.models import Entry

HITS_KEY = "hits"


def count_visit() -> int:
    """Count a page view in the cache: shared by every instance once a Redis is bound."""
    try:
        return cache.incr(HITS_KEY)
    except ValueError:  # first view, or the cache was flushed or restarted
        cache.add(HITS_KEY, 0, timeout=None)
        return cache.incr(HITS_KEY)


def index(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = EntryForm(request.POST)
        if form.is_valid():
            form.save()
            return redirect("index")  # so that reloading the page does not post again
    else:
        form = EntryForm()
    context = {
        "form": form,
        "entries": Entry.objects.all()[:20],
        "hits": count_visit(),
        "database": connection.display_name,
        "cache_backend": type(caches["default"]).__name__,
    }
    return render(request, "guestbook/index.html", context)
