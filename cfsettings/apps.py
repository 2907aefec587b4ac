"""The Django app: lets ``INSTALLED_APPS`` find cfsettings' commands and checks."""

from django.apps import AppConfig


class CfSettingsConfig(AppConfig):
    name = "cfsettings"
    verbose_name = "Cloud Foundry settings"

    def ready(self) -> None:
        """Register the system checks; imported here, not at import time, because a worker
        that never runs checks should not pay for loading them. One entry point runs every
        check module (storage's too) from one resolution of the environment."""
        from django.core import checks

        from cfsettings.checks import TAG, check_cfsettings

        checks.register(check_cfsettings, TAG)
