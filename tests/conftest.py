import os

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()


@pytest.fixture
def cert_dir(tmp_path):
    """A private (0700) directory for the certificates a test makes cfsettings write."""
    directory = tmp_path / "certs"
    directory.mkdir(mode=0o700)
    return str(directory)
