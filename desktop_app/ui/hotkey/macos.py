"""macOS: Carbon's RegisterEventHotKey through ctypes (what QHotkey and quickmachotkey use).

Needs no Accessibility or Input Monitoring permission, unlike event taps. The Carbon handler is
called on the main thread from Cocoa's event dispatch, which Qt's event loop drives; it only
schedules the signal. `kEventHotKeyExclusive` makes a combination another process registered
exclusively fail with `eventHotKeyExistsErr`. Not run in CI (no macOS runner); a pyobjc route
would be `quickmachotkey`, which wraps these same calls.
"""

from __future__ import annotations

import ctypes
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from desktop_app.ui.hotkey.base import GlobalHotkey, already_taken, not_registered
from desktop_app.ui.hotkey.keys import Chord, HotkeyError, macos_hotkey

CARBON_PATH = "/System/Library/Frameworks/Carbon.framework/Carbon"


def four_char_code(text: str) -> int:
    """Carbon's OSType: four ASCII characters packed big-endian ('keyb' → 0x6B657962)."""
    return int.from_bytes(text.encode("ascii"), "big")


K_EVENT_CLASS_KEYBOARD = four_char_code("keyb")
K_EVENT_HOT_KEY_PRESSED = 5
K_EVENT_PARAM_DIRECT_OBJECT = four_char_code("----")
TYPE_EVENT_HOT_KEY_ID = four_char_code("hkid")
K_EVENT_HOT_KEY_EXCLUSIVE = 1 << 0
EVENT_HOT_KEY_EXISTS_ERR = -9878
EVENT_NOT_HANDLED_ERR = -9874
HOTKEY_SIGNATURE = four_char_code("PRLY")


class EventTypeSpec(ctypes.Structure):
    _fields_ = [("eventClass", ctypes.c_uint32), ("eventKind", ctypes.c_uint32)]


class EventHotKeyID(ctypes.Structure):
    _fields_ = [("signature", ctypes.c_uint32), ("id", ctypes.c_uint32)]


# OSStatus handler(EventHandlerCallRef next, EventRef event, void *user_data)
_EventHandlerProc = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)


def _load_carbon() -> Any:
    carbon: Any = ctypes.CDLL(CARBON_PATH)
    carbon.GetApplicationEventTarget.restype = ctypes.c_void_p
    carbon.GetApplicationEventTarget.argtypes = []
    carbon.InstallEventHandler.restype = ctypes.c_int32
    carbon.InstallEventHandler.argtypes = [
        ctypes.c_void_p,
        _EventHandlerProc,
        ctypes.c_ulong,
        ctypes.POINTER(EventTypeSpec),
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    carbon.RemoveEventHandler.restype = ctypes.c_int32
    carbon.RemoveEventHandler.argtypes = [ctypes.c_void_p]
    carbon.RegisterEventHotKey.restype = ctypes.c_int32
    carbon.RegisterEventHotKey.argtypes = [
        ctypes.c_uint32,
        ctypes.c_uint32,
        EventHotKeyID,
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    carbon.UnregisterEventHotKey.restype = ctypes.c_int32
    carbon.UnregisterEventHotKey.argtypes = [ctypes.c_void_p]
    carbon.GetEventParameter.restype = ctypes.c_int32
    carbon.GetEventParameter.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_uint32,
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    return carbon


class MacHotkey(GlobalHotkey):
    """Each instance registers under its own id; the handler matches on it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._carbon: Any = None
        self._handler_ref = ctypes.c_void_p()
        self._hotkey_ref = ctypes.c_void_p()
        self._hotkey_id = id(self) & 0xFFFFFFFF
        # Kept on the instance: Carbon holds only the raw pointer.
        self._callback = _EventHandlerProc(self._on_event)

    def _grab(self, chord: Chord) -> str:
        try:
            keycode, modifiers = macos_hotkey(chord)
        except HotkeyError as error:
            return str(error)
        if self._carbon is None:
            try:
                self._carbon = _load_carbon()
            except OSError:
                return QCoreApplication.translate(
                    "GlobalHotkey", "Carbon is not available, so global shortcuts cannot be registered."
                )
        carbon = self._carbon
        target = carbon.GetApplicationEventTarget()
        if not self._handler_ref:
            spec = EventTypeSpec(K_EVENT_CLASS_KEYBOARD, K_EVENT_HOT_KEY_PRESSED)
            status = carbon.InstallEventHandler(
                target, self._callback, 1, ctypes.byref(spec), None, ctypes.byref(self._handler_ref)
            )
            if status != 0:
                return not_registered(chord.text(), "Carbon", status)
        hotkey_id = EventHotKeyID(HOTKEY_SIGNATURE, self._hotkey_id)
        status = carbon.RegisterEventHotKey(
            keycode, modifiers, hotkey_id, target, K_EVENT_HOT_KEY_EXCLUSIVE, ctypes.byref(self._hotkey_ref)
        )
        if status == EVENT_HOT_KEY_EXISTS_ERR:
            return already_taken(chord.text())
        if status != 0:
            return not_registered(chord.text(), "Carbon", status)
        return ""

    def _release(self) -> None:
        if self._carbon is None:
            return
        if self._hotkey_ref:
            self._carbon.UnregisterEventHotKey(self._hotkey_ref)
            self._hotkey_ref = ctypes.c_void_p()
        if self._handler_ref:
            self._carbon.RemoveEventHandler(self._handler_ref)
            self._handler_ref = ctypes.c_void_p()

    def _on_event(self, _next_handler: int | None, event: int | None, _user_data: int | None) -> int:
        """Carbon calls this for every hot key of the app; it must not raise into C."""
        try:
            pressed = EventHotKeyID()
            status = self._carbon.GetEventParameter(
                event,
                K_EVENT_PARAM_DIRECT_OBJECT,
                TYPE_EVENT_HOT_KEY_ID,
                None,
                ctypes.sizeof(pressed),
                None,
                ctypes.byref(pressed),
            )
            if status == 0 and pressed.signature == HOTKEY_SIGNATURE and pressed.id == self._hotkey_id:
                self.schedule_activation()
                return 0
        except RuntimeError:  # the hotkey object was deleted without unregister()
            pass
        # Someone else's hot key (another GlobalHotkey in this app): let the next handler see it.
        return EVENT_NOT_HANDLED_ERR
