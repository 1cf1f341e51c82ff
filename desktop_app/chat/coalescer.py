"""Turns text deltas arriving at any rate into at most one view update per frame.

A fast provider delivers thousands of tiny deltas per second; rendering each would freeze the
window. The coalescer only appends to a buffer when a delta arrives and emits the accumulated
text from a single-shot timer, so the view renders at most once per ~16 ms however many deltas
came in. After a quiet spell the next delta is shown on the next loop turn (no added latency),
`finish()` flushes at once, and no timer runs while nothing is pending.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

FRAME_MS = 16


class StreamCoalescer(QObject):
    """Accumulates answer and reasoning deltas; `updated(text, reasoning)` fires at most once a frame."""

    updated = Signal(str, str)

    def __init__(self, parent: QObject | None = None, *, frame_ms: int = FRAME_MS) -> None:
        super().__init__(parent)
        self._frame_ms = frame_ms
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._dirty = False
        self._since_emit = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self.flush)
        self.emissions = 0

    @property
    def text(self) -> str:
        return "".join(self._text)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def is_scheduled(self) -> bool:
        """True while an update is pending on the timer (False whenever the stream is idle)."""
        return self._timer.isActive()

    def add_text(self, delta: str) -> None:
        if delta:
            self._text.append(delta)
            self._schedule()

    def add_reasoning(self, delta: str) -> None:
        if delta:
            self._reasoning.append(delta)
            self._schedule()

    def finish(self) -> None:
        """Emit whatever is pending now and stop the timer (the stream ended or was stopped)."""
        self._timer.stop()
        if self._dirty:
            self.flush()

    def reset(self) -> None:
        """Forget everything, for the next answer. Nothing is emitted."""
        self._timer.stop()
        self._text.clear()
        self._reasoning.clear()
        self._dirty = False
        self._since_emit.invalidate()

    def flush(self) -> None:
        self._timer.stop()
        if not self._dirty:
            return
        self._dirty = False
        # Join once per frame and keep the joined string, so the buffer stays one piece.
        text, reasoning = self.text, self.reasoning
        self._text[:] = [text] if text else []
        self._reasoning[:] = [reasoning] if reasoning else []
        self._since_emit.start()
        self.emissions += 1
        self.updated.emit(text, reasoning)

    def _schedule(self) -> None:
        self._dirty = True
        if self._timer.isActive():
            return
        elapsed = self._since_emit.elapsed() if self._since_emit.isValid() else self._frame_ms
        self._timer.start(max(0, self._frame_ms - elapsed))
