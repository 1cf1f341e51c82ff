"""Global shortcut key handling without a display: sequence parsing, the per-platform codes, the
native event decoding of the X11 and Windows filters, the factory and the base class contract."""

from __future__ import annotations

import ctypes
import struct

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.ui.hotkey import GlobalHotkey, UnsupportedHotkey, create_global_hotkey
from desktop_app.ui.hotkey.keys import (
    CARBON_CMD,
    CARBON_CONTROL,
    CARBON_OPTION,
    CARBON_SHIFT,
    MOD_ALT,
    MOD_CONTROL,
    MOD_NOREPEAT,
    MOD_SHIFT,
    MOD_WIN,
    X_CONTROL,
    X_LOCK,
    X_MOD1_ALT,
    X_MOD2_NUMLOCK,
    X_MOD4_SUPER,
    X_SHIFT,
    Chord,
    HotkeyError,
    macos_hotkey,
    parse_sequence,
    portal_trigger,
    windows_hotkey,
    x11_grab,
    x11_lock_variants,
)
from desktop_app.ui.hotkey.windows import MSG, WM_HOTKEY, is_our_hotkey
from desktop_app.ui.hotkey.x11 import KeyEvent, read_key_event

Key = Qt.Key


@pytest.mark.parametrize(
    ("text", "chord"),
    [
        ("Ctrl+Shift+Space", Chord(Key.Key_Space, ctrl=True, shift=True)),
        ("ctrl+shift+space", Chord(Key.Key_Space, ctrl=True, shift=True)),
        ("  Alt+Q ", Chord(Key.Key_Q, alt=True)),
        ("Meta+A", Chord(Key.Key_A, meta=True)),
        ("Ctrl+Alt+Shift+Meta+F12", Chord(Key.Key_F12, ctrl=True, alt=True, shift=True, meta=True)),
        ("F9", Chord(Key.Key_F9)),
        ("Shift+Pause", Chord(Key.Key_Pause, shift=True)),
        ("Ctrl+Shift+a", Chord(Key.Key_A, ctrl=True, shift=True)),
        ("Ctrl+1", Chord(Key.Key_1, ctrl=True)),
        ("Alt+PgDown", Chord(Key.Key_PageDown, alt=True)),
    ],
)
def test_sequences_parse_into_one_chord(text: str, chord: Chord) -> None:
    assert parse_sequence(text) == chord


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "No shortcut given."),
        ("   ", "No shortcut given."),
        ("Ctrl+Foo", "Ctrl+Foo is not a key combination Parley understands."),
        ("Ctrl+A, Ctrl+B", "Ctrl+A, Ctrl+B is a sequence of keys; a global shortcut is one key combination."),
        ("Ctrl+Shift", "Ctrl+Shift has no key besides the modifiers."),
        ("Ctrl+!", "Ctrl+! cannot be a global shortcut; use a letter, digit, F-key or Space."),
        ("A", "A would take that key from every application; add Ctrl, Alt or Meta."),
        ("Shift+Space", "Shift+Space would take that key from every application; add Ctrl, Alt or Meta."),
    ],
)
def test_unusable_sequences_are_refused_in_plain_words(text: str, message: str) -> None:
    with pytest.raises(HotkeyError) as caught:
        parse_sequence(text)
    assert str(caught.value) == message


def test_chord_text_is_qt_portable_text() -> None:
    assert parse_sequence("shift+ctrl+space").text() == "Ctrl+Shift+Space"
    assert parse_sequence("Alt+Meta+K").text() == "Meta+Alt+K"  # Qt's own order


def test_x11_keysyms_and_masks() -> None:
    assert x11_grab(parse_sequence("Ctrl+Shift+Space")) == (0x20, X_CONTROL | X_SHIFT)
    assert x11_grab(parse_sequence("Alt+A")) == (ord("a"), X_MOD1_ALT)  # the lower-case keysym
    assert x11_grab(parse_sequence("Meta+F1")) == (0xFFBE, X_MOD4_SUPER)
    assert x11_grab(parse_sequence("Ctrl+F24")) == (0xFFBE + 23, X_CONTROL)
    assert x11_grab(parse_sequence("Ctrl+Return")) == (0xFF0D, X_CONTROL)
    assert x11_grab(parse_sequence("Ctrl+Del")) == (0xFFFF, X_CONTROL)
    assert x11_grab(parse_sequence("Ctrl+9")) == (ord("9"), X_CONTROL)
    assert x11_lock_variants(X_CONTROL) == (
        X_CONTROL,
        X_CONTROL | X_LOCK,
        X_CONTROL | X_MOD2_NUMLOCK,
        X_CONTROL | X_LOCK | X_MOD2_NUMLOCK,
    )


