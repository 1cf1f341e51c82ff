"""The quick prompt inside the real window with real services (`compose.build_services(tmp_path)`:
INI settings, SQLite history, HTTP client) against a local OpenAI-compatible server, on a qasync
loop. The window's desktop pieces get seams: a tray that may or may not exist, and a global
shortcut that grabs nothing (`FakeHotkey`, a `GlobalHotkey` like the real backends).

`DesktopApp`, `ChatAPI` and `FakeHotkey` are shared with test_tray.py and
test_discovery_first_run.py.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_app.autostart import for_platform
from desktop_app.compose import Services, build_services
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.gui_services import GuiServices, LaunchAtLoginSwitch, window_backend
from desktop_app.ui.hotkey import Chord, GlobalHotkey
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.window_backend import DesktopBackend
from tests.support.qt import run
from tests.support.server import ScriptedServer, sse

Loop = asyncio.AbstractEventLoop
WAIT_MS = 5000


class MemorySecrets:
    """An in-memory `SecretStore` (the tests never touch the developer's keychain)."""

    def __init__(self) -> None:
        self.saved: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.saved.get(key)

    async def set(self, key: str, value: str) -> None:
        self.saved[key] = value

    async def delete(self, key: str) -> None:
        self.saved.pop(key, None)


class ChatAPI:
    """Scripts `server` as an OpenAI-compatible API: a model list, and answers that can hold the
    stream open after their first pieces until `release` is set."""

    def __init__(self, server: ScriptedServer) -> None:
        self.server = server
        self.answer = ["Quick ", "answer", "!"]
        self.hold_after: int | None = None
        self.release = asyncio.Event()
        server.handle = self.handle

    @property
    def base_url(self) -> str:
        return self.server.url("/v1")

    def profile(self) -> ProviderProfile:
        return ProviderProfile("local", "openai", "Local server", self.base_url, "small-model")

    def chats(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.server.requests if r.method == "POST"]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/models"):
            return web.json_response({"object": "list", "data": [{"id": "small-model"}, {"id": "big-model"}]})
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        pieces = sse(*({"content": text} for text in self.answer))
        cut = len(self.answer) if self.hold_after is None else self.hold_after
        for chunk in pieces[:cut]:
            await response.write(chunk)
        if self.hold_after is not None:
            await asyncio.wait_for(self.release.wait(), timeout=10)
        for chunk in pieces[cut:]:
            await response.write(chunk)
        await response.write_eof()
        return response


class FakeHotkey(GlobalHotkey):
    """A global shortcut that grabs nothing: `press()` is the user pressing it anywhere, and a
    `refusal` makes `register()` fail the way a combination taken by another application does."""

    def __init__(self, parent: QObject | None = None, refusal: str = "") -> None:
        super().__init__(parent)
        self.refusal = refusal
        self.grabbed: list[str] = []
        self.released = 0

    def _grab(self, chord: Chord) -> str:
        if self.refusal:
            return self.refusal
        self.grabbed.append(chord.text())
        return ""

    def _release(self) -> None:
        self.released += 1

    def press(self) -> None:
        self.schedule_activation()


class DesktopApp:
    """Real services for a tmp data dir, and the main window over them with desktop seams."""

    def __init__(
        self,
        qtbot: QtBot,
        loop: Loop,
        data_dir: Path,
        preferences: Preferences | None = None,
        *,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.qtbot, self.loop, self.data_dir = qtbot, loop, data_dir
        self.services: Services = run(
            qtbot, loop, build_services(data_dir, secrets=MemorySecrets(), env=env or {})
        )
        if preferences is not None:
            self.services.settings.save(preferences)
        self.gui = GuiServices(self.services)
        self.tray = False  # is there a system tray (the seam)
        self.hotkey_refusal = ""
        self.hotkeys: list[FakeHotkey] = []
        self.autostart_home = data_dir / "xdg-config"
        self.window: MainWindow | None = None

    def _hotkey(self, parent: QObject) -> GlobalHotkey:
        hotkey = FakeHotkey(parent, self.hotkey_refusal)
        self.hotkeys.append(hotkey)
        return hotkey

    def open(self, *, show: bool = True) -> MainWindow:
        gui = self.gui
        desktop = DesktopBackend(
            tray_available=lambda: self.tray,
            create_hotkey=self._hotkey,
            launch_at_login=LaunchAtLoginSwitch(
                for_platform("linux", config_home=self.autostart_home), ["parley", "--data-dir", "x"]
            ),
            scan_local_servers=gui.scan_local_servers,
            tray_notice_shown=gui.tray_notice_shown,
            remember_tray_notice=gui.remember_tray_notice,
        )
        # Not qtbot.addWidget: pytest-qt would delete the window before `shutdown()` ran.
        self.window = MainWindow(window_backend(gui, None, None, desktop), self.services.settings.load())
        if show:
            self.window.show()
            self.qtbot.waitExposed(self.window)
            self.window.activateWindow()
            self.window.composer.setFocus()
        self.window.desktop.start()
        return self.window

    @property
    def hotkey(self) -> FakeHotkey:
        return self.hotkeys[-1]

    def conversations(self) -> list[Any]:
        assert self.services.history is not None
        return self.services.history.list_conversations()

    def messages(self, conversation_id: int) -> list[Any]:
        assert self.services.history is not None
        return self.services.history.messages(conversation_id)

    def close(self) -> None:
        if self.window is not None:
            run(self.qtbot, self.loop, self.window.shutdown())
            self.window.deleteLater()
            self.window = None
        run(self.qtbot, self.loop, self.gui.aclose())


@pytest.fixture
def api(server: ScriptedServer) -> ChatAPI:
    return ChatAPI(server)


@pytest.fixture
def make_app(qtbot: QtBot, qloop: Loop, tmp_path: Path, server: ScriptedServer) -> Iterator[Any]:
    """Apps over real services; closed before the server stops (their HTTP sessions first)."""
    apps: list[DesktopApp] = []

    def make(preferences: Preferences | None = None, **kwargs: Any) -> DesktopApp:
        app = DesktopApp(qtbot, qloop, tmp_path, preferences, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()  # the qloop fixture then fails the test if any task is left


def configured(api: ChatAPI) -> Preferences:
    profile = api.profile()
    return Preferences(profiles=(profile,), current_profile=profile.id)


def answer_text(window: MainWindow) -> str:
    return window.desktop.quick.view.browser.toPlainText()


def ask(qtbot: QtBot, window: MainWindow, text: str) -> None:
    quick = window.desktop.quick
    qtbot.keyClicks(quick.edit, text)
    qtbot.keyClick(quick.edit, Qt.Key.Key_Return)


# -- tests -------------------------------------------------------------------------------------


def test_the_quick_prompt_is_a_small_window_centred_on_the_pointers_screen(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    window = make_app(configured(api)).open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    qtbot.waitExposed(quick)
    flags = quick.windowFlags()
    assert flags & Qt.WindowType.FramelessWindowHint
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert quick.view.isHidden()  # one line until there is an answer
    assert quick.edit.height() < 3 * quick.edit.fontMetrics().lineSpacing()
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert abs(quick.geometry().center().x() - screen.center().x()) <= 2
    qtbot.waitUntil(lambda: QApplication.focusWidget() is quick.edit, timeout=WAIT_MS)


def test_enter_streams_the_answer_in_place_and_saves_the_exchange(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    window = app.open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    ask(qtbot, window, "What is Parley?")
    qtbot.waitUntil(lambda: "Quick answer!" in answer_text(window), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not quick.is_streaming(), timeout=WAIT_MS)
    assert quick.view.isVisible()
    assert quick.view.renderer is window.renderer  # the window's markdown pipeline
    assert "What is Parley?" in answer_text(window)
    assert quick.edit.toPlainText() == ""
    body = api.chats()[-1]
    assert body["model"] == "small-model"
    assert body["messages"][-1] == {"role": "user", "content": "What is Parley?"}
    [conversation] = app.conversations()
    assert conversation.title == "What is Parley?"
    rows = app.messages(conversation.id)
    assert [(r.role, r.content, r.status) for r in rows] == [
        (Role.USER, "What is Parley?", MessageStatus.COMPLETE),
        (Role.ASSISTANT, "Quick answer!", MessageStatus.COMPLETE),
    ]
    # The window's sidebar lists it too, without a reload.
    qtbot.waitUntil(lambda: window.sidebar.conversation_ids() == [conversation.id], timeout=WAIT_MS)
    assert quick.copy_answer() == "Quick answer!"
    assert QGuiApplication.clipboard().text() == "Quick answer!"


def test_escape_hides_and_stops_the_answer_within_100_ms(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    app = make_app(configured(api))
    window = app.open()
    quick = window.desktop.quick
    api.hold_after = 1
    quick.show_at_pointer()
    ask(qtbot, window, "Tell me a long story")
    qtbot.waitUntil(lambda: "Quick" in answer_text(window), timeout=WAIT_MS)
    pressed = time.monotonic()
    qtbot.keyClick(quick.edit, Qt.Key.Key_Escape)
    assert not quick.isVisible()
    qtbot.waitUntil(api.server.disconnected.is_set, timeout=1000)
    assert api.server.disconnected_at is not None
    assert api.server.disconnected_at - pressed < 0.1
    [conversation] = app.conversations()
    answer = app.messages(conversation.id)[-1]
    assert (answer.content, answer.status) == ("Quick ", MessageStatus.STOPPED)


def test_open_in_parley_selects_the_conversation_and_it_continues_there(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    window = app.open()
    window.hide()  # Parley waits in the tray
    quick = window.desktop.quick
    quick.show_at_pointer()
    ask(qtbot, window, "First question")
    qtbot.waitUntil(lambda: not quick.is_streaming() and quick.open_button.isEnabled(), timeout=WAIT_MS)
    [conversation] = app.conversations()
    qtbot.mouseClick(quick.open_button, Qt.MouseButton.LeftButton)
    assert not quick.isVisible()
    assert window.isVisible()
    assert window.conversations.current == conversation.id
    assert window.sidebar.current_conversation() == conversation.id
    assert "Quick answer!" in window.chat_view.browser.toPlainText()
    api.answer = ["Second ", "answer"]
    qtbot.keyClicks(window.composer.edit, "And then?")
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Second answer" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.composer.streaming, timeout=WAIT_MS)
    assert [r.content for r in app.messages(conversation.id)] == [
        "First question",
        "Quick answer!",
        "And then?",
        "Second answer",
    ]
    assert api.chats()[-1]["messages"][:2] == [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "Quick answer!"},
    ]


def test_open_in_parley_mid_answer_shows_all_of_it_once_it_ends(
    qtbot: QtBot, make_app: Any, api: ChatAPI
) -> None:
    app = make_app(configured(api))
    window = app.open()
    quick = window.desktop.quick
    api.hold_after = 1
    quick.show_at_pointer()
    ask(qtbot, window, "Keep going")
    qtbot.waitUntil(lambda: "Quick" in answer_text(window), timeout=WAIT_MS)
    qtbot.mouseClick(quick.open_button, Qt.MouseButton.LeftButton)
    [conversation] = app.conversations()
    assert window.conversations.current == conversation.id
    api.release.set()  # the answer goes on, saved by the quick prompt's controller
    qtbot.waitUntil(lambda: "Quick answer!" in window.chat_view.browser.toPlainText(), timeout=WAIT_MS)
    assert app.messages(conversation.id)[-1].status is MessageStatus.COMPLETE


def test_showing_it_again_starts_a_new_exchange(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    app = make_app(configured(api))
    window = app.open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    ask(qtbot, window, "one")
    qtbot.waitUntil(
        lambda: not quick.is_streaming() and "Quick answer!" in answer_text(window), timeout=WAIT_MS
    )
    quick.dismiss()
    quick.show_at_pointer()
    assert quick.view.isHidden()
    assert not quick.open_button.isEnabled()
    ask(qtbot, window, "two")
    qtbot.waitUntil(lambda: len(app.conversations()) == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not quick.is_streaming(), timeout=WAIT_MS)
    assert sorted(c.title for c in app.conversations()) == ["one", "two"]
    assert api.chats()[-1]["messages"] == [{"role": "user", "content": "two"}]  # nothing of "one"


def test_the_prompt_grows_for_long_text(qtbot: QtBot, make_app: Any, api: ChatAPI) -> None:
    window = make_app(configured(api)).open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    one_line = quick.height()
    for line in ("first line", "second line", "third line"):
        qtbot.keyClicks(quick.edit, line)
        qtbot.keyClick(quick.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(
        lambda: quick.height() > one_line + 2 * quick.edit.fontMetrics().lineSpacing(), timeout=WAIT_MS
    )
    assert api.chats() == []  # Shift+Enter adds lines; nothing was sent


def test_without_a_provider_the_quick_prompt_says_what_to_do(qtbot: QtBot, make_app: Any) -> None:
    window = make_app().open()
    quick = window.desktop.quick
    quick.show_at_pointer()
    ask(qtbot, window, "hello?")
    qtbot.waitUntil(lambda: "No provider is set up yet" in answer_text(window), timeout=WAIT_MS)
