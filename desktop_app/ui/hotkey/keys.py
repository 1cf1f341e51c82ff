"""Key sequences for global shortcuts: Qt's text form ("Ctrl+Shift+Space") parsed once into a
`Chord`, then translated for each platform's grab API. Pure functions, no application needed.

Only keys that sit in the same place on common layouts are offered: letters, digits, F-keys,
navigation keys and the US punctuation keys. Qt's "Ctrl" is the Command key on macOS and "Meta"
is the Control key there (Qt's own convention); elsewhere "Meta" is the Super/Windows key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from PySide6.QtCore import QCoreApplication, QKeyCombination, Qt
from PySide6.QtGui import QKeySequence

Key = Qt.Key

# X11 modifier masks (X.h)
X_SHIFT, X_LOCK, X_CONTROL, X_MOD1_ALT, X_MOD2_NUMLOCK, X_MOD4_SUPER = 0x1, 0x2, 0x4, 0x8, 0x10, 0x40
# Windows RegisterHotKey modifiers (winuser.h)
MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_WIN, MOD_NOREPEAT = 0x1, 0x2, 0x4, 0x8, 0x4000
# Carbon modifiers (Events.h)
CARBON_CMD, CARBON_SHIFT, CARBON_OPTION, CARBON_CONTROL = 0x100, 0x200, 0x800, 0x1000


class HotkeyError(ValueError):
    """A sequence that cannot be a global shortcut; `str()` is one line for the user."""


@dataclass(frozen=True, slots=True)
class Chord:
    """One key with its modifiers, as Qt names them."""

    key: Qt.Key
    ctrl: bool = False
    shift: bool = False
    alt: bool = False
    meta: bool = False

    def text(self) -> str:
        """Qt's portable text, e.g. "Ctrl+Shift+Space"."""
        modifiers = Qt.KeyboardModifier.NoModifier
        for flag, on in (
            (Qt.KeyboardModifier.ControlModifier, self.ctrl),
            (Qt.KeyboardModifier.ShiftModifier, self.shift),
            (Qt.KeyboardModifier.AltModifier, self.alt),
            (Qt.KeyboardModifier.MetaModifier, self.meta),
        ):
            if on:
                modifiers |= flag
        return QKeySequence(modifiers | self.key).toString(QKeySequence.SequenceFormat.PortableText)


class _KeyCodes(NamedTuple):
    x11_keysym: int
    xkb_name: str  # the name the XDG shortcuts format (and the portal) uses
    windows_vk: int
    macos_keycode: int | None  # ANSI keyboard position; None: no such key on a Mac


