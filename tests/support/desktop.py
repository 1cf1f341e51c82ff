"""The desktop app over real services for UI tests: an in-memory keychain, a scripted
OpenAI-compatible API, a fake global hotkey (the real ones need a display), and `DesktopApp`,
which builds the main window the way app.py does."""

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web
from PySide6.QtCore import QObject, Qt
from pytestqt.qtbot import QtBot

from desktop_app.autostart import for_platform
from desktop_app.compose import Services, build_services
from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.gui_services import GuiServices, LaunchAtLoginSwitch, window_backend
from desktop_app.ui.hotkey import Chord, GlobalHotkey
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.window_backend import DesktopBackend
from tests.support.qt import run
from tests.support.server import ScriptedServer, sse

Loop = asyncio.AbstractEventLoop
WAIT_MS = 15_000


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


def configured(api: ChatAPI) -> Preferences:
    profile = api.profile()
    return Preferences(profiles=(profile,), current_profile=profile.id)


def answer_text(window: MainWindow) -> str:
    return window.desktop.quick.view.browser.toPlainText()


def ask(qtbot: QtBot, window: MainWindow, text: str) -> None:
    quick = window.desktop.quick
    qtbot.keyClicks(quick.edit, text)
    qtbot.keyClick(quick.edit, Qt.Key.Key_Return)
