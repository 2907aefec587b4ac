"""A model with uploads, for the storage tests and the cfsettings.W005 check."""

from django.db import models


class Photo(models.Model):
    caption = models.CharField(max_length=80, blank=True)
    image = models.ImageField(upload_to="photos/")
    attachment = models.FileField(upload_to="attachments/", blank=True)

    class Meta:
        app_label = "uploads"
