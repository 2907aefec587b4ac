"""One model, so that the example has tables of its own for ``cf_stage`` to migrate.

The attachment goes wherever ``STORAGES["default"]`` says: the bound bucket on Cloud
Foundry, ``MEDIA_ROOT`` on a laptop.
"""

from django.db import models


class Entry(models.Model):
    name = models.CharField(max_length=80)
    message = models.TextField(max_length=1000)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    attachment = models.FileField(upload_to="attachments/%Y/%m/", blank=True)

    class Meta:
        ordering = ("-created", "-id")
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return f"{self.name}: {self.message[:40]}"
