"""The preferences dialog: a round trip through a real QSettings INI, invalid input marked in place
with OK disabled, the keychain (an in-memory store, and keyring's fail backend for "unavailable"),
the connection test and the model list against a local server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import keyring.backends.fail
import pytest
from aiohttp import web
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_app.app import GuiServices
from desktop_app.compose import build_services
from desktop_app.core.ports import SecretStore
from desktop_app.core.preferences import (
    Language,
    Preferences,
    ProviderProfile,
    ProxyMode,
    ProxyType,
    SendKey,
    Theme,
)
from desktop_app.core.provider_kinds import ProviderKind
from desktop_app.providers.registry import PRESETS
from desktop_app.storage.secrets import KeyringSecrets
from desktop_app.storage.settings import Settings
from desktop_app.ui.preferences import PROXY_PASSWORD_KEY, PreferencesBackend, PreferencesDialog, api_key_name
from tests.support.desktop import MemorySecrets
from tests.support.qt import run
from tests.support.server import ScriptedServer

T = TypeVar("T")
Loop = asyncio.AbstractEventLoop
WAIT_MS = 15_000  # a limit for event waits, generous for a busy machine


@pytest.fixture
def server(server: ScriptedServer) -> ScriptedServer:
    """The shared server (tests/ui/conftest.py), answering the model list."""

    async def models(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") not in (None, "Bearer sk-typed-key"):
            return web.json_response({"error": {"message": "bad key"}}, status=401)
        return web.json_response({"data": [{"id": "alpha"}, {"id": "beta"}]})

    server.handle = models
    return server


class Harness:
    """Real services over tmp_path (INI settings, history, HTTP) and a dialog over them."""

    def __init__(self, qtbot: QtBot, loop: Loop, data_dir: Path, secrets: SecretStore) -> None:
        self.qtbot, self.loop = qtbot, loop
        self.secrets = secrets
        self.services = run(qtbot, loop, build_services(data_dir, secrets=secrets))
        self.gui = GuiServices(self.services)
        self.settings_path = data_dir / "settings.ini"
        self.applied: list[Preferences] = []

    def dialog(self, preferences: Preferences | None = None) -> PreferencesDialog:
        backend = PreferencesBackend(
            secrets=self.secrets,
            presets=PRESETS,
            list_models=self.gui.list_models,
            test_connection=self.gui.test_connection,
        )
        dialog = PreferencesDialog(preferences or self.services.settings.load(), backend)
        dialog.applied.connect(self.applied.append)
        dialog.applied.connect(self.services.settings.save)
        self.qtbot.addWidget(dialog)
        dialog.show()
        self.qtbot.waitExposed(dialog)
        return dialog

    def close(self) -> None:
        run(self.qtbot, self.loop, self.gui.aclose())


@pytest.fixture
def memory_secrets() -> MemorySecrets:
    return MemorySecrets()


@pytest.fixture
def harness(
    qtbot: QtBot, qloop: Loop, tmp_path: Path, server: ScriptedServer, memory_secrets: MemorySecrets
) -> Iterator[Harness]:
    made = Harness(qtbot, qloop, tmp_path, memory_secrets)
    yield made
    made.close()


def set_manual_proxy(qtbot: QtBot, dialog: PreferencesDialog, host: str, port: str) -> None:
    page = dialog.network
    page.mode_manual.setChecked(True)
    page.host.clear()
    qtbot.keyClicks(page.host, host)
    page.port.clear()
    qtbot.keyClicks(page.port, port)


def test_round_trip_through_the_ini_file(
    qtbot: QtBot, harness: Harness, memory_secrets: MemorySecrets
) -> None:
    dialog = harness.dialog()
    set_manual_proxy(qtbot, dialog, "proxy.internal", "3128")
    net = dialog.network
    net.proxy_type.setCurrentIndex(net.proxy_type.findData(ProxyType.SOCKS5.value))
    qtbot.keyClicks(net.user, "alice")
    qtbot.keyClicks(net.password, "s3cret")
    net.timeout.setValue(45)
    general = dialog.general
    general.theme.setCurrentIndex(general.theme.findData(Theme.DARK.value))
    general.language.setCurrentIndex(general.language.findData(Language.RUSSIAN.value))
    general.send_key.setCurrentIndex(general.send_key.findData(SendKey.CTRL_ENTER.value))
    general.font_size.setValue(14)
    dialog.providers.add_preset("groq")
    qtbot.keyClicks(dialog.providers.form.api_key, "gsk-test-key")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)

    saved = Settings(harness.settings_path).load()  # a fresh reader of the INI file
    assert (saved.proxy_mode, saved.proxy_type, saved.proxy_host, saved.proxy_port) == (
        ProxyMode.MANUAL,
        ProxyType.SOCKS5,
        "proxy.internal",
        3128,
    )
    assert (saved.proxy_user, saved.timeout) == ("alice", 45)
    assert (saved.theme, saved.language, saved.send_key, saved.font_size) == (
        Theme.DARK,
        Language.RUSSIAN,
        SendKey.CTRL_ENTER,
        14,
    )
    assert [p.id for p in saved.profiles] == ["groq"]
    assert saved.current_profile == "groq"
    assert memory_secrets.saved == {PROXY_PASSWORD_KEY: "s3cret", api_key_name("groq"): "gsk-test-key"}
    ini = harness.settings_path.read_text(encoding="utf-8")
    assert "s3cret" not in ini
    assert "gsk-test-key" not in ini
    assert harness.applied == [saved]

    reopened = harness.dialog()
    assert reopened.network.host.text() == "proxy.internal"
    assert reopened.general.font_size.value() == 14
    qtbot.waitUntil(
        lambda: "saved in the keychain" in reopened.network.password.placeholderText(), timeout=WAIT_MS
    )


def test_invalid_proxy_port_disables_ok_until_fixed(qtbot: QtBot, harness: Harness) -> None:
    dialog = harness.dialog()
    set_manual_proxy(qtbot, dialog, "proxy.internal", "70000")
    assert not dialog.ok_button.isEnabled()
    assert not dialog.apply_button.isEnabled()
    assert dialog.network.port.property("invalid") is True
    assert dialog.network.port_error.isVisible()
    assert "1 to 65535" in dialog.network.port_error.text()
    qtbot.keyClick(dialog.network.port, Qt.Key.Key_Return)  # Enter must not press a disabled OK
    assert dialog.isVisible()
    assert harness.applied == []
    dialog.network.port.clear()
    qtbot.keyClicks(dialog.network.port, "8888")
    assert dialog.ok_button.isEnabled()
    assert dialog.network.port.property("invalid") is False
    assert not dialog.network.port_error.isVisible()
    dialog.network.mode_off.setChecked(True)  # an unused manual proxy is not checked
    dialog.network.port.setText("abc")
    assert dialog.ok_button.isEnabled()


def test_an_empty_host_and_a_custom_server_without_url_are_marked(qtbot: QtBot, harness: Harness) -> None:
    dialog = harness.dialog()
    set_manual_proxy(qtbot, dialog, "", "8080")
    assert dialog.network.host.property("invalid") is True
    assert not dialog.ok_button.isEnabled()
    dialog.network.mode_off.setChecked(True)
    assert dialog.ok_button.isEnabled()
    dialog.providers._add_custom(ProviderKind.OPENAI)
    assert not dialog.ok_button.isEnabled()
    form = dialog.providers.form
    assert form.base_url.property("invalid") is True
    qtbot.keyClicks(form.base_url, "http://127.0.0.1:8080/v1")
    assert dialog.ok_button.isEnabled()


def test_the_profile_form_follows_the_kinds_facts(harness: Harness) -> None:
    dialog = harness.dialog()
    providers, form = dialog.providers, dialog.providers.form
    providers.add_preset("yqcloud")
    providers._add_custom(ProviderKind.OPENAI)
    providers._add_custom(ProviderKind.OLLAMA)
    assert providers.current_profile() == ProviderProfile(
        "ollama", ProviderKind.OLLAMA, "Ollama", "http://127.0.0.1:11434"
    )
    shown = {}
    for row, profile in enumerate(providers.apply(Preferences()).profiles):
        providers.list.setCurrentRow(row)
        shown[profile.kind] = (
            form.form.isRowVisible(form.base_url),
            form.form.isRowVisible(form.api_key_caption),
            form.refresh.isEnabled(),
            not form.notice.isHidden(),
        )
    # (base URL, API key, model list refresh, the unofficial-service notice)
    assert shown == {
        ProviderKind.YQCLOUD: (False, False, False, True),
        ProviderKind.OPENAI: (True, True, True, False),
        ProviderKind.OLLAMA: (True, False, True, False),
    }


def test_unavailable_keychain_is_reported_and_nothing_is_saved(
    qtbot: QtBot, qloop: Loop, tmp_path: Path, server: ScriptedServer
) -> None:
    secrets = KeyringSecrets(backend=keyring.backends.fail.Keyring())
    harness = Harness(qtbot, qloop, tmp_path, secrets)
    try:
        dialog = harness.dialog()
        qtbot.waitUntil(dialog.banner.isVisible, timeout=WAIT_MS)
        assert "No secure keychain" in dialog.banner.text()
        dialog.providers.add_preset("openai")
        qtbot.keyClicks(dialog.providers.form.api_key, "sk-never-saved")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Nothing was saved" in dialog.banner.text(), timeout=WAIT_MS)
        assert dialog.isVisible()
        assert dialog.ok_button.isEnabled()  # the user can clear the key and save the rest
        assert harness.applied == []
        assert Settings(harness.settings_path).load().profiles == ()
        ini = harness.settings_path
        assert not ini.exists() or "sk-never-saved" not in ini.read_text(encoding="utf-8")
        dialog.providers.form.api_key.clear()
        dialog.providers.form.key_typed.emit("")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
        assert [p.id for p in Settings(harness.settings_path).load().profiles] == ["openai"]
    finally:
        harness.close()


def test_connection_test_reaches_the_local_server(
    qtbot: QtBot, harness: Harness, server: ScriptedServer
) -> None:
    profile = ProviderProfile("local", "openai", "Local", server.url("/v1"), "alpha")
    dialog = harness.dialog(Preferences(profiles=(profile,), current_profile="local"))
    qtbot.mouseClick(dialog.network.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Connected to 127.0.0.1" in dialog.network.test_result.text(), timeout=WAIT_MS)
    assert server.requests[-1].path == "/v1/models"
    assert dialog.network.test_button.isEnabled()


def test_connection_test_reports_a_dead_proxy(qtbot: QtBot, harness: Harness, server: ScriptedServer) -> None:
    # An .invalid name never resolves: through the proxy or not, nothing outside 127.0.0.1 is reached.
    profile = ProviderProfile("remote", "openai", "Remote", "http://parley-test.invalid/v1", "alpha")
    dialog = harness.dialog(Preferences(profiles=(profile,), current_profile="remote"))
    set_manual_proxy(qtbot, dialog, "127.0.0.1", "1")  # nothing listens on port 1
    qtbot.mouseClick(dialog.network.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.network.test_button.isEnabled(), timeout=WAIT_MS)
    text = dialog.network.test_result.text()
    assert text
    assert "Connected" not in text
    assert "\n" not in text  # one line, no traceback


def test_model_refresh_lists_the_servers_models(
    qtbot: QtBot, harness: Harness, server: ScriptedServer
) -> None:
    profile = ProviderProfile("local", "openai", "Local", server.url("/v1"), "")
    dialog = harness.dialog(Preferences(profiles=(profile,), current_profile="local"))
    dialog.open_page("providers")
    form = dialog.providers.form
    qtbot.keyClicks(form.api_key, "sk-typed-key")
    qtbot.mouseClick(form.refresh, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.model.count() == 2, timeout=WAIT_MS)
    assert [form.model.itemText(i) for i in range(2)] == ["alpha", "beta"]
    assert dialog.draft().profiles[0].model == "alpha"  # an empty model takes the first offered
    assert "Bearer sk-typed-key" in dict(server.requests[-1].raw_headers).values()


def test_model_refresh_error_is_one_line_in_place(
    qtbot: QtBot, harness: Harness, server: ScriptedServer
) -> None:
    profile = ProviderProfile("local", "openai", "Local", server.url("/v1"), "")
    dialog = harness.dialog(Preferences(profiles=(profile,), current_profile="local"))
    form = dialog.providers.form
    qtbot.keyClicks(form.api_key, "sk-wrong")
    qtbot.mouseClick(form.refresh, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Could not list models" in form.model_status.text(), timeout=WAIT_MS)
    assert "401" in form.model_status.text()
    assert form.refresh.isEnabled()


def test_removing_a_profile_deletes_its_saved_key(
    qtbot: QtBot, harness: Harness, memory_secrets: MemorySecrets
) -> None:
    memory_secrets.saved[api_key_name("openai")] = "sk-old"
    profile = ProviderProfile("openai", "openai", "OpenAI", "https://api.openai.com/v1", "gpt-4o-mini")
    dialog = harness.dialog(Preferences(profiles=(profile,), current_profile="openai"))
    dialog.open_page("providers")
    qtbot.waitUntil(
        lambda: "A key is saved" in dialog.providers.form.api_key.placeholderText(), timeout=WAIT_MS
    )
    qtbot.mouseClick(dialog.providers.remove_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert memory_secrets.saved == {}
    assert Settings(harness.settings_path).load().profiles == ()


def test_every_page_control_is_reachable_and_named(harness: Harness) -> None:
    dialog = harness.dialog()
    for page in (dialog.network, dialog.providers, dialog.general):
        dialog.tabs.setCurrentWidget(page)
        for button in page.findChildren(type(dialog.providers.form.refresh)):
            assert button.text() or button.accessibleName(), button.objectName()
    assert dialog.providers.form.refresh.accessibleName()
    assert dialog.network.port.accessibleName()
