"""Parley: a desktop chat client for large language models."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("parley")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

APP_NAME = "Parley"
ORG_NAME = "Parley"
