"""X11: XGrabKey on Qt's own X connection; a native event filter sees the key press.

Everything runs on the GUI thread with no extra connection or dependency (libX11 is already
loaded by Qt's xcb platform plugin). A combination another client has grabbed makes the X server
answer BadAccess, which arrives asynchronously: a temporary error handler plus XSync collects it
before `register()` returns.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any, NamedTuple

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication, QObject
from PySide6.QtGui import QGuiApplication, QNativeInterface

from desktop_app.ui.hotkey.base import (
    GlobalHotkey,
    already_taken,
    install_filter,
    native_event_type,
    remove_filter,
)
from desktop_app.ui.hotkey.keys import Chord, x11_grab, x11_lock_variants

_BAD_ACCESS = 10
_GRAB_MODE_ASYNC = 1
_XCB_KEY_PRESS, _XCB_KEY_RELEASE = 2, 3
# Bits of the event state that must not matter: CapsLock, NumLock, and the mouse buttons.
_IGNORED_STATE = 0x2 | 0x10 | 0xFF00


class _XErrorEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("resourceid", ctypes.c_ulong),
        ("serial", ctypes.c_ulong),
        ("error_code", ctypes.c_ubyte),
        ("request_code", ctypes.c_ubyte),
        ("minor_code", ctypes.c_ubyte),
    ]


_ErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))


class KeyEvent(NamedTuple):
    pressed: bool
    keycode: int
    state: int
    time: int


def read_key_event(event_type: bytes, address: int) -> KeyEvent | None:
    """The key press/release in an xcb event Qt hands to native filters, or None for other events.
    Layout of xcb_key_press_event_t: response_type u8, detail (keycode) u8, sequence u16,
    time u32, root/event/child u32, root_x/root_y/event_x/event_y i16, state u16."""
    if event_type != b"xcb_generic_event_t" or not address:
        return None
    response_type = ctypes.c_uint8.from_address(address).value & 0x7F  # high bit: sent by a client
    if response_type not in (_XCB_KEY_PRESS, _XCB_KEY_RELEASE):
        return None
    return KeyEvent(
        pressed=response_type == _XCB_KEY_PRESS,
        keycode=ctypes.c_uint8.from_address(address + 1).value,
        state=ctypes.c_uint16.from_address(address + 28).value,
        time=ctypes.c_uint32.from_address(address + 4).value,
    )


class _Xlib:
    """The few libX11 calls needed, with their C signatures declared."""

    def __init__(self) -> None:
        path = ctypes.util.find_library("X11") or "libX11.so.6"
        lib: Any = ctypes.CDLL(path)
        lib.XDefaultRootWindow.restype = ctypes.c_ulong
        lib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        lib.XKeysymToKeycode.restype = ctypes.c_ubyte
        lib.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        # display, keycode, modifiers, grab window, owner_events, pointer mode, keyboard mode
        lib.XGrabKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong]
        lib.XGrabKey.argtypes += [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.XUngrabKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong]
        lib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.XSetErrorHandler.restype = ctypes.c_void_p
        lib.XSetErrorHandler.argtypes = [ctypes.c_void_p]
        self.lib = lib


class _KeyFilter(QAbstractNativeEventFilter):
    """Recognises the grabbed key; never does more than schedule the signal."""

    def __init__(self, owner: X11Hotkey) -> None:
        super().__init__()
        self._owner = owner
        self._last_release_time: int | None = None

    def nativeEventFilter(  # noqa: N802 - Qt's name
        self,
        event_type: QByteArray | bytes | bytearray | memoryview,
        message: int,
    ) -> tuple[bool, int]:
        event = read_key_event(native_event_type(event_type), int(message))
        if event is None:
            return False, 0
        try:
            ours = self._owner.matches(event.keycode, event.state)
        except RuntimeError:  # the hotkey object was deleted without unregister()
            return False, 0
        if not ours:
            return False, 0
        if event.pressed:
            # Without detectable auto-repeat a held key sends release+press pairs with one
            # timestamp: only a press that does not follow its own release is a new press.
            if event.time != self._last_release_time:
                self._owner.schedule_activation()
        else:
            self._last_release_time = event.time
        return True, 0


class X11Hotkey(GlobalHotkey):
    """Needs a QGuiApplication on the xcb platform (`QT_QPA_PLATFORM=xcb`, or X11 sessions)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._display = 0
        native = QGuiApplication.instance()
        x11 = native.nativeInterface() if isinstance(native, QGuiApplication) else None
        if isinstance(x11, QNativeInterface.QX11Application):
            self._display = int(x11.display())
        self._xlib = _Xlib() if self._display else None
        self._filter: _KeyFilter | None = None
        self._keycode = 0
        self._mask = 0

    def matches(self, keycode: int, state: int) -> bool:
        return self._keycode != 0 and keycode == self._keycode and (state & ~_IGNORED_STATE) == self._mask

    def _grab(self, chord: Chord) -> str:
        if self._xlib is None:
            return QCoreApplication.translate(
                "GlobalHotkey", "Global shortcuts need an X11 display; Qt is not running on one."
            )
        xlib, display = self._xlib.lib, self._display
        keysym, mask = x11_grab(chord)
        keycode = int(xlib.XKeysymToKeycode(display, keysym))
        if keycode == 0:
            return QCoreApplication.translate(
                "GlobalHotkey", "{shortcut} has no key on this keyboard layout."
            ).format(shortcut=chord.text())
        root = xlib.XDefaultRootWindow(display)
        errors: list[int] = []

        def collect(_display: int, error: Any) -> int:
            errors.append(int(error.contents.error_code))
            return 0

        handler = _ErrorHandler(collect)  # must stay referenced until the handler is restored
        previous = xlib.XSetErrorHandler(ctypes.cast(handler, ctypes.c_void_p))
        try:
            for variant in x11_lock_variants(mask):
                # owner_events=False: the press always arrives for the root window, whoever has focus.
                xlib.XGrabKey(display, keycode, variant, root, 0, _GRAB_MODE_ASYNC, _GRAB_MODE_ASYNC)
            xlib.XSync(display, 0)
            if errors:
                self._ungrab(keycode, mask)
                xlib.XSync(display, 0)
        finally:
            xlib.XSetErrorHandler(previous)
        if errors:
            if _BAD_ACCESS in errors:
                return already_taken(chord.text())
            return QCoreApplication.translate(
                "GlobalHotkey", "{shortcut} could not be grabbed (X error {code})."
            ).format(shortcut=chord.text(), code=errors[0])
        self._keycode, self._mask = keycode, mask
        self._filter = _KeyFilter(self)
        return install_filter(self._filter)

    def _release(self) -> None:
        if self._filter is not None:
            remove_filter(self._filter)
            self._filter = None
        if self._keycode and self._xlib is not None:
            self._ungrab(self._keycode, self._mask)
            self._xlib.lib.XSync(self._display, 0)
        self._keycode = self._mask = 0

    def _ungrab(self, keycode: int, mask: int) -> None:
        assert self._xlib is not None
        root = self._xlib.lib.XDefaultRootWindow(self._display)
        for variant in x11_lock_variants(mask):
            self._xlib.lib.XUngrabKey(self._display, keycode, variant, root)
