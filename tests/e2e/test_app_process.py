"""The real app process (`python -m desktop_app --data-dir DIR`) against a local OpenAI-compatible
server: it starts, asks the server for its models, and closes cleanly on SIGTERM; and under Xvfb,
a question typed into it streams, and `kill -9` mid-answer keeps the partial text in the history."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from desktop_app.core.messages import MessageStatus, Role
from desktop_app.core.preferences import Preferences, ProviderProfile
from desktop_app.storage.history import SqliteHistory
from desktop_app.storage.settings import Settings
from tests.support.processes import running_app, until_asked
from tests.support.screenshots import SHOT_SCRIPT, artifacts_dir
from tests.support.server import ScriptedServer, sse, stream_chunks
from tests.support.xvfb import private_xvfb

pytestmark = pytest.mark.slow

START_TIMEOUT = 60.0  # seconds for the app to start and ask for the model list
EXIT_TIMEOUT = 60.0
PARTIAL = "Partial answer, "


class ChatServer:
    """A model list, and an answer that sends `PARTIAL` and then holds the stream open."""

    def __init__(self, server: ScriptedServer) -> None:
        self.server = server
        self.models_requested = asyncio.Event()
        self.partial_sent = asyncio.Event()
        self.prompts: list[str] = []
        server.handle = self.handle

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/models"):
            self.models_requested.set()
            return web.json_response({"data": [{"id": "e2e-model"}]})
        body = json.loads(await request.read())
        self.prompts.append(body["messages"][-1]["content"])
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        delta = {"choices": [{"delta": {"content": PARTIAL}}]}
        await response.write(f"data: {json.dumps(delta)}\n\n".encode())
        self.partial_sent.set()
        await asyncio.sleep(60)  # the app is killed long before; the server notices the drop
        return response


def configure(data_dir: Path, server: ScriptedServer) -> None:
    profile = ProviderProfile("local", "openai", "Local server", server.url("/v1"), "e2e-model")
    Settings(data_dir / "settings.ini").save(Preferences(profiles=(profile,), current_profile="local"))


def app_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # never the developer's keychain or session
    env.update(
        {
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


async def test_app_starts_offscreen_and_closes_cleanly_on_sigterm(
    server: ScriptedServer, tmp_path: Path
) -> None:
    chat = ChatServer(server)
    configure(tmp_path, server)
    async with running_app(tmp_path, app_env()) as process:
        await until_asked(process, chat.models_requested, START_TIMEOUT)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT)
    assert process.returncode == 0
    assert stdout == b""
    assert stderr == b""
    log = (tmp_path / "parley.log").read_text(encoding="utf-8")
    assert "Parley closed cleanly" in log
    assert "Traceback" not in log
    assert " ERROR " not in log
    assert "Task still running" not in log


# -- under a real X server ---------------------------------------------------------------------


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A private Xvfb display; ready when Xvfb writes its number to the -displayfd pipe."""
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("needs Xvfb and xdotool (installed by .ci/run)")
    with private_xvfb() as display:
        yield display


def xdotool(display: str, *args: str) -> str:
    done = subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return done.stdout


