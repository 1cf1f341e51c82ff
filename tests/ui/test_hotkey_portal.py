"""The Wayland GlobalShortcuts portal backend against a fake portal on a private dbus-daemon:
the real D-Bus conversation (Register, CreateSession, BindShortcuts, Response, Activated,
Session.Close), a refusal, and the availability probe. Never touches the user's session bus."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.ui.hotkey.portal import (
    APP_ID,
    PORTAL_NAME,
    PORTAL_PATH,
    REGISTRY_INTERFACE,
    SESSION_INTERFACE,
    SHORTCUT_ID,
    SHORTCUTS_INTERFACE,
    PortalHotkey,
    portal_unavailable_reason,
)

jeepney = pytest.importorskip("jeepney")
from jeepney import (  # noqa: E402 - after the skip check
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus  # noqa: E402
from jeepney.io.blocking import open_dbus_connection  # noqa: E402

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@pytest.fixture
def bus_address() -> Iterator[str]:
    """A private dbus-daemon with no activatable services: nothing real can answer."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        pytest.skip("needs dbus-daemon (apt-get install dbus-daemon)")
    with tempfile.TemporaryDirectory(prefix="pb-") as folder:
        config = Path(folder) / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=Path(folder) / "bus"), encoding="utf-8")
        process = subprocess.Popen(
            [daemon, f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert process.stdout is not None
            address = process.stdout.readline().strip()
            assert address.startswith("unix:"), address
            yield address
        finally:
            process.terminate()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


class FakePortal(threading.Thread):
    """Owns org.freedesktop.portal.Desktop and plays the portal's part; records every call."""

    def __init__(self, address: str, *, bind_response: int = 0) -> None:
        super().__init__(daemon=True)
        self.bind_response = bind_response
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.sessions: list[tuple[str, str]] = []  # (owner, session path)
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._stopping = threading.Event()
        self._connection = open_dbus_connection(address)
        reply = self._connection.send_and_get_reply(message_bus.RequestName(PORTAL_NAME), timeout=5)
        assert reply.body == (1,), reply  # primary owner

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                message = self._connection.receive(timeout=0.02)
            except TimeoutError:
                message = None
            if message is not None and message.header.message_type == MessageType.method_call:
                self._handle(message)
            while not self._commands.empty():
                self._commands.get()()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)
        self._connection.close()

    def activate(self, shortcut_id: str = SHORTCUT_ID, session: str | None = None) -> None:
        """Press the bound shortcut (from the portal's thread)."""

        def emit() -> None:
            owner, path = self.sessions[-1]
            signal = new_signal(
                DBusAddress(PORTAL_PATH, interface=SHORTCUTS_INTERFACE),
                "Activated",
                "osta{sv}",
                (session or path, shortcut_id, 123, {}),
            )
            signal.header.fields[HeaderFields.destination] = owner
            self._connection.send(signal)

        self._commands.put(emit)

    def _handle(self, message: Any) -> None:
        fields = message.header.fields
        interface, member = fields.get(HeaderFields.interface), fields.get(HeaderFields.member)
        sender = fields[HeaderFields.sender]
        self.calls.append((f"{interface}.{member}", tuple(message.body)))
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            if tuple(message.body) == (SHORTCUTS_INTERFACE, "version"):
                self._connection.send(new_method_return(message, "v", (("u", 1),)))
            else:
                self._connection.send(new_error(message, "org.freedesktop.DBus.Error.InvalidArgs"))
        elif (interface, member) in ((REGISTRY_INTERFACE, "Register"), (SESSION_INTERFACE, "Close")):
            self._connection.send(new_method_return(message))
        elif interface == SHORTCUTS_INTERFACE and member == "CreateSession":
            (options,) = message.body
            owner = sender.lstrip(":").replace(".", "_")
            request = f"{PORTAL_PATH}/request/{owner}/{options['handle_token'][1]}"
            session = f"{PORTAL_PATH}/session/{owner}/{options['session_handle_token'][1]}"
            self.sessions.append((sender, session))
            self._connection.send(new_method_return(message, "o", (request,)))
            self._respond(sender, request, 0, {"session_handle": ("s", session)})
        elif interface == SHORTCUTS_INTERFACE and member == "BindShortcuts":
            _session, shortcuts, _parent, options = message.body
            owner = sender.lstrip(":").replace(".", "_")
            request = f"{PORTAL_PATH}/request/{owner}/{options['handle_token'][1]}"
            self._connection.send(new_method_return(message, "o", (request,)))
            bound = [
                (
                    shortcut_id,
                    {"description": props["description"], "trigger_description": ("s", "Ctrl+Shift+Space")},
                )
                for shortcut_id, props in shortcuts
            ]
            results = {"shortcuts": ("a(sa{sv})", bound)} if self.bind_response == 0 else {}
            self._respond(sender, request, self.bind_response, results)
        else:
            self._connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))

    def _respond(self, destination: str, request: str, response: int, results: dict[str, Any]) -> None:
        signal = new_signal(
            DBusAddress(request, interface="org.freedesktop.portal.Request"),
            "Response",
            "ua{sv}",
            (response, results),
        )
        signal.header.fields[HeaderFields.destination] = destination
        self._connection.send(signal)


