"""What the main window needs from outside the UI, handed in by `app.py` (the composition root).

Everything here is a core port, plain data or a callable, so the window never imports providers,
the network layer or storage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.ports import ChatProvider, HistoryStore, SettingsStore
from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.ui.preferences import PreferencesBackend
from desktop_app.ui.theme import Appearance

EXPORT_FORMATS = ("markdown", "json", "html")


@dataclass(frozen=True, slots=True)
class DetectedServer:
    """A model server found on this computer (local-server discovery hands one in)."""

    name: str  # "llama.cpp"
    address: str  # "127.0.0.1:8080"
    profile: ProviderProfile


@dataclass(frozen=True)
class WindowBackend:
    history: HistoryStore
    settings: SettingsStore
    preferences: PreferencesBackend
    # A configured provider (API key from the keychain) for a profile.
    provider_for: Callable[[ProviderProfile], Awaitable[ChatProvider]]
    # Saved preferences changed: rebuild what depends on the network settings.
    network_changed: Callable[[Preferences], Awaitable[None]]
    # (conversation id, one of EXPORT_FORMATS) -> the file's text.
    export_conversation: Callable[[int, str], str]
    # A JSON export's text -> the new conversation's id; raises `ParleyError` for a bad file.
    import_conversation: Callable[[str], int]
    data_dir: Path
    appearance: Appearance | None = None
    diagnostics: Callable[[], Mapping[str, str]] = field(default=dict)
    local_server: DetectedServer | None = None
