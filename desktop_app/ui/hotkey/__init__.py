"""System-wide shortcut (e.g. Ctrl+Shift+Space opens the quick prompt) on every desktop.

    hotkey = create_global_hotkey(parent)
    hotkey.activated.connect(show_quick_prompt)
    hotkey.failed.connect(status_bar_message)     # later refusals (Wayland portal)
    if not hotkey.register("Ctrl+Shift+Space"):
        status_bar_message(hotkey.error_text)      # one line: "... is already used by another application"
    ...
    hotkey.unregister()                            # at shutdown

The backend follows Qt's platform: xcb → XGrabKey, windows → RegisterHotKey, cocoa → Carbon
RegisterEventHotKey, wayland → the GlobalShortcuts portal when the desktop offers it. Anything
else gets an object whose `register()` fails and tells the user to bind `parley --quick` instead.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QGuiApplication

from desktop_app.ui.hotkey.base import GlobalHotkey, UnsupportedHotkey, with_advice
from desktop_app.ui.hotkey.keys import Chord, HotkeyError, parse_sequence

__all__ = [
    "Chord",
    "GlobalHotkey",
    "HotkeyError",
    "UnsupportedHotkey",
    "create_global_hotkey",
    "parse_sequence",
]


def create_global_hotkey(parent: QObject | None = None, *, platform_name: str | None = None) -> GlobalHotkey:
    """The global shortcut backend for the running Qt platform (or `platform_name`)."""
    name = platform_name if platform_name is not None else QGuiApplication.platformName()
    if name == "xcb":
        from desktop_app.ui.hotkey.x11 import X11Hotkey

        return X11Hotkey(parent)
    if name == "windows":
        from desktop_app.ui.hotkey.windows import WindowsHotkey

        return WindowsHotkey(parent)
    if name == "cocoa":
        from desktop_app.ui.hotkey.macos import MacHotkey

        return MacHotkey(parent)
    if name.startswith("wayland"):
        from desktop_app.ui.hotkey.portal import PortalHotkey, portal_unavailable_reason

        reason = portal_unavailable_reason()
        if not reason:
            return PortalHotkey(parent)
        return UnsupportedHotkey(with_advice(reason), parent)
    reason = QCoreApplication.translate(
        "GlobalHotkey", "Global shortcuts are not available on this display ({platform})"
    ).format(platform=name or "none")
    return UnsupportedHotkey(with_advice(reason), parent)
