"""The small, typed part of qasync that Parley uses (qasync ships no type information).

Only QtCore is touched here, so any layer that may use QtCore may import this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, cast

import PySide6.QtCore  # noqa: F401 - qasync binds to the Qt module already imported: make it PySide6
import qasync
from PySide6.QtCore import QCoreApplication, QObject
from shiboken6 import Shiboken

P = ParamSpec("P")


def create_event_loop(app: QCoreApplication, *, already_running: bool = False) -> asyncio.AbstractEventLoop:
    """One asyncio loop that runs on Qt's event loop.

    `already_running=True` is for a Qt loop that something else spins (pytest-qt's `qtbot.wait*`):
    the loop registers itself as running at once; stop and close it when done.
    """
    return cast(asyncio.AbstractEventLoop, qasync.QEventLoop(app, already_running=already_running))


def async_slot(
    *signal_types: type,
) -> Callable[[Callable[P, Coroutine[Any, Any, None]]], Callable[P, asyncio.Task[None]]]:
    """Decorate a coroutine method so a Qt signal can start it as a task (qasync's `asyncSlot`).

    For fire-and-forget UI actions only; a stream is a task its controller owns and cancels.
    Exceptions go to `sys.excepthook`, which the app routes to its log.
    """
    return cast(
        Callable[[Callable[P, Coroutine[Any, Any, None]]], Callable[P, asyncio.Task[None]]],
        qasync.asyncSlot(*signal_types),
    )


def close_event_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close a qasync loop and destroy its Qt objects, here, on the GUI thread.

    For a loop made with `already_running=True` (tests, embedding): qasync's own `stop()` calls
    `QCoreApplication.exit()`, which with no `exec()` running marks the thread as quitting, so
    every later `QEventLoop.exec()` (pytest-qt's waits) returns at once. So the loop is only marked
    stopped here, through its one private flag.

    A closed qasync loop still owns a timer object whose timers stay registered until they next
    fire, and a signal object for `call_soon_threadsafe`. The loop itself sits in reference cycles
    (tasks, handles, futures) and may be referenced from worker threads (executor futures, the
    keychain thread), so it can be freed anywhere; its Qt objects must not die with it there.
    """
    if loop.is_closed():
        return
    if loop.is_running():
        setattr(loop, "_QEventLoop__is_running", False)  # noqa: B010 - name-mangled qasync flag
    # asyncio's hook for loops that run outside run_forever(); qasync set it for already_running.
    if asyncio.events._get_running_loop() is loop:  # noqa: SLF001
        asyncio.events._set_running_loop(None)  # noqa: SLF001
    loop.close()
    _delete_qt_parts(loop)


def _delete_qt_parts(loop: asyncio.AbstractEventLoop) -> None:
    # qasync 0.28: `_timer` (a _SimpleTimer) and the name-mangled call_soon_threadsafe signaller.
    for name in ("_timer", "_QEventLoop__call_soon_signaller"):
        part = getattr(loop, name, None)
        if isinstance(part, QObject) and Shiboken.isValid(part):
            Shiboken.delete(part)
