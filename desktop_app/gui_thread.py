"""Qt objects die on the GUI thread: the cycle collector's policy and a guard that catches a
QObject finalised anywhere else.

Why: Python runs its cycle collector on whichever thread happens to allocate when a threshold is
crossed — the keychain's worker thread, asyncio's child watcher and executor threads, Qt's own
worker threads. A reference cycle that holds a QObject (a closed qasync loop with its timer
object, a window with a lambda pointing back at it) is then freed on that thread: Qt warns
"Timers cannot be stopped from another thread" and crashes later, far from the cause. The same
happens without any cycle when a worker thread drops the last reference to a QObject's wrapper
(a closure or future it was handed).

So, in one place for the app and the tests:
- `CollectionPolicy`: automatic collection is off; the GUI thread collects, by generation, when
  the counts say a collection is due (what automatic collection would have done, on the right
  thread). A collection that still starts on another thread (someone calls `gc.collect()` there)
  is reported.
- `ThreadGuard`: watches the wrappers of every live QObject (swept from Shiboken's list of
  wrappers) and reports one that is finalised on another thread — with its type, the thread and
  that thread's stack — so a regression names its object instead of segfaulting later. Tests
  always run it; the app runs it with `PARLEY_DEBUG_THREADS=1`.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
import traceback
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from PySide6.QtCore import QObject, QTimer
from shiboken6 import Shiboken

DEBUG_ENV: Final = "PARLEY_DEBUG_THREADS"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OffThreadFinalisation:
    """A Qt object (or a cycle collection) met its end on a thread that is not the GUI thread."""

    what: str  # "QObject subclass `pkg.Type` (objectName 'x')" or "a cycle collection"
    thread: str
    stack: str  # where that thread was when it happened

    def describe(self) -> str:
        return f"{self.what} was finalised on thread {self.thread!r}, not the GUI thread:\n{self.stack}"


Report = Callable[[OffThreadFinalisation], None]


def _on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _stack_here() -> str:
    return "".join(traceback.format_stack()[:-2])


class CollectionPolicy:
    """Automatic cycle collection off; `collect_due()` on the GUI thread instead. `report` hears
    of a collection that starts on another thread anyway."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._thresholds = gc.get_threshold()
        self._installed = False
        self._was_enabled = True

    def install(self) -> None:
        if self._installed:
            return
        self._installed = True
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        gc.callbacks.append(self._on_collection)

    def uninstall(self) -> None:
        """Collect what is left on this (the GUI) thread, then hand collection back to Python
        (unless it was off before: an outer policy still holds)."""
        if not self._installed:
            return
        gc.collect()
        gc.callbacks.remove(self._on_collection)
        if self._was_enabled:
            gc.enable()
        self._installed = False

    def collect_due(self) -> None:
        """The collection automatic mode would have run by now, if any (youngest first)."""
        young, middle, old = gc.get_count()
        if young > self._thresholds[0]:
            generation = 2 if old > self._thresholds[2] else 1 if middle > self._thresholds[1] else 0
            gc.collect(generation)

    def _on_collection(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start" and not _on_gui_thread():
            self._report(
                OffThreadFinalisation("a cycle collection", threading.current_thread().name, _stack_here())
            )


class ThreadGuard:
    """Reports a watched QObject wrapper that dies off the GUI thread. `watch_all()` (on the GUI
    thread) adds every QObject wrapper alive now; call it often enough that objects are watched
    before anything could hand them to another thread (tests: around every test and on a timer)."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._watched: dict[int, weakref.ref[QObject]] = {}

    def watch(self, obj: QObject) -> None:
        key = id(obj)
        known = self._watched.get(key)
        if known is not None and known() is obj:
            return
        what = _describe(obj)

        def died(ref: weakref.ref[QObject]) -> None:
            if self._watched.get(key) is ref:
                del self._watched[key]
            if not _on_gui_thread():
                self._report(OffThreadFinalisation(what, threading.current_thread().name, _stack_here()))

        self._watched[key] = weakref.ref(obj, died)

    def watch_new_objects(self) -> None:
        """Also watch every object of a QObject subclass defined from now on, as it is built (so
        one that lives only a moment is watched too). For tests: costs a call per construction."""
        guard = self

        def watch_instances(cls: type[QObject], **kwargs: Any) -> None:
            super(QObject, cls).__init_subclass__(**kwargs)
            build = cls.__dict__.get("__init__")

            def __init__(self: QObject, *args: Any, **kwargs: Any) -> None:  # noqa: N807
                if build is not None:
                    build(self, *args, **kwargs)
                else:
                    super(cls, self).__init__(*args, **kwargs)
                guard.watch(self)

            cls.__init__ = __init__  # type: ignore[method-assign]

        QObject.__init_subclass__ = classmethod(watch_instances)  # type: ignore[assignment,method-assign,arg-type]

    def watch_all(self) -> int:
        """Watch every live QObject wrapper; returns how many are watched."""
        for wrapper in Shiboken.getAllValidWrappers():
            if isinstance(wrapper, QObject):
                self.watch(wrapper)
        return len(self._watched)


def _describe(obj: QObject) -> str:
    kind = type(obj)
    name = obj.objectName()
    named = f" (objectName {name!r})" if name else ""
    return f"QObject `{kind.__module__}.{kind.__qualname__}`{named}"


class GuiThreadKeeper(QObject):
    """The app's side of the policy: collects on the GUI thread every `INTERVAL_MS`; with
    `guard` also sweeps new QObjects into the guard's watch (debug mode, tests)."""

    INTERVAL_MS = 1000

    def __init__(self, parent: QObject, policy: CollectionPolicy, guard: ThreadGuard | None = None) -> None:
        super().__init__(parent)
        self._policy = policy
        self._guard = guard
        policy.install()
        self._timer = QTimer(self)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        if guard is not None:
            guard.watch_all()

    def set_interval(self, milliseconds: int) -> None:
        self._timer.setInterval(milliseconds)

    def tick(self) -> None:
        if self._guard is not None:
            self._guard.watch_all()
        self._policy.collect_due()

    def stop(self) -> None:
        self._timer.stop()
        self._policy.uninstall()


def report_to_log(finalisation: OffThreadFinalisation) -> None:
    """The app's report (debug mode): the log gets the whole story, stderr one line."""
    log.error("%s", finalisation.describe())
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(
                f"parley: {finalisation.what} was finalised on thread {finalisation.thread!r} (see the log)\n"
            )


@contextlib.contextmanager
def objects_die_on_the_gui_thread(
    parent: QObject, *, debug: bool | None = None, report: Report = report_to_log
) -> Iterator[GuiThreadKeeper]:
    """The policy for a process with a Qt event loop (the app, the selftest). `debug` (default:
    the `PARLEY_DEBUG_THREADS` environment variable is set to anything but 0) adds the guard."""
    if debug is None:
        debug = os.environ.get(DEBUG_ENV, "0") not in ("", "0")
    keeper = GuiThreadKeeper(parent, CollectionPolicy(report), ThreadGuard(report) if debug else None)
    try:
        yield keeper
    finally:
        keeper.stop()
