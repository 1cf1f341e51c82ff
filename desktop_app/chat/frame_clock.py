"""The one clock a streaming answer is shown by: a frame at most every ~16 ms, and "after the
paint" for what must not delay it.

Everything between a provider's deltas and the pixels runs on it: the coalescer hands the text
gathered since the last frame on (stage `PRODUCE`), the chat view renders as much of it as fits
in the frame's budget (stage `RENDER`, again next frame when it fell behind), and what the user
does not need to see in that frame — an ended answer's final save and its signals, the view's
Regenerate link — runs `after_paint`. One clock for all of them means one timer wake-up per
frame however many conversations stream, the view renders in the same frame the text was handed
on (never a frame later because two timers beat), and nobody keeps paint bookkeeping of their own:
`settle()` runs whatever waits for the paint, and any action that changes a conversation calls it
first, so its effects are always seen in order.

Jobs are plain callables, kept once each (asking again for a job already due changes nothing).
Nothing runs while no job is due.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import IntEnum

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

log = logging.getLogger(__name__)

FRAME_MS = 16

Job = Callable[[], None]


class Stage(IntEnum):
    PRODUCE = 0  # hand on what arrived since the last frame
    RENDER = 1  # show it


class FrameClock(QObject):
    """See the module docstring."""

    # (start, end) of each frame's work in `time.monotonic_ns()`: for benchmarks and diagnostics.
    frame_done = Signal(object)

    def __init__(self, parent: QObject | None = None, *, frame_ms: int = FRAME_MS) -> None:
        super().__init__(parent)
        self._frame_ms = frame_ms
        self._due: list[dict[Job, None]] = [{} for _ in Stage]  # per stage, in asking order
        self._after_paint: dict[Job, None] = {}
        self._stage: Stage | None = None  # the stage running now, if a frame is running
        self._since_frame = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._frame)
        # A 0 ms QTimer *object* is a real timer: Qt runs it after the paint already posted (the
        # static QTimer.singleShot(0) is a posted call that would run before it).
        self._paint_timer = QTimer(self)
        self._paint_timer.setSingleShot(True)
        self._paint_timer.setInterval(0)
        self._paint_timer.timeout.connect(self.settle)
        self.frames = 0  # frames run so far, for tests and benchmarks

    # -- frames -----------------------------------------------------------------------------------

    def request(self, job: Job, stage: Stage = Stage.RENDER) -> None:
        """Run `job` in the next frame's `stage`; in this frame's when a frame is running and has
        not reached that stage yet. The first frame after a quiet spell comes on the next loop
        turn; later ones at least a frame apart."""
        self._due[stage][job] = None
        if self._stage is not None:
            return  # this frame's later stage runs it, or the frame's end schedules the next
        if not self._timer.isActive():
            elapsed = self._since_frame.elapsed() if self._since_frame.isValid() else self._frame_ms
            self._timer.start(max(0, self._frame_ms - elapsed))

    def cancel(self, job: Job) -> None:
        """Forget `job` wherever it waits (a frame or after the paint)."""
        for due in self._due:
            due.pop(job, None)
        self._after_paint.pop(job, None)
        self._stop_if_idle()

    def is_due(self, job: Job) -> bool:
        return any(job in due for due in self._due) or job in self._after_paint

    def in_frame(self, stage: Stage) -> bool:
        """True while a frame runs and has not passed `stage`: a job asked for now runs in it."""
        return self._stage is not None and self._stage <= stage

    def is_idle(self) -> bool:
        """Nothing is due: no timer runs."""
        return not (self._timer.isActive() or self._paint_timer.isActive())

    def _frame(self) -> None:
        self._since_frame.start()
        self.frames += 1
        started = time.monotonic_ns()
        failures = _Failures()
        try:
            for stage in Stage:
                self._stage = stage
                # Jobs asked for while this stage runs wait for the next frame.
                jobs, self._due[stage] = list(self._due[stage]), {}
                for job in jobs:
                    failures.run(job)
        finally:
            self._stage = None
        ended = time.monotonic_ns()
        # The next frame comes a frame after this one's start. (A longer gap after a heavy frame
        # was tried: it only made each frame's work, and so the loop's worst waits, larger.)
        if any(self._due):
            self._timer.start(max(0, self._frame_ms - self._since_frame.elapsed()))
        self.frame_done.emit((started, ended))
        failures.raise_first()

    # -- after the paint ---------------------------------------------------------------------------

    def after_paint(self, job: Job) -> None:
        """Run `job` after the paint the current frame posted (or at `settle()`, if sooner)."""
        self._after_paint[job] = None
        self._paint_timer.start()

    def settle(self) -> None:
        """Run every job that waits for the paint, now, in the order they were asked for.
        Called before anything changes a conversation, so nothing ever happens out of order."""
        self._paint_timer.stop()
        failures = _Failures()
        for _ in range(100):  # bounded: a job may ask for another one
            if not self._after_paint:
                break
            jobs, self._after_paint = list(self._after_paint), {}
            for job in jobs:
                failures.run(job)
        failures.raise_first()

    def _stop_if_idle(self) -> None:
        if not any(self._due) and self._stage is None:
            self._timer.stop()
        if not self._after_paint:
            self._paint_timer.stop()


class _Failures:
    """Runs jobs so that one failing job does not starve the others (a stalled display is worse
    than a late error); the first failure is raised once they all ran, so nobody misses it."""

    def __init__(self) -> None:
        self.first: Exception | None = None

    def run(self, job: Job) -> None:
        try:
            job()
        except Exception as exc:
            if self.first is None:
                self.first = exc
            else:
                log.exception("Another frame job failed: %r", job)

    def raise_first(self) -> None:
        if self.first is not None:
            raise self.first