def _table() -> dict[Qt.Key, _KeyCodes]:
    table: dict[Qt.Key, _KeyCodes] = {}
    # Letters: the lower-case keysym, Windows VK = the upper-case ASCII code.
    mac_letters = [0x00, 0x0B, 0x08, 0x02, 0x0E, 0x03, 0x05, 0x04, 0x22, 0x26, 0x28, 0x25, 0x2E]
    mac_letters += [0x2D, 0x1F, 0x23, 0x0C, 0x0F, 0x01, 0x11, 0x20, 0x09, 0x0D, 0x07, 0x10, 0x06]
    for offset, mac in enumerate(mac_letters):
        upper = ord("A") + offset
        table[Key(upper)] = _KeyCodes(upper + 0x20, chr(upper + 0x20), upper, mac)
    mac_digits = [0x1D, 0x12, 0x13, 0x14, 0x15, 0x17, 0x16, 0x1A, 0x1C, 0x19]
    for digit, mac in enumerate(mac_digits):
        code = ord("0") + digit
        table[Key(code)] = _KeyCodes(code, str(digit), code, mac)
    mac_f_keys = [0x7A, 0x78, 0x63, 0x76, 0x60, 0x61, 0x62, 0x64, 0x65, 0x6D, 0x67, 0x6F]
    mac_f_keys += [0x69, 0x6B, 0x71, 0x6A, 0x40, 0x4F, 0x50, 0x5A]  # F13-F20
    for index in range(24):
        f_mac: int | None = mac_f_keys[index] if index < len(mac_f_keys) else None
        table[Key(Key.Key_F1.value + index)] = _KeyCodes(0xFFBE + index, f"F{index + 1}", 0x70 + index, f_mac)
    others: dict[Qt.Key, _KeyCodes] = {
        Key.Key_Space: _KeyCodes(0x20, "space", 0x20, 0x31),
        Key.Key_Minus: _KeyCodes(0x2D, "minus", 0xBD, 0x1B),
        Key.Key_Equal: _KeyCodes(0x3D, "equal", 0xBB, 0x18),
        Key.Key_BracketLeft: _KeyCodes(0x5B, "bracketleft", 0xDB, 0x21),
        Key.Key_BracketRight: _KeyCodes(0x5D, "bracketright", 0xDD, 0x1E),
        Key.Key_Semicolon: _KeyCodes(0x3B, "semicolon", 0xBA, 0x29),
        Key.Key_Apostrophe: _KeyCodes(0x27, "apostrophe", 0xDE, 0x27),
        Key.Key_Comma: _KeyCodes(0x2C, "comma", 0xBC, 0x2B),
        Key.Key_Period: _KeyCodes(0x2E, "period", 0xBE, 0x2F),
        Key.Key_Slash: _KeyCodes(0x2F, "slash", 0xBF, 0x2C),
        Key.Key_Backslash: _KeyCodes(0x5C, "backslash", 0xDC, 0x2A),
        Key.Key_QuoteLeft: _KeyCodes(0x60, "grave", 0xC0, 0x32),
        Key.Key_Escape: _KeyCodes(0xFF1B, "Escape", 0x1B, 0x35),
        Key.Key_Tab: _KeyCodes(0xFF09, "Tab", 0x09, 0x30),
        Key.Key_Backspace: _KeyCodes(0xFF08, "BackSpace", 0x08, 0x33),
        Key.Key_Return: _KeyCodes(0xFF0D, "Return", 0x0D, 0x24),
        Key.Key_Enter: _KeyCodes(0xFF8D, "KP_Enter", 0x0D, 0x4C),
        Key.Key_Insert: _KeyCodes(0xFF63, "Insert", 0x2D, None),
        Key.Key_Delete: _KeyCodes(0xFFFF, "Delete", 0x2E, 0x75),
        Key.Key_Pause: _KeyCodes(0xFF13, "Pause", 0x13, None),
        Key.Key_Print: _KeyCodes(0xFF61, "Print", 0x2C, None),
        Key.Key_Home: _KeyCodes(0xFF50, "Home", 0x24, 0x73),
        Key.Key_End: _KeyCodes(0xFF57, "End", 0x23, 0x77),
        Key.Key_Left: _KeyCodes(0xFF51, "Left", 0x25, 0x7B),
        Key.Key_Up: _KeyCodes(0xFF52, "Up", 0x26, 0x7E),
        Key.Key_Right: _KeyCodes(0xFF53, "Right", 0x27, 0x7C),
        Key.Key_Down: _KeyCodes(0xFF54, "Down", 0x28, 0x7D),
        Key.Key_PageUp: _KeyCodes(0xFF55, "Page_Up", 0x21, 0x74),
        Key.Key_PageDown: _KeyCodes(0xFF56, "Page_Down", 0x22, 0x79),
    }
    table.update(others)
    return table


_KEYS = _table()
_MODIFIER_KEYS = {Key.Key_Control, Key.Key_Shift, Key.Key_Alt, Key.Key_Meta, Key.Key_AltGr, Key.Key_Super_L}
# Keys that may stand alone: nobody types text with them.
_ALONE_OK = {Key(Key.Key_F1.value + i) for i in range(24)} | {Key.Key_Pause, Key.Key_Print}


