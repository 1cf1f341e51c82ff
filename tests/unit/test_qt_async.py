"""`close_event_loop` destroys a qasync loop's Qt objects on the GUI thread.

The crash of issue 12: a closed qasync loop keeps its timer object with its timers registered,
and sits in reference cycles; a worker thread's cycle collection freed it there and Qt warned
"Timers cannot be stopped from another thread", then crashed later. Closed this way, the same
collection on a worker thread frees no Qt object with timers."""

from __future__ import annotations

import asyncio
import gc
import threading
from typing import Any

import pytest

from desktop_app.qt_async import close_event_loop, create_event_loop


@pytest.mark.off_thread_on_purpose  # the collection below runs on a worker thread on purpose
def test_a_closed_loop_collected_on_a_worker_thread_stops_no_timer_there(qapp: Any, qtlog: Any) -> None:
    loop = create_event_loop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    loop.call_later(15, print)  # like aiohttp's keep-alive timer: still registered at close
    close_event_loop(loop)
    asyncio.set_event_loop(None)
    loop.cycle = loop  # type: ignore[attr-defined]  # a reference cycle, as tasks and handles make
    del loop
    collector = threading.Thread(target=gc.collect, name="asyncio-waitpid-0")
    collector.start()
    collector.join(timeout=10)
    assert not collector.is_alive()
    assert [r.message for r in qtlog.records if "another thread" in r.message] == []
