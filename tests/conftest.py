import os

import django
import pytest

from tests import servers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()


@pytest.fixture
def cert_dir(tmp_path):
    """A private (0700) directory for the certificates a test makes cfsettings write."""
    directory = tmp_path / "certs"
    directory.mkdir(mode=0o700)
    return str(directory)


@pytest.fixture(scope="session", autouse=True)
def foreign_data():
    """Under CI, other projects' Django databases and Redis keys sit beside the suite's own, and
    must be there unchanged at the end: the suite may not assume the servers are empty."""
    if not servers.IN_CI:
        yield None
        return
    with servers.foreign_data() as names:
        yield names
