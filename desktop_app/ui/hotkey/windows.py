"""Windows: RegisterHotKey for a hidden native window of our own; a native event filter sees WM_HOTKEY.

No permissions needed and the key is consumed. RegisterHotKey fails when another application
registered the same combination, which is the conflict to report. Not run in CI (no Windows
runner); the message decoding is unit-tested on every OS with a MSG laid out in memory.
"""

from __future__ import annotations

import ctypes
from typing import Any

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication, QObject
from PySide6.QtGui import QWindow

from desktop_app.ui.hotkey.base import (
    GlobalHotkey,
    already_taken,
    install_filter,
    native_event_type,
    not_registered,
    remove_filter,
)
from desktop_app.ui.hotkey.keys import Chord, windows_hotkey

WM_HOTKEY = 0x0312
_ERROR_HOTKEY_ALREADY_REGISTERED = 1409
# Any id in 0x0000-0xBFFF; each GlobalHotkey has its own window, so one id is enough.
HOTKEY_ID = 1


class MSG(ctypes.Structure):
    """winuser.h MSG, declared here so it also exists (for tests) where ctypes.wintypes is partial."""

    _fields_ = [
        ("hwnd", ctypes.c_void_p),
        ("message", ctypes.c_uint),
        ("wParam", ctypes.c_size_t),
        ("lParam", ctypes.c_ssize_t),
        ("time", ctypes.c_uint32),
        ("pt_x", ctypes.c_int32),
        ("pt_y", ctypes.c_int32),
    ]


def is_our_hotkey(event_type: bytes, address: int, hwnd: int, hotkey_id: int = HOTKEY_ID) -> bool:
    """True when the native message at `address` is WM_HOTKEY for `hotkey_id` on window `hwnd`."""
    if event_type not in (b"windows_generic_MSG", b"windows_dispatcher_MSG") or not address:
        return False
    msg = MSG.from_address(address)
    return msg.message == WM_HOTKEY and msg.wParam == hotkey_id and (msg.hwnd or 0) == hwnd


class _HotkeyFilter(QAbstractNativeEventFilter):
    def __init__(self, owner: WindowsHotkey, hwnd: int) -> None:
        super().__init__()
        self._owner = owner
        self._hwnd = hwnd

    def nativeEventFilter(  # noqa: N802 - Qt's name
        self,
        event_type: QByteArray | bytes | bytearray | memoryview,
        message: int,
    ) -> tuple[bool, int]:
        if not is_our_hotkey(native_event_type(event_type), int(message), self._hwnd):
            return False, 0
        try:
            self._owner.schedule_activation()
        except RuntimeError:  # the hotkey object was deleted without unregister()
            return False, 0
        return True, 0


class WindowsHotkey(GlobalHotkey):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._window: QWindow | None = None
        self._filter: _HotkeyFilter | None = None
        self._user32: Any = None

    def _grab(self, chord: Chord) -> str:
        if self._user32 is None:
            windll: Any = getattr(ctypes, "WinDLL", None)
            if windll is None:
                return QCoreApplication.translate(
                    "GlobalHotkey", "Windows shortcuts can only be registered on Windows."
                )
            user32 = windll("user32", use_last_error=True)
            user32.RegisterHotKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
            user32.RegisterHotKey.restype = ctypes.c_int
            user32.UnregisterHotKey.argtypes = [ctypes.c_void_p, ctypes.c_int]
            user32.UnregisterHotKey.restype = ctypes.c_int
            self._user32 = user32
        if self._window is None:
            # A window of our own, never shown: WM_HOTKEY posted to a window survives modal loops
            # (message boxes, menus) that drop thread messages.
            self._window = QWindow()
        hwnd = int(self._window.winId())
        vk, mods = windows_hotkey(chord)
        if not self._user32.RegisterHotKey(hwnd, HOTKEY_ID, mods, vk):
            last_error: Any = getattr(ctypes, "get_last_error", None)  # exists on Windows only
            code = last_error() if last_error is not None else 0
            if code == _ERROR_HOTKEY_ALREADY_REGISTERED:
                return already_taken(chord.text())
            return not_registered(chord.text(), "Windows", code)
        self._filter = _HotkeyFilter(self, hwnd)
        return install_filter(self._filter)

    def _release(self) -> None:
        if self._filter is not None:
            remove_filter(self._filter)
            self._filter = None
        if self._window is not None and self._user32 is not None:
            self._user32.UnregisterHotKey(int(self._window.winId()), HOTKEY_ID)