def saved_answer(path: Path, column: str = "content") -> str:
    """The newest assistant message's text (or `column`, e.g. status) as the app has committed it
    so far, read-only beside the running app."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
        query = f"SELECT {column} FROM messages WHERE role = 'assistant' ORDER BY id DESC"
        row = db.execute(query).fetchone()
    return str(row[0]) if row else ""


@pytest.mark.display
async def test_kill_9_mid_answer_keeps_the_partial_text(
    server: ScriptedServer, tmp_path: Path, xvfb: str
) -> None:
    chat = ChatServer(server)
    configure(tmp_path, server)
    env = app_env(QT_QPA_PLATFORM="xcb", DISPLAY=xvfb)
    async with running_app(tmp_path, env) as process:
        await until_asked(process, chat.models_requested, START_TIMEOUT)
        window = xdotool(xvfb, "search", "--sync", "--onlyvisible", "--name", "^Parley$").split()[0]
        # The composer has the keyboard focus at start; X needs the window focused too (no WM).
        xdotool(xvfb, "windowfocus", "--sync", window, "type", "--delay", "5", "Tell me everything")
        xdotool(xvfb, "key", "Return")
        await asyncio.wait_for(chat.partial_sent.wait(), START_TIMEOUT)
        # Wait until the app has saved the partial answer (it does so at least every 500 ms while
        # streaming): a condition in another process's file, polled with a deadline.
        history_file = tmp_path / "history.sqlite3"
        deadline = time.monotonic() + 5
        while saved_answer(history_file) != PARTIAL:
            assert time.monotonic() < deadline, "the streaming answer was not saved within 5 s"
            await asyncio.sleep(0.05)
        process.kill()  # SIGKILL: no shutdown code runs
        await asyncio.wait_for(process.wait(), EXIT_TIMEOUT)
    assert process.returncode == -signal.SIGKILL
    assert chat.prompts == ["Tell me everything"]
    history = SqliteHistory(history_file)
    try:
        assert history.interrupted_on_open == 1
        [conversation] = history.list_conversations()
        rows = history.messages(conversation.id)
        assert [(r.role, r.content, r.status) for r in rows] == [
            (Role.USER, "Tell me everything", MessageStatus.COMPLETE),
            (Role.ASSISTANT, PARTIAL, MessageStatus.INTERRUPTED),
        ]
    finally:
        history.close()


ANSWER = [
    "Qt's **signals and slots** connect objects loosely.\n\n",
    "- A *signal* is emitted when something happens.\n",
    "- A *slot* is any callable that reacts.\n\n",
    "```python\nbutton.clicked.connect(self.send)\n```\n\n",
    "По-русски: сигнал — это событие, слот — обработчик.",
]


class WholeAnswerServer:
    """A model list, and an answer streamed in pieces, ending with [DONE]."""

    def __init__(self, server: ScriptedServer) -> None:
        self.models_requested = asyncio.Event()
        server.handle = self.handle

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/models"):
            self.models_requested.set()
            return web.json_response({"data": [{"id": "e2e-model"}]})
        await request.read()
        return await stream_chunks(
            request, sse(*({"content": piece} for piece in ANSWER)), content_type="text/event-stream"
        )


@pytest.mark.display
async def test_a_typed_question_gets_the_whole_answer_and_a_screenshot(
    server: ScriptedServer, tmp_path: Path, xvfb: str
) -> None:
    chat = WholeAnswerServer(server)
    configure(tmp_path, server)
    env = app_env(QT_QPA_PLATFORM="xcb", DISPLAY=xvfb)
    shot = artifacts_dir(tmp_path) / "e2e-main-window-answer.png"
    shot.unlink(missing_ok=True)
    async with running_app(tmp_path, env) as process:
        await until_asked(process, chat.models_requested, START_TIMEOUT)
        window = xdotool(xvfb, "search", "--sync", "--onlyvisible", "--name", "^Parley$").split()[0]
        xdotool(xvfb, "windowfocus", "--sync", window, "type", "--delay", "5", "How do signals work?")
        xdotool(xvfb, "key", "Return")
        history_file = tmp_path / "history.sqlite3"
        deadline = time.monotonic() + 10
        while saved_answer(history_file, "status") != "complete":
            assert time.monotonic() < deadline, "the answer was not saved as complete within 10 s"
            await asyncio.sleep(0.05)
        assert saved_answer(history_file) == "".join(ANSWER)
        # The view paints the last frame right after the save; a short settle before the grab.
        await asyncio.sleep(0.3)
        grab = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SHOT_SCRIPT, str(shot), env={**env, "QT_QPA_PLATFORM": "xcb"}
        )
        assert await asyncio.wait_for(grab.wait(), EXIT_TIMEOUT) == 0
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT)
    assert process.returncode == 0
    assert shot.stat().st_size > 10_000  # a real picture of the window, not an empty screen
