"""Wayland: the freedesktop GlobalShortcuts portal (KDE Plasma 5.27+, GNOME 48+, Hyprland).

Wayland gives no application a key grab; the desktop binds the shortcut, possibly after asking
the user, and reports presses as `Activated` signals. The conversation (Registry.Register →
CreateSession → Response → BindShortcuts → Response → Activated) runs on the GUI thread over a
D-Bus connection read through a QSocketNotifier, so nothing blocks and nothing needs asyncio.

Why not QtDBus: PySide6 cannot marshal the `a(sa{sv})` argument BindShortcuts takes (no
qDBusRegisterMetaType from Python; a hand-built QDBusArgument crashes libdbus — tried with
PySide6 6.11). jeepney, a pure-Python D-Bus library keyring already installs on Linux, can.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier

from desktop_app.ui.hotkey.base import GlobalHotkey, with_advice
from desktop_app.ui.hotkey.keys import Chord, portal_trigger

PORTAL_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS_INTERFACE = "org.freedesktop.portal.GlobalShortcuts"
REQUEST_INTERFACE = "org.freedesktop.portal.Request"
SESSION_INTERFACE = "org.freedesktop.portal.Session"
REGISTRY_INTERFACE = "org.freedesktop.host.portal.Registry"
SHORTCUT_ID = "quick-prompt"
APP_ID = "org.parley.Parley"  # matches the installed .desktop file, which the desktop shows
PROBE_TIMEOUT = 1.5

_RESPONSE_CANCELLED = 1

Message = Any  # jeepney.Message; jeepney ships no type information


def _jeepney() -> Any:
    import jeepney  # type: ignore[import-untyped,unused-ignore]

    return jeepney


def _open_connection(bus_address: str | None) -> Any:
    from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped,unused-ignore]

    connection = open_dbus_connection(bus=bus_address or "SESSION", auth_timeout=PROBE_TIMEOUT)
    # Writes are small, but a wedged bus must not freeze the window for long.
    connection.sock.settimeout(PROBE_TIMEOUT)
    return connection


def _unreachable(error: object) -> str:
    return QCoreApplication.translate(
        "GlobalHotkey", "Cannot reach the desktop's shortcut service: {error}."
    ).format(error=error)


def portal_unavailable_reason(bus_address: str | None = None) -> str:
    """ "" when the desktop offers the GlobalShortcuts portal, else why not (one line, no advice).
    Blocks for at most about PROBE_TIMEOUT seconds: call it once, at start-up."""
    try:
        jeepney = _jeepney()
    except ImportError:
        return QCoreApplication.translate(
            "GlobalHotkey", "Global shortcuts on Wayland need the jeepney package"
        )
    try:
        connection = _open_connection(bus_address)
    except (KeyError, OSError, RuntimeError, ValueError):
        return QCoreApplication.translate(
            "GlobalHotkey", "No D-Bus session bus, so the desktop's shortcut service cannot be reached"
        )
    try:
        portal = jeepney.DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME)
        reply = connection.send_and_get_reply(
            jeepney.Properties(portal.with_interface(SHORTCUTS_INTERFACE)).get("version"),
            timeout=PROBE_TIMEOUT,
        )
    except (OSError, TimeoutError, ValueError):
        return QCoreApplication.translate("GlobalHotkey", "The desktop's portal service does not answer")
    finally:
        connection.close()
    if reply.header.message_type != jeepney.MessageType.method_return:
        return QCoreApplication.translate(
            "GlobalHotkey", "This desktop does not offer global shortcuts to applications"
        )
    return ""


class _PortalConnection(QObject):
    """A D-Bus connection that sends without waiting and hands every message that arrives to
    `on_message`, from the event loop."""

    def __init__(self, bus_address: str | None, on_message: Callable[[Message], None]) -> None:
        super().__init__()
        self._connection = _open_connection(bus_address)
        self._on_message = on_message
        self.unique_name: str = self._connection.unique_name
        self.closed = False
        self._notifier = QSocketNotifier(self._connection.sock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)

    def send(self, message: Message) -> int:
        """Send; the serial identifies the reply."""
        serial: int = next(self._connection.outgoing_serial)
        self._connection.send(message, serial=serial)
        return serial

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._notifier.setEnabled(False)
            self._connection.close()

    def _readable(self) -> None:
        try:
            data = self._connection.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._notifier.setEnabled(False)
            return
        parser = self._connection.parser
        parser.add_data(data)
        # Bounded: a read carries at most 64 KiB, hence a bounded number of messages.
        while not self.closed and (message := parser.get_next_message()) is not None:
            self._on_message(message)


class PortalHotkey(GlobalHotkey):
    """`register()` returns True once the request is on its way; the desktop answers later, and a
    refusal arrives as `failed(str)`. `trigger_description` holds what the desktop bound."""

    def __init__(
        self, parent: QObject | None = None, *, bus_address: str | None = None, app_id: str = APP_ID
    ) -> None:
        super().__init__(parent)
        self._bus_address = bus_address
        self._app_id = app_id
        self._connection: _PortalConnection | None = None
        self._retired: _PortalConnection | None = None
        self._jeepney: Any = None
        self._session = ""
        self._requests: dict[str, Callable[[int, dict[str, Any]], None]] = {}
        self._calls: dict[int, str] = {}  # serial → what it was, for error replies
        self._trigger = ""
        self.trigger_description = ""

    # --- GlobalHotkey --------------------------------------------------------------------------

    def _grab(self, chord: Chord) -> str:
        if self._connection is None:
            try:
                self._jeepney = _jeepney()
                # The previous connection may be closed from inside its own notifier's slot, so
                # it is kept until here, where it is certainly not on the stack any more.
                self._retired = None
                self._connection = _PortalConnection(self._bus_address, self._dispatch)
            except ImportError:
                return QCoreApplication.translate(
                    "GlobalHotkey", "Global shortcuts on Wayland need the jeepney package."
                )
            except (KeyError, OSError, RuntimeError, ValueError) as error:
                return _unreachable(error)
        self._trigger = portal_trigger(chord)
        self.trigger_description = ""
        token, session_token = self._token(), self._token()
        self._expect_response(token, self._session_created)
        # Known in advance too, so unregister() can close a session whose answer is still pending.
        self._session = f"{PORTAL_PATH}/session/{self._sender()}/{session_token}"
        try:
            self._first_contact()
            self._call(
                "CreateSession",
                "a{sv}",
                ({"handle_token": ("s", token), "session_handle_token": ("s", session_token)},),
            )
        except OSError as error:
            self._session = ""
            self._disconnect()
            return _unreachable(error.strerror or error)
        return ""

    def _release(self) -> None:
        self._disconnect()

    # --- the conversation -------------------------------------------------------------------------

    def _first_contact(self) -> None:
        assert self._connection is not None
        jeepney = self._jeepney
        # Tell the portal who we are before anything else (portals without it reply an error,
        # which is ignored); the desktop then shows the app's name and keeps its shortcuts.
        registry = jeepney.DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface=REGISTRY_INTERFACE)
        self._connection.send(jeepney.new_method_call(registry, "Register", "sa{sv}", (self._app_id, {})))
        rule = jeepney.MatchRule(type="signal", sender=PORTAL_NAME)
        self._connection.send(jeepney.message_bus.AddMatch(rule))

    def _call(self, method: str, signature: str, body: tuple[Any, ...]) -> None:
        assert self._connection is not None
        jeepney = self._jeepney
        address = jeepney.DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface=SHORTCUTS_INTERFACE)
        serial = self._connection.send(jeepney.new_method_call(address, method, signature, body))
        self._calls[serial] = method

    def _session_created(self, response: int, results: dict[str, Any]) -> None:
        handle = _variant(results.get("session_handle"))
        if response != 0 or not isinstance(handle, str):
            self._refused(
                QCoreApplication.translate("GlobalHotkey", "The desktop did not open a shortcut session")
            )
            return
        self._session = handle  # the same path, unless an old portal ignored the token
        token = self._token()
        self._expect_response(token, self._bound)
        shortcut = {
            "description": ("s", QCoreApplication.translate("GlobalHotkey", "Open the Parley quick prompt")),
            "preferred_trigger": ("s", self._trigger),
        }
        self._call(
            "BindShortcuts",
            "oa(sa{sv})sa{sv}",
            (handle, [(SHORTCUT_ID, shortcut)], "", {"handle_token": ("s", token)}),
        )

    def _bound(self, response: int, results: dict[str, Any]) -> None:
        if response == _RESPONSE_CANCELLED:
            self._refused(
                QCoreApplication.translate(
                    "GlobalHotkey", "The shortcut was not confirmed in the desktop's dialog"
                )
            )
            return
        if response != 0:
            self._refused(QCoreApplication.translate("GlobalHotkey", "The desktop refused the shortcut"))
            return
        for shortcut_id, properties in _variant(results.get("shortcuts")) or []:
            if shortcut_id == SHORTCUT_ID:
                self.trigger_description = str(_variant(properties.get("trigger_description")) or "")

    def _refused(self, what: str) -> None:
        self._disconnect()
        self._fail_later(with_advice(what))

    def _disconnect(self) -> None:
        """Close the session (the desktop drops the binding) and the connection; the next
        `register()` starts afresh."""
        self._requests.clear()
        self._calls.clear()
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if self._session:
            jeepney = self._jeepney
            session = jeepney.DBusAddress(self._session, bus_name=PORTAL_NAME, interface=SESSION_INTERFACE)
            with contextlib.suppress(OSError):
                connection.send(jeepney.new_method_call(session, "Close"))
        self._session = ""
        connection.close()
        self._retired = connection

    # --- incoming messages ------------------------------------------------------------------------

    def _dispatch(self, message: Message) -> None:
        jeepney = self._jeepney
        header = message.header
        fields = header.fields
        kind = header.message_type
        if kind == jeepney.MessageType.error:
            method = self._calls.pop(fields.get(jeepney.HeaderFields.reply_serial, -1), "")
            if method and self.is_registered:
                name = fields.get(jeepney.HeaderFields.error_name, "an error")
                self._refused(
                    QCoreApplication.translate(
                        "GlobalHotkey", "The desktop's shortcut service answered {method} with {error}"
                    ).format(method=method, error=name)
                )
            return
        if kind == jeepney.MessageType.method_return:
            self._calls.pop(fields.get(jeepney.HeaderFields.reply_serial, -1), None)
            return
        if kind != jeepney.MessageType.signal:
            return
        interface = fields.get(jeepney.HeaderFields.interface)
        member = fields.get(jeepney.HeaderFields.member)
        path = fields.get(jeepney.HeaderFields.path)
        if interface == REQUEST_INTERFACE and member == "Response":
            handler = self._requests.pop(path, None)
            if handler is not None and len(message.body) == 2:
                response, results = message.body
                handler(int(response), dict(results))
        elif interface == SHORTCUTS_INTERFACE and member == "Activated":
            session, shortcut_id = message.body[0], message.body[1]
            if self._session and session == self._session and shortcut_id == SHORTCUT_ID:
                self.schedule_activation()

    def _expect_response(self, token: str, handler: Callable[[int, dict[str, Any]], None]) -> None:
        """The portal's request object path is known in advance from the token, so the handler is
        in place before the Response could possibly arrive."""
        self._requests[f"{PORTAL_PATH}/request/{self._sender()}/{token}"] = handler

    def _sender(self) -> str:
        """Our unique bus name as the portal spells it in object paths (":1.42" → "1_42")."""
        assert self._connection is not None
        return self._connection.unique_name.lstrip(":").replace(".", "_")

    @staticmethod
    def _token() -> str:
        return "parley_" + secrets.token_hex(6)


def _variant(value: object) -> Any:
    """The payload of a D-Bus variant as jeepney returns it: (signature, value)."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return value[1]
    return None
