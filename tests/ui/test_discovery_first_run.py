"""Local-server discovery in the running window: on a first run a local OpenAI-compatible server
on a free port (named through PARLEY_DISCOVERY_PORTS) is found after the window shows, selected
and announced by the banner, without a dialog and without taking the focus from the composer;
and Preferences → General scans on demand and adds a found server in one click."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from desktop_app.core.errors import ConfigurationError
from desktop_app.gui_services import DISCOVERY_PORTS_ENV, discovery_ports
from desktop_app.storage.settings import Settings
from tests.support.desktop import WAIT_MS, ChatAPI, DesktopApp, configured


def dead_port() -> int:
    """A port nothing listens on: bound once to learn a free number, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def model_list_requests(api: ChatAPI) -> int:
    return sum(1 for r in api.server.requests if r.path == "/v1/models")


def test_ports_come_from_the_environment_variable() -> None:
    assert discovery_ports("") is None  # every known server on its usual port
    assert discovery_ports(" none ") == {}
    assert discovery_ports("ollama=1234, llamacpp=5678") == {"ollama": 1234, "llamacpp": 5678}
    for bad in ("ollama", "ollama=abc", "llamacpp=70000", "=80"):
        with pytest.raises(ConfigurationError, match=DISCOVERY_PORTS_ENV):
            discovery_ports(bad)


def test_a_first_run_uses_the_server_found_on_this_computer(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app: DesktopApp = make_app(env={DISCOVERY_PORTS_ENV: f"llamacpp={api.server.port}"})
    window = app.open()
    assert window.pages.currentWidget() is window.welcome
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.composer.edit, timeout=WAIT_MS)
    window.desktop.discover_local_servers()  # what the app does once the window is shown
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    address = f"127.0.0.1:{api.server.port}"
    assert window.banner.message.text() == (
        f"Using llama.cpp at {address}, found on this computer — change in Preferences."
    )
    assert QApplication.activeModalWidget() is None  # no dialog
    assert QApplication.focusWidget() is window.composer.edit  # the composer kept the focus
    assert window.pages.currentWidget() is window.chat_view
    profile = window.current_profile()
    assert profile is not None
    assert (profile.id, profile.kind, profile.base_url, profile.model) == (
        "llamacpp",
        "openai",
        api.base_url,
        "small-model",
    )
    assert window.picker.current_model() == "small-model"
    saved = Settings(app.data_dir / "settings.ini").load()
    assert saved.current_profile == "llamacpp"
    qtbot.keyClicks(window.composer.edit, "hi")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Quick answer!" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)


def test_nothing_found_keeps_the_welcome_panel(qtbot: QtBot, make_app: Any) -> None:
    app = make_app(env={DISCOVERY_PORTS_ENV: f"llamacpp={dead_port()},ollama={dead_port()}"})
    window = app.open()
    window.desktop.discover_local_servers()
    qtbot.waitUntil(lambda: not window.desktop._tasks.running("discovery"), timeout=WAIT_MS)
    assert not window.banner.isVisible()
    assert window.pages.currentWidget() is window.welcome
    assert window.current_profile() is None


def test_a_configured_parley_does_not_probe(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    app = make_app(configured(api), env={DISCOVERY_PORTS_ENV: f"llamacpp={api.server.port}"})
    window = app.open()
    qtbot.waitUntil(lambda: model_list_requests(api) == 1, timeout=WAIT_MS)  # the window's own
    window.desktop.discover_local_servers()
    assert not window.desktop._tasks.running("discovery")
    assert not window.banner.isVisible()
    assert window.current_profile() == api.profile()


def add_buttons(section: Any) -> list[tuple[str, bool]]:
    """The scan's rows' buttons still on screen (a redrawn row replaces its button)."""
    return [
        (b.text(), b.isEnabled())
        for b in section.servers_box.findChildren(QPushButton)
        if b.objectName() == "addLocalServer" and b.isVisibleTo(section)
    ]


def test_preferences_scan_lists_servers_and_adds_one_in_a_click(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(env={DISCOVERY_PORTS_ENV: f"llamacpp={api.server.port},ollama={dead_port()}"})
    window = app.open()
    dialog = window.open_preferences("general")
    section = dialog.general.desktop
    assert section.servers_box.isVisibleTo(dialog)
    qtbot.mouseClick(section.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: section.scan_status.text() == "1 server(s) answered.", timeout=WAIT_MS)
    [add] = [b for b in section.servers_box.findChildren(QPushButton) if b.objectName() == "addLocalServer"]
    row_text = add.parentWidget().findChildren(type(section.scan_status))[0].text()
    assert row_text == f"llama.cpp at 127.0.0.1:{api.server.port}: small-model, big-model"
    qtbot.mouseClick(add, Qt.MouseButton.LeftButton)
    # In Providers at once (the default, as none was chosen), saved with OK like any change.
    listed = [dialog.providers.list.item(i).text() for i in range(dialog.providers.list.count())]
    assert listed == ["llama.cpp server"]
    assert dialog.providers.default_profile.currentData() == "llamacpp"
    qtbot.waitUntil(lambda: add_buttons(section) == [("Added", False)], timeout=WAIT_MS)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_profile() is not None, timeout=WAIT_MS)
    saved = Settings(app.data_dir / "settings.ini").load()
    [profile] = saved.profiles
    assert (profile.id, profile.base_url, profile.model) == ("llamacpp", api.base_url, "small-model")
    assert saved.current_profile == "llamacpp"  # nothing was chosen before
    # Scanning again shows it as set up already.
    dialog = window.open_preferences("general")
    section = dialog.general.desktop
    qtbot.mouseClick(section.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: section.scan_status.text() == "1 server(s) answered.", timeout=WAIT_MS)
    [add] = [b for b in section.servers_box.findChildren(QPushButton) if b.objectName() == "addLocalServer"]
    assert (add.text(), add.isEnabled()) == ("Already set up", False)
    dialog.reject()