def test_windows_virtual_keys_and_modifiers() -> None:
    assert windows_hotkey(parse_sequence("Ctrl+Shift+Space")) == (
        0x20,
        MOD_CONTROL | MOD_SHIFT | MOD_NOREPEAT,
    )
    assert windows_hotkey(parse_sequence("Alt+z")) == (ord("Z"), MOD_ALT | MOD_NOREPEAT)
    assert windows_hotkey(parse_sequence("Meta+F1")) == (0x70, MOD_WIN | MOD_NOREPEAT)
    assert windows_hotkey(parse_sequence("Ctrl+Left")) == (0x25, MOD_CONTROL | MOD_NOREPEAT)
    assert windows_hotkey(parse_sequence("Ctrl+-")) == (0xBD, MOD_CONTROL | MOD_NOREPEAT)


def test_macos_keycodes_and_carbon_modifiers() -> None:
    # Qt's Ctrl is the Command key on a Mac; Meta is the Control key.
    assert macos_hotkey(parse_sequence("Ctrl+Shift+Space")) == (0x31, CARBON_CMD | CARBON_SHIFT)
    assert macos_hotkey(parse_sequence("Meta+Alt+A")) == (0x00, CARBON_CONTROL | CARBON_OPTION)
    assert macos_hotkey(parse_sequence("Ctrl+K")) == (0x28, CARBON_CMD)
    assert macos_hotkey(parse_sequence("Ctrl+0")) == (0x1D, CARBON_CMD)
    assert macos_hotkey(parse_sequence("Ctrl+F1")) == (0x7A, CARBON_CMD)
    assert macos_hotkey(parse_sequence("Ctrl+Up")) == (0x7E, CARBON_CMD)
    with pytest.raises(HotkeyError, match=r"^Ctrl\+Ins has no key on a Mac keyboard\.$"):
        macos_hotkey(parse_sequence("Ctrl+Insert"))
    with pytest.raises(HotkeyError, match="no key on a Mac"):
        macos_hotkey(parse_sequence("Ctrl+F21"))


def test_portal_triggers_use_the_xdg_shortcut_names() -> None:
    assert portal_trigger(parse_sequence("Ctrl+Shift+Space")) == "CTRL+SHIFT+space"
    assert portal_trigger(parse_sequence("Meta+Alt+K")) == "ALT+LOGO+k"
    assert portal_trigger(parse_sequence("Ctrl+PgUp")) == "CTRL+Page_Up"
    assert portal_trigger(parse_sequence("Ctrl+Backspace")) == "CTRL+BackSpace"


def xcb_key_event(response_type: int, keycode: int, state: int, time: int) -> ctypes.Array[ctypes.c_char]:
    """An xcb_key_press_event_t as the X server sends it (32 bytes)."""
    data = struct.pack("<BBHIIIIhhhhHBx", response_type, keycode, 7, time, 1, 2, 0, 10, 20, 10, 20, state, 1)
    assert len(data) == 32
    return ctypes.create_string_buffer(data, 32)


def test_x11_filter_reads_key_presses_and_releases() -> None:
    press = xcb_key_event(2, 65, X_CONTROL | X_SHIFT | X_LOCK, 123456)
    assert read_key_event(b"xcb_generic_event_t", ctypes.addressof(press)) == KeyEvent(
        pressed=True, keycode=65, state=X_CONTROL | X_SHIFT | X_LOCK, time=123456
    )
    sent = xcb_key_event(2 | 0x80, 38, 0, 1)  # the high bit marks an event sent by a client
    assert read_key_event(b"xcb_generic_event_t", ctypes.addressof(sent)) == KeyEvent(True, 38, 0, 1)
    release = xcb_key_event(3, 65, X_CONTROL, 99)
    released = read_key_event(b"xcb_generic_event_t", ctypes.addressof(release))
    assert released == KeyEvent(False, 65, X_CONTROL, 99)
    motion = xcb_key_event(6, 0, 0, 0)
    assert read_key_event(b"xcb_generic_event_t", ctypes.addressof(motion)) is None
    assert read_key_event(b"windows_generic_MSG", ctypes.addressof(press)) is None
    assert read_key_event(b"xcb_generic_event_t", 0) is None


