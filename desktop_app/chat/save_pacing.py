"""When a growing answer is saved: at least every `interval` seconds while new text arrives (on a
timer, so a stalled stream still has its last text saved), never more often, and not at all while
nothing changed. The final save with the answer's status is the caller's, once, at the end.

One class for `parley ask` and the window's controller. It runs on the asyncio loop
(`call_later`), which in the app is the qasync loop, so it needs no Qt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final

SAVE_INTERVAL_S: Final = 0.5  # a crash (kill -9) loses at most this much of a streaming answer


class SavePacer:
    """Calls `save()` when the growing answer is due to be saved; see the module docstring."""

    def __init__(
        self,
        save: Callable[[], None],
        *,
        interval: float = SAVE_INTERVAL_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._save = save
        self._interval = interval
        self._clock = clock
        self._last_save = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self.unsaved = False

    def start(self) -> None:
        """The answer's (empty) row was just written: the first save is due `interval` from now."""
        self.cancel()
        self.unsaved = False
        self._last_save = self._now()

    def changed(self) -> None:
        """New text arrived: save it at most `interval` after the last save."""
        self.unsaved = True
        if self._timer is None:
            delay = max(0.0, self._last_save + self._interval - self._now())
            self._timer = asyncio.get_running_loop().call_later(delay, self._due)

    def saved(self) -> None:
        """The caller saved everything itself (its final save): nothing is due any more."""
        self.cancel()
        self.unsaved = False
        self._last_save = self._now()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @property
    def pending(self) -> bool:
        return self._timer is not None

    def _due(self) -> None:
        self._timer = None
        if self.unsaved:
            self.unsaved = False
            self._last_save = self._now()
            self._save()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()
