"""The Django app: lets ``INSTALLED_APPS`` find cfsettings' commands and checks."""

from django.apps import AppConfig


class CfSettingsConfig(AppConfig):
    name = "cfsettings"
    verbose_name = "Cloud Foundry settings"
