"""Drives the real Parley app in this process: `desktop_app.app.main(data_dir=...)` builds the
services, the qasync loop and the main window exactly as `parley` does; a scenario coroutine runs on
that loop against the window, then closes it like the close button (answers stopped and saved,
clean shutdown) so `main` returns.

Instruments (installed before `main`, observing only):
- `ArrivalTap`: each provider the window gets is wrapped so every text delta's arrival time and
  the answer's running length are recorded (the "received" side of a stream);
- `ViewTap`: each frame of the window's frame clock is timed, and how much of the answer the view
  shows is read from it (the "displayed" side, once the frame is painted).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from desktop_app.core.events import StreamEvent, TextDelta
from desktop_app.core.messages import ChatRequest
from desktop_app.core.ports import ChatProvider
from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.storage.settings import Settings

T = TypeVar("T")
PROFILE_ID = "bench"
API_KEY = "bench-key-not-secret"
WINDOW_LIMIT = 60.0  # seconds for the window to appear


def prepare_data_dir(data_dir: Path, base_url: str, model: str = "bench-model") -> None:
    """A data folder whose saved provider is the benchmark server (an OpenAI-compatible profile)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    profile = ProviderProfile(PROFILE_ID, "openai", "Bench server", base_url, model)
    Settings(data_dir / "settings.ini").save(Preferences(profiles=(profile,), current_profile=PROFILE_ID))
    # The key comes from the environment, so no keychain is ever asked.
    os.environ["PARLEY_API_KEY"] = API_KEY


class ArrivalTap:
    """(arrival ns, characters received so far) for every text delta of the current answer."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[int, int]] = []
        self.chars = 0

    def reset(self) -> None:
        self.arrivals = []
        self.chars = 0

    def arrived(self, length: int) -> None:
        self.chars += length
        self.arrivals.append((time.monotonic_ns(), self.chars))


class _TappedProvider:
    """The same provider, with each text delta's arrival noted (a `ChatProvider` itself)."""

    def __init__(self, inner: ChatProvider, tap: ArrivalTap) -> None:
        self._inner = inner
        self._tap = tap

    @property
    def name(self) -> str:
        return self._inner.name

    async def stream(self, request: ChatRequest) -> AsyncGenerator[StreamEvent, None]:
        async with contextlib.aclosing(self._inner.stream(request)) as events:
            async for event in events:
                if isinstance(event, TextDelta):
                    self._tap.arrived(len(event.text))
                yield event

    async def list_models(self) -> list[str]:
        return await self._inner.list_models()


def install_arrival_tap() -> ArrivalTap:
    from desktop_app.app import GuiServices

    tap = ArrivalTap()
    original = GuiServices.provider_for

    async def provider_for(self: GuiServices, profile: ProviderProfile) -> ChatProvider:
        return _TappedProvider(await original(self, profile), tap)

    GuiServices.provider_for = provider_for  # type: ignore[method-assign]
    return tap


class ViewTap:
    """A chat view streaming on the window's frame clock: the cost of each frame's work (the
    coalescer handing the text on and the view rendering it, `FrameClock.frame_done`), and how
    much of the answer the document shows (`shown`)."""

    def __init__(self, view: Any, frames: Any) -> None:
        self._view = view
        self.calls: list[tuple[int, int, int]] = []  # (start ns, end ns, characters shown)
        frames.frame_done.connect(self._frame_done)

    def _frame_done(self, span: tuple[int, int]) -> None:
        self.calls.append((span[0], span[1], self.shown))

    @property
    def shown(self) -> int:
        """Characters of the answer in the document: a view that falls behind a burst says how
        far it has caught up (`ChatView.shown_chars()`)."""
        return int(self._view.shown_chars())


def main_window() -> Any:
    """The shown Parley main window, or None."""
    from desktop_app.ui.main_window import MainWindow

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            handle = widget.windowHandle()
            if handle is not None and handle.isExposed():
                return widget
    return None


def type_and_send(window: Any, text: str) -> None:
    """What a user does: type into the composer and press Enter."""
    QTest.keyClicks(window.composer.edit, text)
    QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)


def run_app(data_dir: Path, scenario: Callable[[Any], Awaitable[T]], *, limit_s: float) -> T:
    """Run the app on `data_dir` with `scenario(window)`; returns its result or raises its error."""
    from desktop_app import app as parley_app

    qapp = QApplication.instance() or QApplication([sys.argv[0]])
    outcome: dict[str, Any] = {}
    tasks: list[asyncio.Task[None]] = []

    async def drive() -> None:
        window = None
        try:
            deadline = time.monotonic() + WINDOW_LIMIT
            while (window := main_window()) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the main window did not appear within {WINDOW_LIMIT:.0f} s")
                await asyncio.sleep(0.01)
            async with asyncio.timeout(limit_s):
                outcome["result"] = await scenario(window)
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            if window is not None:
                window.close()  # a close request: app.py stops answers and shuts down cleanly
            else:
                for widget in QApplication.topLevelWidgets():
                    widget.close()

    def start() -> None:
        tasks.append(asyncio.get_event_loop().create_task(drive()))

    QTimer.singleShot(0, start)
    code = parley_app.main(data_dir=data_dir)
    del qapp
    if "error" in outcome:
        raise outcome["error"]
    if code != 0:
        raise RuntimeError(f"the app exited with code {code}")
    return outcome["result"]  # type: ignore[no-any-return]
