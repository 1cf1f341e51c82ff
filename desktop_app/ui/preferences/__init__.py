"""The preferences dialog and what it needs from the composition root.

The dialog itself loads on first use: the composition root imports this package at start-up for
the backend and key names, and the dialog's widgets are not needed until Preferences opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.core.preferences import PROXY_PASSWORD_KEY
from desktop_app.ui.preferences.backend import (
    PreferencesBackend,
    PresetLike,
    api_key_name,
    preset_profile,
)

if TYPE_CHECKING:
    from desktop_app.ui.preferences.dialog import PreferencesDialog

__all__ = [
    "PROXY_PASSWORD_KEY",
    "PreferencesBackend",
    "PreferencesDialog",
    "PresetLike",
    "api_key_name",
    "preset_profile",
]


def __getattr__(name: str) -> object:
    if name == "PreferencesDialog":
        from desktop_app.ui.preferences.dialog import PreferencesDialog

        return PreferencesDialog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