def parse_sequence(text: str) -> Chord:
    """The one chord in `text` (Qt's portable form, any case). Raises `HotkeyError`."""
    shown = text.strip()
    if not shown:
        raise HotkeyError(QCoreApplication.translate("GlobalHotkey", "No shortcut given."))
    sequence = QKeySequence.fromString(shown, QKeySequence.SequenceFormat.PortableText)
    if sequence.count() > 1:
        raise HotkeyError(
            QCoreApplication.translate(
                "GlobalHotkey", "{shortcut} is a sequence of keys; a global shortcut is one key combination."
            ).format(shortcut=shown)
        )
    not_understood = QCoreApplication.translate(
        "GlobalHotkey", "{shortcut} is not a key combination Parley understands."
    ).format(shortcut=shown)
    if sequence.count() == 0:
        raise HotkeyError(not_understood)
    combination: QKeyCombination = sequence[0]  # type: ignore[index]  # the stubs lack __getitem__
    if combination.key() == Key.Key_unknown:
        raise HotkeyError(not_understood)
    key = combination.key()
    modifiers = combination.keyboardModifiers()
    if key in _MODIFIER_KEYS:
        raise HotkeyError(
            QCoreApplication.translate("GlobalHotkey", "{shortcut} has no key besides the modifiers.").format(
                shortcut=shown
            )
        )
    if key not in _KEYS:
        raise HotkeyError(
            QCoreApplication.translate(
                "GlobalHotkey", "{shortcut} cannot be a global shortcut; use a letter, digit, F-key or Space."
            ).format(shortcut=shown)
        )
    chord = Chord(
        key=key,
        ctrl=bool(modifiers & Qt.KeyboardModifier.ControlModifier),
        shift=bool(modifiers & Qt.KeyboardModifier.ShiftModifier),
        alt=bool(modifiers & Qt.KeyboardModifier.AltModifier),
        meta=bool(modifiers & Qt.KeyboardModifier.MetaModifier),
    )
    if not (chord.ctrl or chord.alt or chord.meta) and key not in _ALONE_OK:
        raise HotkeyError(
            QCoreApplication.translate(
                "GlobalHotkey",
                "{shortcut} would take that key from every application; add Ctrl, Alt or Meta.",
            ).format(shortcut=chord.text())
        )
    return chord


def x11_grab(chord: Chord) -> tuple[int, int]:
    """(keysym, modifier mask) for XGrabKey. The caller adds the CapsLock/NumLock variants."""
    mask = 0
    mask |= X_CONTROL if chord.ctrl else 0
    mask |= X_SHIFT if chord.shift else 0
    mask |= X_MOD1_ALT if chord.alt else 0
    mask |= X_MOD4_SUPER if chord.meta else 0
    return _KEYS[chord.key].x11_keysym, mask


def x11_lock_variants(mask: int) -> tuple[int, ...]:
    """The four masks to grab so the shortcut works with CapsLock and NumLock on or off."""
    return tuple(mask | extra for extra in (0, X_LOCK, X_MOD2_NUMLOCK, X_LOCK | X_MOD2_NUMLOCK))


def windows_hotkey(chord: Chord) -> tuple[int, int]:
    """(virtual-key code, MOD_* flags) for RegisterHotKey; MOD_NOREPEAT keeps a held key to one press."""
    mods = MOD_NOREPEAT
    mods |= MOD_CONTROL if chord.ctrl else 0
    mods |= MOD_SHIFT if chord.shift else 0
    mods |= MOD_ALT if chord.alt else 0
    mods |= MOD_WIN if chord.meta else 0
    return _KEYS[chord.key].windows_vk, mods


def macos_hotkey(chord: Chord) -> tuple[int, int]:
    """(virtual keycode, Carbon modifiers) for RegisterEventHotKey. Qt's Ctrl is Command there and
    Meta is Control. Raises `HotkeyError` for keys a Mac keyboard lacks."""
    keycode = _KEYS[chord.key].macos_keycode
    if keycode is None:
        raise HotkeyError(
            QCoreApplication.translate("GlobalHotkey", "{shortcut} has no key on a Mac keyboard.").format(
                shortcut=chord.text()
            )
        )
    mods = 0
    mods |= CARBON_CMD if chord.ctrl else 0
    mods |= CARBON_SHIFT if chord.shift else 0
    mods |= CARBON_OPTION if chord.alt else 0
    mods |= CARBON_CONTROL if chord.meta else 0
    return keycode, mods


def portal_trigger(chord: Chord) -> str:
    """The XDG shortcuts form the GlobalShortcuts portal takes as a preferred trigger, e.g.
    "CTRL+SHIFT+space"."""
    parts = [name for name, on in (("CTRL", chord.ctrl), ("ALT", chord.alt), ("SHIFT", chord.shift)) if on]
    if chord.meta:
        parts.append("LOGO")
    parts.append(_KEYS[chord.key].xkb_name)
    return "+".join(parts)
