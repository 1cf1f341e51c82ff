"""How big an attachment may be, and the small plumbing every extractor shares: the progress
callback, the cancel flag and a readable size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from desktop_app.attachments.errors import AttachmentCancelledError

# Sizes are decimal (1 MB = 1,000,000 bytes), as GNOME Files and the macOS Finder show them.
MB = 1_000_000
DEFAULT_MAX_FILE_BYTES = 50 * MB
DEFAULT_MAX_IMAGE_SIDE = 2048

Progress = Callable[[int, int], None]
"""`progress(done, total)`, called on the extracting (worker) thread; the caller marshals it."""


class CancelFlag(Protocol):
    """`threading.Event` (or `multiprocessing.Event` for a worker process)."""

    def is_set(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    """The settings that bound an attachment (Preferences fills them; these are the defaults)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_image_side: int = DEFAULT_MAX_IMAGE_SIDE  # longest side of an image sent, in pixels

    def __post_init__(self) -> None:
        if self.max_file_bytes <= 0:
            raise ValueError(f"max_file_bytes must be positive, got {self.max_file_bytes}")
        if self.max_image_side < 16:
            raise ValueError(f"max_image_side must be at least 16 pixels, got {self.max_image_side}")


def format_size(size: int) -> str:
    """`532 bytes`, `14.2 KB`, `3.5 MB`, `50 MB` (decimal units, one decimal unless whole)."""
    if size < 1000:
        return f"{size} byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            text = f"{value:.1f}"
            return f"{text.removesuffix('.0')} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


class Steps:
    """Progress and cancellation for one extraction: `step(done, total)` between pages or rows
    raises `AttachmentCancelledError` when the flag is set and reports progress (at most every
    `every` steps, and always the last one)."""

    def __init__(
        self, name: str, progress: Progress | None, cancel: CancelFlag | None, *, every: int = 1
    ) -> None:
        self.name = name
        self._progress = progress
        self._cancel = cancel
        self._every = max(1, every)

    def check(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise AttachmentCancelledError(self.name)

    def step(self, done: int, total: int) -> None:
        self.check()
        if self._progress is not None and (done % self._every == 0 or done >= total):
            self._progress(done, total)
