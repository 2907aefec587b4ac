from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A custom user with an extra required field, so DJANGO_SUPERUSER_TEAM is needed."""

    team = models.CharField(max_length=50)

    REQUIRED_FIELDS: ClassVar[list[str]] = ["email", "team"]
