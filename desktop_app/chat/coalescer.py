"""Turns text deltas arriving at any rate into at most one view update per frame.

A fast provider delivers thousands of tiny deltas per second; rendering each would freeze the
window. The coalescer only appends to a buffer when a delta arrives and emits the accumulated
text in the next frame of the `FrameClock` (its `PRODUCE` stage), so the view renders at most
once per frame however many deltas came in. After a quiet spell the next delta is shown on the
next loop turn (no added latency), `finish()` flushes at once, and nothing is scheduled while
nothing is pending.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop_app.chat.frame_clock import FRAME_MS, FrameClock, Stage

__all__ = ["FRAME_MS", "StreamCoalescer"]


class StreamCoalescer(QObject):
    """Accumulates answer and reasoning deltas; `updated(text, reasoning)` fires at most once a frame."""

    updated = Signal(str, str)

    def __init__(self, parent: QObject | None = None, *, frames: FrameClock | None = None) -> None:
        super().__init__(parent)
        self._frames = frames if frames is not None else FrameClock(self)
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._dirty = False
        self.emissions = 0

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def is_scheduled(self) -> bool:
        """True while an update waits for the next frame (False whenever the stream is idle)."""
        return self._frames.is_due(self.flush)

    def add_text(self, delta: str) -> None:
        if delta:
            self._text.append(delta)
            self._schedule()

    def add_reasoning(self, delta: str) -> None:
        if delta:
            self._reasoning.append(delta)
            self._schedule()

    def finish(self) -> None:
        """Emit whatever is pending now (the stream ended or was stopped)."""
        self._frames.cancel(self.flush)
        if self._dirty:
            self.flush()

    def reset(self) -> None:
        """Forget everything, for the next answer. Nothing is emitted."""
        self._frames.cancel(self.flush)
        self._text.clear()
        self._reasoning.clear()
        self._dirty = False

    def flush(self) -> None:
        self._frames.cancel(self.flush)
        if not self._dirty:
            return
        self._dirty = False
        # Join once per frame and keep the joined string, so the buffer stays one piece.
        text, reasoning = self.text, self.reasoning
        self._text[:] = [text] if text else []
        self._reasoning[:] = [reasoning] if reasoning else []
        self.emissions += 1
        self.updated.emit(text, reasoning)

    def _schedule(self) -> None:
        if not self._dirty:  # dirty means a frame is already asked for
            self._dirty = True
            self._frames.request(self.flush, Stage.PRODUCE)
