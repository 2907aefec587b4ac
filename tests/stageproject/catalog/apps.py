import os

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def log_post_migrate(sender, using, **kwargs):
    """Append one line per post_migrate, so a test can see whether migrate ran at all."""
    path = os.environ.get("STAGE_POST_MIGRATE_LOG")
    if path:
        with open(path, "a") as log:
            log.write(f"{using}\n")


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self):
        post_migrate.connect(log_post_migrate, sender=self)
