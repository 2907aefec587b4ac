"""An app without migrations: its tables come from ``migrate --run-syncdb`` (the old syncdb)."""

from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=30)


class Note(models.Model):
    title = models.CharField(max_length=100)
    tags = models.ManyToManyField(Tag)


class NoteSummary(models.Model):
    """Read from a view the app does not own: staging must not create a table for it."""

    title = models.CharField(max_length=100)

    class Meta:
        managed = False
        db_table = "legacy_note_summary"
