"""Small asyncio tasks a widget starts from a click (list models, test a connection, save a key).

The widget owns them: starting a task under a key cancels the previous one with that key (a second
click on Refresh replaces the first), and `cancel_all()` on close leaves nothing running. A task's
unexpected exception goes to the log, never silently lost; expected failures are the coroutine's
own business (it shows them in the widget).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class OwnedTasks:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._anonymous = 0

    def start(self, coro: Coroutine[Any, Any, None], *, key: str | None = None) -> asyncio.Task[None]:
        """Run `coro` on the running loop (the qasync loop in the app)."""
        if key is None:
            self._anonymous += 1
            key = f"#{self._anonymous}"
        previous = self._tasks.get(key)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def running(self, key: str) -> bool:
        task = self._tasks.get(key)
        return task is not None and not task.done()

    async def wait_for(self, key: str) -> None:
        """Wait until no task runs under `key` (one started meanwhile is waited for too)."""
        for _ in range(100):
            task = self._tasks.get(key)
            if task is None or task.done():
                return
            await asyncio.wait([task])

    def cancel(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None:
            task.cancel()

    def cancel_all(self) -> None:
        for task in self._tasks.values():
            task.cancel()

    async def wait_all(self) -> None:
        """Wait for every task to end (after `cancel_all()` this is prompt)."""
        for _ in range(100):  # tasks may start others while ending; bounded anyway
            pending = [t for t in self._tasks.values() if not t.done()]
            if not pending:
                return
            await asyncio.wait(pending)

    def __len__(self) -> int:
        return sum(1 for task in self._tasks.values() if not task.done())

    def _finished(self, key: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("A background task failed", exc_info=error)
