#!/usr/bin/env python
"""The test project's manage.py: what a Cloud Foundry app runs ``cf_stage`` with."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stageproject.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
