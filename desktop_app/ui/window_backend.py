"""What the main window needs from outside the UI, handed in by `app.py` (the composition root).

Everything here is a core port, plain data or a callable, so the window never imports providers,
the network layer or storage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QSystemTrayIcon

from desktop_app.chat.workspace import ChatWorkspace
from desktop_app.core.ports import SettingsStore
from desktop_app.ui.attachment_input import LastFolder
from desktop_app.ui.hotkey import GlobalHotkey, create_global_hotkey
from desktop_app.ui.preferences import PreferencesBackend
from desktop_app.ui.preferences.desktop import DetectedServer, LaunchAtLogin
from desktop_app.ui.theme import Appearance

__all__ = ["EXPORT_FORMATS", "DesktopBackend", "DetectedServer", "LaunchAtLogin", "WindowBackend"]

EXPORT_FORMATS = ("markdown", "json", "html")


def _never() -> bool:
    return False


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class DesktopBackend:
    """Parley's place on the desktop: tray, global shortcut, launch at login, local servers.
    The defaults are the real tray and shortcut with nothing remembered; tests hand in seams."""

    # Is there a system tray to keep Parley in? (Qt's answer; False on the offscreen platform)
    tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable
    # The global shortcut's backend for this desktop.
    create_hotkey: Callable[[QObject], GlobalHotkey] = create_global_hotkey
    launch_at_login: LaunchAtLogin | None = None
    # Probe this computer for model servers; [] when none answered (bounded, ~1 s).
    scan_local_servers: Callable[[], Awaitable[list[DetectedServer]]] | None = None
    # The "Parley keeps running in the tray" notice is shown once: was it, and remember that it was.
    tray_notice_shown: Callable[[], bool] = _never
    remember_tray_notice: Callable[[], None] = _nothing


@dataclass(frozen=True)
class WindowBackend:
    # The application layer: conversations, their answers, the active provider, the app's tasks.
    # The window adopts it (it becomes the window's child).
    workspace: ChatWorkspace
    settings: SettingsStore
    preferences: PreferencesBackend
    # (conversation id, one of EXPORT_FORMATS) -> the file's text.
    export_conversation: Callable[[int, str, Path], None]  # writes the file (and its images)
    # A JSON export's text -> the new conversation's id; raises `ParleyError` for a bad file.
    import_conversation: Callable[[str], int]
    data_dir: Path
    appearance: Appearance | None = None
    diagnostics: Callable[[], Mapping[str, str]] = field(default=dict)
    # A server found before the window was built: used at once when nothing is configured.
    local_server: DetectedServer | None = None
    desktop: DesktopBackend = field(default_factory=DesktopBackend)
    # The folder the Attach dialog opens in (kept for the session unless given a place to keep it:
    # `LastFolder(load, save)` over a settings key).
    last_folder: LastFolder = field(default_factory=LastFolder)
