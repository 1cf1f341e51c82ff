"""Measuring instruments for a running Qt event loop: how late a 5 ms timer fires (event-loop lag),
when each frame is painted and how long painting it took, and what a frame showed.

Both only observe: the lag probe is a 5 ms precise timer re-armed from its own slot (so its
lateness is how long the loop was busy elsewhere), and the frame probe handles a top-level
window's UpdateRequest itself, inside an event filter, to time the whole paint and flush.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

LAG_INTERVAL_MS = 5


class LagProbe(QObject):
    """Lateness of a 5 ms timer: `samples` holds (when it fired, ns; how late, ms)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.samples: list[tuple[int, float]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._fired)
        self._armed_at = 0

    def start(self) -> None:
        self.samples.clear()
        self._arm()

    def stop(self) -> None:
        self._timer.stop()

    def _arm(self) -> None:
        self._armed_at = time.monotonic_ns()
        self._timer.start(LAG_INTERVAL_MS)

    def _fired(self) -> None:
        now = time.monotonic_ns()
        self.samples.append((now, (now - self._armed_at) / 1e6 - LAG_INTERVAL_MS))
        self._arm()

    def lateness(self, start_ns: int = 0, end_ns: int | None = None) -> list[float]:
        end = end_ns if end_ns is not None else 2**63
        return [max(0.0, late) for t, late in self.samples if start_ns <= t <= end]


@dataclass(frozen=True)
class Frame:
    start_ns: int
    end_ns: int
    painted: bool  # the watched widget was repainted in this frame
    shown: int  # what `shown()` said right after the frame (e.g. characters on screen)


class FrameProbe(QObject):
    """Times every repaint of `window` (a top-level widget) and notes whether `watched` (e.g. a
    text view's viewport) was painted in it and what `shown()` returned then."""

    def __init__(self, window: QWidget, watched: QWidget, shown: Callable[[], int]) -> None:
        super().__init__(window)
        self.frames: list[Frame] = []
        self._window = window
        self._watched = watched
        self._shown = shown
        self._painted = False
        self.recording = False
        window.installEventFilter(self)
        watched.installEventFilter(self)

    def remove(self) -> None:
        self._window.removeEventFilter(self)
        self._watched.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Paint and watched is self._watched:
            self._painted = True
        elif kind == QEvent.Type.UpdateRequest and watched is self._window and self.recording:
            self._painted = False
            start = time.monotonic_ns()
            self._window.event(event)  # the paint and flush, timed; the event is consumed below
            end = time.monotonic_ns()
            self.frames.append(Frame(start, end, self._painted, self._shown()))
            return True
        return False

    def painted_frames(self, start_ns: int = 0) -> list[Frame]:
        return [f for f in self.frames if f.painted and f.start_ns >= start_ns]


async def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.005) -> None:
    """Poll `condition` on the loop, bounded in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout:.1f} s")
        await asyncio.sleep(interval)


async def wait_exposed(widget: QWidget, timeout: float = 10.0) -> None:
    def exposed() -> bool:
        handle = widget.windowHandle()
        return widget.isVisible() and handle is not None and handle.isExposed()

    await wait_until(exposed, timeout)


async def settle(seconds: float) -> None:
    """Let the loop idle (pending paints and timers run)."""
    await asyncio.sleep(seconds)
