"""Qt test fixtures: a qasync loop that advances while pytest-qt waits.

`qloop` makes a `qasync` loop over the test's QApplication and registers it as running, so tasks
created in a test progress whenever `qtbot.waitUntil`/`waitSignal` spin Qt. An exception that
reaches the loop's handler (a task nobody awaited failing, a broken callback) fails the test, and
so does a task still running when the test ends (it is cancelled first, then reported).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.core.preferences import Preferences
from desktop_app.qt_async import close_event_loop, create_event_loop
from tests.support.desktop import ChatAPI, DesktopApp
from tests.support.qt import run
from tests.support.server import ScriptedServer

LEFTOVER_CANCEL_MS = 2000


@pytest.fixture
def qloop(qapp: Any, qtbot: QtBot) -> Iterator[asyncio.AbstractEventLoop]:
    loop = create_event_loop(qapp, already_running=True)
    problems: list[str] = []

    def on_exception(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        problems.append(f"{context.get('message', '')}: {context.get('exception')!r}")

    loop.set_exception_handler(on_exception)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            qtbot.waitUntil(lambda: all(task.done() for task in leftovers), timeout=LEFTOVER_CANCEL_MS)
        close_event_loop(loop)
        asyncio.set_event_loop(None)
    if leftovers:
        pytest.fail(f"tasks still running at the end of the test: {leftovers!r}")
    if problems:
        pytest.fail("the event loop reported: " + "; ".join(problems))


@pytest.fixture
def server(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> Iterator[ScriptedServer]:
    """The shared ScriptedServer, started on `qloop` (the root `server` fixture is async and would
    run on pytest-asyncio's own loop, which does not advance while Qt waits)."""
    srv = run(qtbot, qloop, ScriptedServer().start())
    try:
        yield srv
    finally:
        run(qtbot, qloop, srv.stop())


@pytest.fixture
def api(server: ScriptedServer) -> ChatAPI:
    return ChatAPI(server)


@pytest.fixture
def make_app(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path, server: ScriptedServer
) -> Iterator[Any]:
    """Apps over real services; closed before the server stops (their HTTP sessions first)."""
    apps: list[DesktopApp] = []

    def make(preferences: Preferences | None = None, **kwargs: Any) -> DesktopApp:
        app = DesktopApp(qtbot, qloop, tmp_path, preferences, **kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()  # the qloop fixture then fails the test if any task is left
