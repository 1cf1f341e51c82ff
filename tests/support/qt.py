"""Running coroutines from synchronous pytest-qt tests on the test's qasync loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from pytestqt.qtbot import QtBot

T = TypeVar("T")
WAIT_MS = 15_000


def run(qtbot: QtBot, loop: asyncio.AbstractEventLoop, work: Awaitable[T], timeout: int = WAIT_MS) -> T:
    """Schedule `work` on `loop` and spin Qt (and so the loop) until it is done."""
    task = asyncio.ensure_future(work, loop=loop)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()
