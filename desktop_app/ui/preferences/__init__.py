"""The preferences dialog and what it needs from the composition root."""

from desktop_app.core.preferences import PROXY_PASSWORD_KEY
from desktop_app.ui.preferences.backend import (
    PreferencesBackend,
    PresetLike,
    api_key_name,
    preset_profile,
)
from desktop_app.ui.preferences.dialog import PreferencesDialog

__all__ = [
    "PROXY_PASSWORD_KEY",
    "PreferencesBackend",
    "PreferencesDialog",
    "PresetLike",
    "api_key_name",
    "preset_profile",
]
