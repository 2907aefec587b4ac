"""The one page: sign the guestbook (database, attachments in the bucket) and see how often
it was viewed (cache); each new entry is mailed to GUESTBOOK_NOTIFY through the bound relay."""

import logging
import smtplib

from django.conf import settings
from django.core.cache import cache, caches
from django.core.mail import send_mail
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from guestbook.forms import EntryForm
from guestbook.models import Entry

HITS_KEY = "hits"
logger = logging.getLogger(__name__)


def count_visit() -> int:
    """Count a page view in the cache: shared by every instance once a Redis is bound."""
    try:
        return cache.incr(HITS_KEY)
    except ValueError:  # first view, or the cache was flushed or restarted
        cache.add(HITS_KEY, 0, timeout=None)
        return cache.incr(HITS_KEY)


def notify(entry: Entry) -> None:
    """Mail the new entry, from DEFAULT_FROM_EMAIL (the relay's sender); a relay that is down
    must not lose the entry itself."""
    if not settings.GUESTBOOK_NOTIFY:
        return
    attached = f"\nAttachment: {entry.attachment.name}" if entry.attachment else ""
    try:
        subject = f"New guestbook entry from {entry.name}"
        send_mail(subject, f"{entry.message}{attached}", None, settings.GUESTBOOK_NOTIFY)
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not mail the new entry %s", entry.pk)


def index(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = EntryForm(request.POST, request.FILES)
        if form.is_valid():
            notify(form.save())
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
