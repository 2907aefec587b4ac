"""Sphinx configuration: plain reStructuredText, no extension that needs the network."""

import configparser
from pathlib import Path

_metadata = configparser.ConfigParser()
_metadata.read(Path(__file__).resolve().parent.parent / "setup.cfg")

project = "cfsettings"
author = "cfsettings contributors"
copyright = "cfsettings contributors, MIT licence"
release = version = _metadata["metadata"]["version"]

extensions: list[str] = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"description": "Django settings from Cloud Foundry service bindings"}
html_static_path: list[str] = []
highlight_language = "none"
