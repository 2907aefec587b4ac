"""A data migration: the first entry, written exactly once however many instances start.

``cf_stage`` runs migrations under a cluster-wide lock, so instances starting together do not
race to apply this (or any) migration twice.
"""

from django.db import migrations

WELCOME = (
    "Welcome! This entry was written by a data migration that cf_stage ran once, "
    "before gunicorn started."
)


def add_welcome(apps, schema_editor):
    Entry = apps.get_model("guestbook", "Entry")
    Entry.objects.using(schema_editor.connection.alias).create(name="cfsettings", message=WELCOME)


def remove_welcome(apps, schema_editor):
    Entry = apps.get_model("guestbook", "Entry")
    Entry.objects.using(schema_editor.connection.alias).filter(message=WELCOME).delete()


class Migration(migrations.Migration):
    dependencies = [("guestbook", "0001_initial")]

    operations = [migrations.RunPython(add_welcome, remove_welcome)]
