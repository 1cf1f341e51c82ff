"""The platform-neutral global shortcut: one key combination, an `activated` signal, plain-words errors.

Backends implement `_grab(chord)` (return "" on success or a one-line error) and `_release()`.
`activated` is always emitted from the GUI thread's event loop, never from inside a native event
filter or OS callback, so its slots may build and show windows.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractNativeEventFilter, QByteArray, QCoreApplication, QObject, QTimer, Signal

from desktop_app.ui.hotkey.keys import Chord, HotkeyError, parse_sequence

# The messages every backend shares, in one translation context ("GlobalHotkey").


def with_advice(reason: str) -> str:
    """`reason` followed by what a user can always do instead, whatever the desktop allows."""
    return QCoreApplication.translate(
        "GlobalHotkey", "{reason}; bind a shortcut in your desktop settings to run `parley --quick`."
    ).format(reason=reason)


def already_taken(shortcut: str) -> str:
    return QCoreApplication.translate(
        "GlobalHotkey", "{shortcut} is already used by another application; choose another shortcut."
    ).format(shortcut=shortcut)


def not_registered(shortcut: str, system: str, code: int) -> str:
    """The OS refused for another reason: its own error code, for a bug report."""
    return QCoreApplication.translate(
        "GlobalHotkey", "{shortcut} could not be registered ({system} error {code})."
    ).format(shortcut=shortcut, system=system, code=code)


def needs_application() -> str:
    return QCoreApplication.translate("GlobalHotkey", "Global shortcuts need a running Qt application.")


def install_filter(event_filter: QAbstractNativeEventFilter) -> str:
    """Start reading native events for a grabbed key; "" on success, else why not."""
    app = QCoreApplication.instance()
    if app is None:
        return needs_application()
    app.installNativeEventFilter(event_filter)
    return ""


def remove_filter(event_filter: QAbstractNativeEventFilter) -> None:
    app = QCoreApplication.instance()
    if app is not None:
        app.removeNativeEventFilter(event_filter)


class GlobalHotkey(QObject):
    """A system-wide shortcut. `register()` replaces any earlier combination of this object.

    Signals: `activated()` when the combination is pressed (anywhere on the desktop);
    `failed(str)` when a backend that answers later (the Wayland portal) refuses or fails; the
    same text is then in `error_text`. Synchronous backends report through `register()`'s result.
    """

    activated = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.error_text = ""
        self._chord: Chord | None = None

    @property
    def sequence(self) -> str:
        """The registered combination in Qt's portable text, or "" when none is."""
        return self._chord.text() if self._chord is not None else ""

    @property
    def is_registered(self) -> bool:
        return self._chord is not None

    def register(self, sequence: str) -> bool:
        """Grab `sequence` (e.g. "Ctrl+Shift+Space"). False with `error_text` set when it is not a
        usable combination, the platform cannot grab keys, or another application owns it."""
        self.unregister()
        try:
            chord = parse_sequence(sequence)
        except HotkeyError as error:
            self.error_text = str(error)
            return False
        problem = self._grab(chord)
        if problem:
            self.error_text = problem
            return False
        self.error_text = ""
        self._chord = chord
        return True

    def unregister(self) -> None:
        if self._chord is not None:
            self._chord = None
            self._release()

    def _grab(self, chord: Chord) -> str:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError

    def schedule_activation(self) -> None:
        """For backends, from a native event filter or OS callback: emit `activated` once control
        is back in the event loop (slots may then build windows)."""
        QTimer.singleShot(0, self, self._emit_if_registered)

    def _emit_if_registered(self) -> None:
        if self._chord is not None:
            self.activated.emit()

    def _fail_later(self, message: str) -> None:
        """A refusal that arrives after `register()` returned (the portal's answer). Emitted from
        the event loop too: slots may show dialogs or call `register()` again."""
        self._chord = None
        self.error_text = message
        QTimer.singleShot(0, self, lambda: self.failed.emit(message))


def native_event_type(event_type: QByteArray | bytes | bytearray | memoryview) -> bytes:
    """The event type a native event filter receives, as plain bytes."""
    if isinstance(event_type, QByteArray):
        return bytes(event_type.data())
    return bytes(event_type)


class UnsupportedHotkey(GlobalHotkey):
    """Where Parley cannot grab keys itself: `register()` always fails with `reason`."""

    def __init__(self, reason: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reason = reason

    def _grab(self, chord: Chord) -> str:
        return self._reason

    def _release(self) -> None:
        pass
