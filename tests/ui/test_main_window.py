"""The main window with real services (`compose.build_services(tmp_path)`: INI settings, SQLite
history, HTTP client) against a local OpenAI-compatible server, on a qasync loop."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_app.app import GuiServices, window_backend
from desktop_app.compose import Services, build_services
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.preferences import Preferences, ProviderProfile, SendKey, Theme
from desktop_app.storage.settings import Settings
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.theme import Appearance, is_dark
from desktop_app.ui.window_backend import DetectedServer
from tests.support.desktop import MemorySecrets
from tests.support.qt import run
from tests.support.server import ScriptedServer

T = TypeVar("T")
Loop = asyncio.AbstractEventLoop
WAIT_MS = 15_000  # a limit for event waits, generous for a busy machine

# -- the loop, the server and the services -----------------------------------------------------


def sse(*texts: str) -> list[bytes]:
    return [f"data: {json.dumps({'choices': [{'delta': {'content': t}}]})}\n\n".encode() for t in texts]


class OpenAIServer:
    """Scripts `server` as an OpenAI-compatible API: a model list, and answers that can hold the
    stream open after their first pieces until `release` is set."""

    def __init__(self, server: ScriptedServer) -> None:
        self.server = server
        self.answer = ["Hello", ", ", "world", "!"]
        self.hold_after: int | None = None  # pieces sent before holding the stream open
        self.release = asyncio.Event()
        self.held = asyncio.Event()
        server.handle = self.handle

    @property
    def base_url(self) -> str:
        return self.server.url("/v1")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/models"):
            return web.json_response({"data": [{"id": "small-model"}, {"id": "big-model"}]})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        pieces = sse(*self.answer)
        cut = len(pieces) if self.hold_after is None else self.hold_after
        for chunk in pieces[:cut]:
            await response.write(chunk)
        if self.hold_after is not None:
            self.held.set()
            await asyncio.wait_for(self.release.wait(), timeout=10)
        for chunk in pieces[cut:]:
            await response.write(chunk)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


@pytest.fixture
def api(server: ScriptedServer) -> OpenAIServer:
    return OpenAIServer(server)


def local_profile(api: OpenAIServer) -> ProviderProfile:
    return ProviderProfile("local", "openai", "Local server", api.base_url, "small-model")


class App:
    """Real services for a tmp data dir and a main window over them."""

    def __init__(
        self, qtbot: QtBot, loop: Loop, data_dir: Path, preferences: Preferences | None = None
    ) -> None:
        self.qtbot, self.loop, self.data_dir = qtbot, loop, data_dir
        self.services: Services = run(qtbot, loop, build_services(data_dir, secrets=MemorySecrets()))
        if preferences is not None:
            self.services.settings.save(preferences)
        self.gui = GuiServices(self.services)
        self.window: MainWindow | None = None

    def open(self, local: DetectedServer | None = None, appearance: Appearance | None = None) -> MainWindow:
        preferences = self.services.settings.load()
        # Not qtbot.addWidget: pytest-qt would delete the window before `close()` shuts it down.
        self.window = MainWindow(window_backend(self.gui, appearance, local), preferences)
        self.window.show()
        self.qtbot.waitExposed(self.window)
        self.window.activateWindow()
        self.window.composer.setFocus()
        return self.window

    def close(self) -> None:
        if self.window is not None:
            run(self.qtbot, self.loop, self.window.shutdown())
            self.window.deleteLater()
            self.window = None
        run(self.qtbot, self.loop, self.gui.aclose())


@pytest.fixture
def make_app(qtbot: QtBot, qloop: Loop, tmp_path: Path, server: ScriptedServer) -> Iterator[Any]:
    """Windows over real services; closed before the server stops (their HTTP sessions first)."""
    apps: list[App] = []

    def make(preferences: Preferences | None = None) -> App:
        app = App(qtbot, qloop, tmp_path, preferences)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()  # the qloop fixture then fails the test if any task is left


@pytest.fixture
def window(make_app: Any, api: OpenAIServer) -> MainWindow:
    profile = local_profile(api)
    app = make_app(Preferences(profiles=(profile,), current_profile=profile.id))
    return app.open()


def chats(api: OpenAIServer) -> list[Any]:
    """The chat requests the server got (the window also asks for the model list)."""
    return [r for r in api.server.requests if r.method == "POST"]


def transcript(window: MainWindow) -> str:
    return window.chat_view.browser.toPlainText()


def type_and_send(qtbot: QtBot, window: MainWindow, text: str) -> None:
    qtbot.keyClicks(window.composer.edit, text)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)


def answers(window: MainWindow) -> list[Any]:
    cid = window.conversations.current
    assert cid is not None
    return [m for m in window.workspace._history.messages(cid) if m.role is Role.ASSISTANT]


# -- sending and stopping ----------------------------------------------------------------------


def test_send_streams_the_answer_into_the_chat_view(
    qtbot: QtBot, window: MainWindow, api: OpenAIServer
) -> None:
    type_and_send(qtbot, window, "Say hello")
    qtbot.waitUntil(lambda: "Hello, world!" in transcript(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.composer.streaming, timeout=WAIT_MS)
    assert "Say hello" in transcript(window)
    body = json.loads(chats(api)[-1].body)
    assert body["model"] == "small-model"
    assert body["messages"][-1] == {"role": "user", "content": "Say hello"}
    [answer] = answers(window)
    assert (answer.content, answer.status) == ("Hello, world!", MessageStatus.COMPLETE)
    assert window.sidebar.conversation_ids() == [window.conversations.current]
    assert window.status.speed.text().endswith(" s")


def test_escape_stops_within_100_ms_and_keeps_the_partial_answer(
    qtbot: QtBot, window: MainWindow, api: OpenAIServer
) -> None:
    api.hold_after = 2
    type_and_send(qtbot, window, "Tell me a long story")
    qtbot.waitUntil(lambda: "Hello," in transcript(window), timeout=WAIT_MS)
    assert window.composer.stop_button.isVisible()
    assert window.status.busy.isHidden()  # the first bytes came: no more waiting indicator
    pressed = time.monotonic()
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(api.server.disconnected.is_set, timeout=1000)
    assert api.server.disconnected_at is not None
    assert api.server.disconnected_at - pressed < 0.1
    assert not window.composer.streaming
    assert "Stopped." in transcript(window)
    [answer] = answers(window)
    assert (answer.content, answer.status) == ("Hello, ", MessageStatus.STOPPED)


def test_busy_indicator_shows_until_the_first_bytes(
    qtbot: QtBot, window: MainWindow, api: OpenAIServer
) -> None:
    api.hold_after = 0
    type_and_send(qtbot, window, "hi")
    qtbot.waitUntil(lambda: window.status.is_waiting and window.status.busy.isVisible(), timeout=WAIT_MS)
    assert window.status.waiting.isVisible()
    api.release.set()
    qtbot.waitUntil(lambda: "Hello, world!" in transcript(window), timeout=WAIT_MS)
    assert not window.status.busy.isVisible()


def test_closing_mid_answer_saves_it_as_stopped(
    qtbot: QtBot, make_app: Any, api: OpenAIServer, qloop: Loop, tmp_path: Path
) -> None:
    profile = local_profile(api)
    app = make_app(Preferences(profiles=(profile,), current_profile=profile.id))
    window = app.open()
    api.hold_after = 1
    type_and_send(qtbot, window, "question")
    qtbot.waitUntil(lambda: "Hello" in transcript(window), timeout=WAIT_MS)
    window.close()
    assert window.close_requested.is_set()
    assert window.isVisible()  # the close waits for the shutdown the app runs
    run(qtbot, qloop, window.shutdown())
    assert not window.isVisible()
    # The server notices the closed connection on its own next turn of the loop: wait for its record.
    qtbot.waitUntil(api.server.disconnected.is_set, timeout=WAIT_MS)
    [answer] = answers(window)
    assert (answer.content, answer.status) == ("Hello", MessageStatus.STOPPED)


def test_regenerate_replaces_the_last_answer(qtbot: QtBot, window: MainWindow, api: OpenAIServer) -> None:
    type_and_send(qtbot, window, "first")
    qtbot.waitUntil(lambda: not window.composer.streaming and len(chats(api)) == 1, timeout=WAIT_MS)
    api.answer = ["Another", " answer"]
    window.actions_.regenerate.trigger()
    qtbot.waitUntil(lambda: "Another answer" in transcript(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.composer.streaming, timeout=WAIT_MS)
    assert [a.content for a in answers(window)] == ["Another answer"]
    assert "Hello, world!" not in transcript(window)


def test_up_edits_the_last_message_and_resends(qtbot: QtBot, window: MainWindow, api: OpenAIServer) -> None:
    type_and_send(qtbot, window, "Waht is Qt?")
    qtbot.waitUntil(lambda: not window.composer.streaming and len(chats(api)) == 1, timeout=WAIT_MS)
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Up)
    assert window.composer.editing
    assert window.composer.text() == "Waht is Qt?"
    window.composer.edit.selectAll()
    type_and_send(qtbot, window, "What is Qt?")
    qtbot.waitUntil(lambda: len(chats(api)) == 2 and not window.composer.streaming, timeout=WAIT_MS)
    sent = json.loads(chats(api)[-1].body)["messages"]
    assert [m["content"] for m in sent] == ["What is Qt?"]
    cid = window.conversations.current
    assert cid is not None
    rows = window.workspace._history.messages(cid)
    assert [(r.role, r.content) for r in rows] == [
        (Role.USER, "What is Qt?"),
        (Role.ASSISTANT, "Hello, world!"),
    ]


def test_an_error_shows_inline_and_retry_answers(qtbot: QtBot, window: MainWindow, api: OpenAIServer) -> None:
    healthy = api.handle

    async def broken(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500, text="boom")

    api.server.handle = broken
    type_and_send(qtbot, window, "hi")
    qtbot.waitUntil(lambda: "HTTP 500" in transcript(window), timeout=WAIT_MS)
    assert "Retry" in transcript(window)
    api.server.handle = healthy
    window.conversations.retry()
    qtbot.waitUntil(lambda: "Hello, world!" in transcript(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.composer.streaming, timeout=WAIT_MS)
    assert [a.status for a in answers(window)] == [MessageStatus.COMPLETE]


# -- first run -----------------------------------------------------------------------------------


def test_first_run_shows_the_welcome_panel_and_focuses_the_composer(qtbot: QtBot, make_app: Any) -> None:
    app = make_app()
    window = app.open()
    assert window.pages.currentWidget() is window.welcome
    assert QApplication.activeModalWidget() is None  # no dialog on first run
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.composer.edit, timeout=WAIT_MS)
    assert "unofficial third-party" in window.welcome.yqcloud.text.text()
    qtbot.mouseClick(window.welcome.yqcloud.button, Qt.MouseButton.LeftButton)
    assert window.pages.currentWidget() is window.chat_view
    saved = Settings(app.data_dir / "settings.ini").load()
    assert saved.current_profile == "yqcloud"
    assert [p.kind for p in saved.profiles] == ["yqcloud"]


def test_welcome_api_key_opens_providers_with_a_keyed_preset(qtbot: QtBot, make_app: Any) -> None:
    window = make_app().open()
    qtbot.mouseClick(window.welcome.api_key.button, Qt.MouseButton.LeftButton)
    dialog = window._preferences_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.tabs.currentWidget() is dialog.providers
    profile = dialog.providers.current_profile()
    assert profile is not None
    assert profile.kind == "openai"
    dialog.reject()


def test_sending_before_choosing_a_provider_keeps_the_text(qtbot: QtBot, make_app: Any) -> None:
    window = make_app().open()
    type_and_send(qtbot, window, "hello?")
    assert window.composer.text() == "hello?"
    assert "Choose where answers come from" in window.status.message.text()


def test_a_detected_local_server_is_used_and_announced(
    qtbot: QtBot, make_app: Any, api: OpenAIServer
) -> None:
    app = make_app()
    found = DetectedServer("llama.cpp", "127.0.0.1:8080", local_profile(api))
    window = app.open(local=found)
    assert window.banner.isVisible()
    assert "Using llama.cpp at 127.0.0.1:8080, found on this computer" in window.banner.message.text()
    assert window.pages.currentWidget() is window.chat_view
    type_and_send(qtbot, window, "hi")
    qtbot.waitUntil(lambda: "Hello, world!" in transcript(window), timeout=WAIT_MS)


# -- conversations -------------------------------------------------------------------------------


def test_conversations_rename_delete_and_search(qtbot: QtBot, window: MainWindow, api: OpenAIServer) -> None:
    type_and_send(qtbot, window, "about pelicans")
    qtbot.waitUntil(lambda: not window.composer.streaming and len(chats(api)) == 1, timeout=WAIT_MS)
    first = window.conversations.current
    window.actions_.new_chat.trigger()
    assert window.conversations.current is None
    assert transcript(window) == ""
    api.answer = ["Penguins", " swim."]
    type_and_send(qtbot, window, "about penguins")
    qtbot.waitUntil(lambda: not window.composer.streaming and len(chats(api)) == 2, timeout=WAIT_MS)
    second = window.conversations.current
    assert window.sidebar.conversation_ids() == [second, first]  # last activity first

    window.sidebar.rename_requested.emit(first, "Birds")
    assert window.sidebar.conversations.item(1).text() == "Birds"

    window.sidebar.search.setText("pelicans")
    qtbot.waitUntil(lambda: window.sidebar.results.count() == 1, timeout=WAIT_MS)
    qtbot.keyClick(window.sidebar.search, Qt.Key.Key_Return)
    assert window.conversations.current == first
    assert window.chat_view.browser.textCursor().selectedText() == "pelicans"

    box = window.sidebar.confirm_delete(first)
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: window.sidebar.conversation_ids() == [second], timeout=WAIT_MS)
    assert window.workspace._history.get_conversation(first) is None
    assert window.conversations.current is None  # the shown conversation was deleted


def test_conversation_settings_go_into_the_request(
    qtbot: QtBot, window: MainWindow, api: OpenAIServer
) -> None:
    dialog = window.open_conversation_settings()
    dialog.system_prompt.setPlainText("Answer in French.")
    dialog.use_temperature.setChecked(True)
    dialog.temperature.setValue(0.3)
    dialog.use_max_tokens.setChecked(True)
    dialog.max_tokens.setValue(64)
    dialog._accept()
    type_and_send(qtbot, window, "hi")
    qtbot.waitUntil(lambda: not window.composer.streaming and len(chats(api)) == 1, timeout=WAIT_MS)
    body = json.loads(chats(api)[-1].body)
    assert body["messages"][0] == {"role": "system", "content": "Answer in French."}
    assert (body["temperature"], body["max_tokens"]) == (0.3, 64)
    cid = window.conversations.current
    assert cid is not None
    row = window.workspace._history.get_conversation(cid)
    assert row is not None
    assert row.settings.system_prompt == "Answer in French."


def test_export_and_import(qtbot: QtBot, window: MainWindow, api: OpenAIServer, tmp_path: Path) -> None:
    type_and_send(qtbot, window, "export me")
    qtbot.waitUntil(lambda: not window.composer.streaming and len(chats(api)) == 1, timeout=WAIT_MS)
    cid = window.conversations.current
    assert cid is not None
    markdown = tmp_path / "out.md"
    as_json = tmp_path / "out.json"
    assert window.files.write_export(cid, "markdown", markdown)
    assert window.files.write_export(cid, "json", as_json)
    assert "export me" in markdown.read_text(encoding="utf-8")
    imported = window.files.read_import(as_json)
    assert imported is not None
    assert imported != cid
    assert window.conversations.current == imported
    assert "Hello, world!" in transcript(window)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert window.files.read_import(broken) is None
    assert "Could not import broken.json" in window.status.message.text()


# -- the window itself ---------------------------------------------------------------------------


def test_geometry_and_splitter_are_restored(
    qtbot: QtBot, make_app: Any, api: OpenAIServer, qloop: Loop
) -> None:
    app = make_app(Preferences())
    window = app.open()
    window.resize(700, 500)  # the offscreen screen is 800×600; restoring clamps to it
    window.splitter.setSizes([320, 380])
    qtbot.waitUntil(lambda: window.width() == 700, timeout=WAIT_MS)
    size = window.size()  # the height may be held above 500 by the welcome panel's minimum
    run(qtbot, qloop, window.shutdown())
    app.window = None
    again = app.open()
    assert again.size() == size
    assert again.splitter.sizes()[0] == 320


def test_model_picker_lists_the_servers_models(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.picker.model.count() == 2, timeout=WAIT_MS)
    assert [window.picker.model.itemText(i) for i in range(2)] == ["big-model", "small-model"]
    window.picker.model.setCurrentIndex(0)
    window.picker.model.activated.emit(0)
    profile = window.current_profile()
    assert profile is not None
    assert profile.model == "big-model"
    assert "big-model" in window.status.source.text()


def test_shortcuts_and_accessible_names(qtbot: QtBot, window: MainWindow) -> None:
    keys = {a.shortcut().toString() for a in window.actions_.all() if not a.shortcut().isEmpty()}
    assert {"Ctrl+N", "Ctrl+F", "Esc", "Ctrl+,", "Ctrl+Q"} <= keys
    window.actions_.find.trigger()
    assert window.sidebar.search.hasFocus()
    for button in window.toolbar.findChildren(type(window.composer.send_button)):
        if button.defaultAction() is not None:
            assert button.defaultAction().text() or button.accessibleName()
    assert window.composer.edit.accessibleName()


def test_preferences_apply_without_restart(
    qtbot: QtBot, make_app: Any, api: OpenAIServer, qapp: QApplication
) -> None:
    profile = local_profile(api)
    app = make_app(Preferences(profiles=(profile,), current_profile=profile.id))
    appearance = Appearance(qapp)
    window = app.open(appearance=appearance)
    light_icon = window.actions_.preferences.icon().pixmap(16, 16).toImage()
    try:
        changed = dataclasses.replace(
            window.preferences, send_key=SendKey.CTRL_ENTER, theme=Theme.DARK, font_size=15
        )
        window.apply_preferences(changed)
        assert window.composer.edit.send_key is SendKey.CTRL_ENTER
        qtbot.waitUntil(lambda: is_dark(window.palette()), timeout=WAIT_MS)
        assert window.chat_view.browser.palette().color(QPalette.ColorRole.Base).lightness() < 128
        assert window.actions_.preferences.icon().pixmap(16, 16).toImage() != light_icon  # re-tinted
        assert QApplication.font().pointSize() == 15
        saved = Settings(window._backend.data_dir / "settings.ini").load()
        assert (saved.send_key, saved.theme, saved.font_size) == (SendKey.CTRL_ENTER, Theme.DARK, 15)
    finally:
        appearance.apply_theme(Theme.SYSTEM)  # the application is shared with later tests
        appearance.apply_font_size(0)
    qtbot.waitUntil(lambda: not is_dark(window.palette()), timeout=WAIT_MS)


def test_copy_diagnostics(window: MainWindow) -> None:
    text = window.copy_diagnostics()
    assert QApplication.clipboard().text() == text
    assert "Qt:" in text
    assert str(window._backend.data_dir) in text
