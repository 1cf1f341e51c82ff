"""Parley: a desktop chat client for large language models."""

import os
import sys

APP_NAME = "Parley"
ORG_NAME = "Parley"
_DISTRIBUTION = "parley"


def _installed_version() -> str:
    """The version of the installed distribution. Its metadata folder is named after it
    (`parley-0.1.0.dist-info`, also in a frozen bundle), so a few directory listings find it;
    importing `importlib.metadata` would add ~18 ms to every start. That stays the fallback."""
    prefix, suffix = f"{_DISTRIBUTION}-", ".dist-info"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, a missing folder
            continue
        for name in names:
            if name.lower().startswith(prefix) and name.endswith(suffix):
                return name[len(prefix) : -len(suffix)]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(_DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


__version__ = _installed_version()
