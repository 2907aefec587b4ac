"""Run as a script: a Django process whose ``DATABASES`` comes from ``cfsettings.databases()``.

Used by ``test_connections_pgbouncer.py``, in a process of its own as on the platform (the
environment holds ``VCAP_SERVICES``, pointed at a real PgBouncer). It migrates
``contenttypes``, then, with ``PROBE_OTHER`` (a libpq URI to the same pooler) held by a second
client in between, walks ``QuerySet.iterator()`` outside a transaction, and runs a transaction
that must roll back whole. Prints one JSON line; with ``--keep-server-side-cursors`` it first
undoes ``DISABLE_SERVER_SIDE_CURSORS``, to show what the setting prevents.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    import django
    from django.conf import settings

    from cfsettings import databases

    configured = databases()
    if "--keep-server-side-cursors" in sys.argv:
        configured["default"]["DISABLE_SERVER_SIDE_CURSORS"] = False
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes"],
        DATABASES={"default": configured["default"]},
        USE_TZ=True,
    )
    django.setup()
    import psycopg
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import DatabaseError, transaction

    call_command("migrate", verbosity=0)
    ContentType.objects.bulk_create(ContentType(app_label=f"a{n}", model="m") for n in range(20))
    result: dict[str, object] = {
        "disable_server_side_cursors": configured["default"].get("DISABLE_SERVER_SIDE_CURSORS"),
        "pool": configured["default"]["OPTIONS"].get("pool"),
    }
    other = psycopg.connect(os.environ["PROBE_OTHER"], autocommit=True, prepare_threshold=None)
    try:
        rows = ContentType.objects.filter(model="m").order_by("id").iterator(chunk_size=2)
        labels = [next(rows).app_label]
        with other.transaction():  # takes the server connection the first chunk came from
            other.execute("SELECT 1")
            labels += [row.app_label for row in rows]
        result["iterator"] = labels
    except (DatabaseError, psycopg.Error) as exc:  # the raw error when a fetch fails
        result["iterator_error"] = str(exc).splitlines()[0]
    finally:
        other.close()

    try:
        with transaction.atomic():
            ContentType.objects.create(app_label="rolled", model="back")
            inside = ContentType.objects.filter(app_label="rolled").count()
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with transaction.atomic():  # a server-side cursor inside a transaction is always safe
        chunked = sum(1 for _ in ContentType.objects.filter(model="m").iterator(chunk_size=3))
    result["transaction"] = {
        "seen_inside": inside,
        "after_rollback": ContentType.objects.filter(app_label="rolled").count(),
        "iterated_in_transaction": chunked,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