def test_windows_filter_recognises_only_its_wm_hotkey() -> None:
    hwnd = 0x1234
    ours = MSG(hwnd=hwnd, message=WM_HOTKEY, wParam=1, lParam=0)
    assert is_our_hotkey(b"windows_generic_MSG", ctypes.addressof(ours), hwnd)
    other_id = MSG(hwnd=hwnd, message=WM_HOTKEY, wParam=2)
    other_window = MSG(hwnd=0x9999, message=WM_HOTKEY, wParam=1)
    key_down = MSG(hwnd=hwnd, message=0x0100, wParam=1)
    for msg in (other_id, other_window, key_down):
        assert not is_our_hotkey(b"windows_generic_MSG", ctypes.addressof(msg), hwnd)
    assert not is_our_hotkey(b"xcb_generic_event_t", ctypes.addressof(ours), hwnd)


@pytest.mark.parametrize("platform", ["offscreen", "minimal", ""])
def test_platforms_without_a_backend_explain_the_alternative(qtbot: QtBot, platform: str) -> None:
    hotkey = create_global_hotkey(platform_name=platform)
    assert isinstance(hotkey, UnsupportedHotkey)
    assert not hotkey.register("Ctrl+Shift+Space")
    assert hotkey.error_text.startswith("Global shortcuts are not available on this display")
    assert hotkey.error_text.endswith("bind a shortcut in your desktop settings to run `parley --quick`.")
    assert not hotkey.is_registered
    assert hotkey.sequence == ""


def test_factory_follows_the_running_platform(qtbot: QtBot) -> None:
    # The test process runs offscreen.
    assert isinstance(create_global_hotkey(), UnsupportedHotkey)


class RecordingBackend(GlobalHotkey):
    """A backend whose 'OS' is a list: records grabs and releases; `refuse` makes a grab fail."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.refuse = ""

    def _grab(self, chord: Chord) -> str:
        self.calls.append(f"grab {chord.text()}")
        return self.refuse

    def _release(self) -> None:
        self.calls.append("release")

    def native_key_pressed(self) -> None:
        """What a native filter does on a match."""
        self.schedule_activation()


def test_register_replaces_releases_and_reports(qtbot: QtBot) -> None:
    hotkey = RecordingBackend()
    assert hotkey.register("Ctrl+Shift+Space")
    assert hotkey.sequence == "Ctrl+Shift+Space"
    assert hotkey.register("Alt+K")
    assert hotkey.calls == ["grab Ctrl+Shift+Space", "release", "grab Alt+K"]
    hotkey.refuse = "Alt+J is already used by another application; choose another shortcut."
    assert not hotkey.register("Alt+J")
    assert hotkey.error_text == hotkey.refuse
    assert not hotkey.is_registered
    assert not hotkey.register("Ctrl+Foo")  # a bad sequence never reaches the backend
    assert hotkey.error_text == "Ctrl+Foo is not a key combination Parley understands."
    assert hotkey.calls == ["grab Ctrl+Shift+Space", "release", "grab Alt+K", "release", "grab Alt+J"]
    hotkey.unregister()
    assert hotkey.calls[-1] == "grab Alt+J"  # nothing registered, nothing to release


def test_activation_is_deferred_out_of_the_native_filter(qtbot: QtBot) -> None:
    hotkey = RecordingBackend()
    assert hotkey.register("Ctrl+Shift+Space")
    seen: list[str] = []
    hotkey.activated.connect(lambda: seen.append("activated"))
    with qtbot.waitSignal(hotkey.activated, timeout=2000):
        hotkey.native_key_pressed()
        assert seen == []  # not inside the filter: only once the event loop runs again
    assert seen == ["activated"]


def test_no_activation_after_unregister(qtbot: QtBot) -> None:
    hotkey = RecordingBackend()
    assert hotkey.register("Ctrl+Shift+Space")
    hotkey.native_key_pressed()  # queued ...
    hotkey.unregister()  # ... but the shortcut is gone before the loop runs
    with qtbot.assertNotEmitted(hotkey.activated, wait=50):
        pass


def test_x11_backend_off_x11_fails_in_plain_words(qtbot: QtBot) -> None:
    from desktop_app.ui.hotkey.x11 import X11Hotkey

    hotkey = X11Hotkey()  # the test process runs offscreen: no X connection to grab on
    assert not hotkey.register("Ctrl+Shift+Space")
    assert hotkey.error_text == "Global shortcuts need an X11 display; Qt is not running on one."