@pytest.fixture
def portal(bus_address: str) -> Iterator[FakePortal]:
    fake = FakePortal(bus_address)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def names(portal: FakePortal) -> list[str]:
    return [name for name, _ in portal.calls]


def test_the_probe_finds_the_portal(portal: FakePortal, bus_address: str) -> None:
    assert portal_unavailable_reason(bus_address) == ""


def test_the_probe_explains_a_missing_portal(bus_address: str, tmp_path: Path) -> None:
    assert (
        portal_unavailable_reason(bus_address)
        == "This desktop does not offer global shortcuts to applications"
    )
    assert portal_unavailable_reason(f"unix:path={tmp_path / 'nothing'}") == (
        "No D-Bus session bus, so the desktop's shortcut service cannot be reached"
    )


def test_binding_and_activation(qtbot: QtBot, portal: FakePortal, bus_address: str) -> None:
    hotkey = PortalHotkey(bus_address=bus_address)
    assert hotkey.register("Ctrl+Shift+Space"), hotkey.error_text
    qtbot.waitUntil(lambda: hotkey.trigger_description == "Ctrl+Shift+Space", timeout=5000)
    assert names(portal) == [
        f"{REGISTRY_INTERFACE}.Register",
        f"{SHORTCUTS_INTERFACE}.CreateSession",
        f"{SHORTCUTS_INTERFACE}.BindShortcuts",
    ]
    assert portal.calls[0][1] == (APP_ID, {})
    session, shortcuts, parent_window, _ = portal.calls[2][1]
    assert session == portal.sessions[-1][1]
    assert shortcuts == [
        (
            SHORTCUT_ID,
            {
                "description": ("s", "Open the Parley quick prompt"),
                "preferred_trigger": ("s", "CTRL+SHIFT+space"),
            },
        )
    ]
    assert parent_window == ""

    activations: list[str] = []
    hotkey.activated.connect(lambda: activations.append("activated"))
    portal.activate(shortcut_id="something-else")
    portal.activate(session=f"{PORTAL_PATH}/session/other/x")
    with qtbot.waitSignal(hotkey.activated, timeout=5000):
        portal.activate()
    assert activations == ["activated"]  # the two foreign activations before it were ignored

    hotkey.unregister()
    qtbot.waitUntil(lambda: f"{SESSION_INTERFACE}.Close" in names(portal), timeout=5000)
    with qtbot.assertNotEmitted(hotkey.activated, wait=200):
        portal.activate()


def test_a_refusal_arrives_as_failed(qtbot: QtBot, portal: FakePortal, bus_address: str) -> None:
    portal.bind_response = 1  # the user dismissed the desktop's dialog
    hotkey = PortalHotkey(bus_address=bus_address)
    with qtbot.waitSignal(hotkey.failed, timeout=5000) as failed:
        assert hotkey.register("Ctrl+Shift+Space")
    message = (
        "The shortcut was not confirmed in the desktop's dialog; "
        "bind a shortcut in your desktop settings to run `parley --quick`."
    )
    assert failed.args == [message]
    assert hotkey.error_text == message
    assert not hotkey.is_registered
    qtbot.waitUntil(lambda: f"{SESSION_INTERFACE}.Close" in names(portal), timeout=5000)


def test_no_portal_on_the_bus_fails_in_plain_words(qtbot: QtBot, bus_address: str) -> None:
    hotkey = PortalHotkey(bus_address=bus_address)
    with qtbot.waitSignal(hotkey.failed, timeout=5000) as failed:
        assert hotkey.register("Ctrl+Shift+Space")
    assert failed.args[0].startswith("The desktop's shortcut service answered CreateSession with ")
    assert failed.args[0].endswith("bind a shortcut in your desktop settings to run `parley --quick`.")


def test_factory_uses_the_probe(qtbot: QtBot, bus_address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.ui.hotkey import UnsupportedHotkey, create_global_hotkey

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus_address)
    hotkey = create_global_hotkey(platform_name="wayland")
    assert isinstance(hotkey, UnsupportedHotkey)
    assert not hotkey.register("Ctrl+Shift+Space")
    assert hotkey.error_text == (
        "This desktop does not offer global shortcuts to applications; "
        "bind a shortcut in your desktop settings to run `parley --quick`."
    )
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"] == bus_address
