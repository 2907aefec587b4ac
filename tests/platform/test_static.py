"""STATIC_ROOT for the buildpack's collectstatic; WhiteNoise's storage when installed."""

from __future__ import annotations

import os

from cfsettings import static_settings
from cfsettings.platform.static import WHITENOISE_STORAGE, whitenoise_installed
from tests.platform.helpers import on_cf


def test_off_cloud_foundry_nothing():
    assert static_settings(environ={}) == {}


def test_on_cloud_foundry_with_whitenoise(tmp_path):
    assert whitenoise_installed()  # a test dependency
    settings = static_settings(environ=on_cf(), base_dir=tmp_path)
    assert settings["STATIC_URL"] == "static/"
    assert settings["STATIC_ROOT"] == str(tmp_path / "staticfiles")
    assert settings["STORAGES"]["staticfiles"] == {"BACKEND": WHITENOISE_STORAGE}
    assert settings["STORAGES"]["default"]["BACKEND"].endswith("FileSystemStorage")


def test_without_whitenoise_only_the_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VCAP_APPLICATION", "{}")
    settings = static_settings(whitenoise=False)
    assert settings == {
        "STATIC_URL": "static/",
        "STATIC_ROOT": os.path.join(os.getcwd(), "staticfiles"),
    }
