"""The attachments of a message being written: files and pasted images, prepared off the loop.

`DraftAttachments` belongs to one composer (the window's, the quick prompt's). Each file added
becomes a `Draft` at once — a chip the user sees with its name — and is prepared on the
workspace's worker thread (`attachments.prepare_file`: text extracted, images oriented,
downscaled and stripped), with progress and cancellation. A file that cannot be attached stays
as a failed draft with one line saying why, until the user removes it: nothing is dropped
silently. `parts()` is what a send carries.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_app.attachments import (
    AttachmentCancelledError,
    AttachmentError,
    AttachmentLimits,
    PreparedFile,
    format_size,
    prepare_file,
)
from desktop_app.chat.tasks import OwnedTasks
from desktop_app.core.attachments import Part

log = logging.getLogger(__name__)

PASTED_IMAGE_NAME = "pasted-image-{n}.png"


class DraftState(StrEnum):
    PREPARING = "preparing"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Draft:
    """One attachment as its chip shows it."""

    key: int
    name: str
    state: DraftState
    done: int = 0  # progress while preparing (pages, rows, bytes — whatever the file counts)
    total: int = 0
    prepared: PreparedFile | None = None
    error: str = ""  # one line, when it failed

    @property
    def size_label(self) -> str:
        return format_size(self.prepared.file_bytes) if self.prepared is not None else ""

    @property
    def tokens(self) -> int:
        return self.prepared.tokens if self.prepared is not None else 0


class DraftAttachments(QObject):
    """See the module docstring. `changed` fires whenever a draft is added, moves on or goes."""

    changed = Signal()

    def __init__(
        self,
        tasks: OwnedTasks,
        executor: Executor,
        limits: Callable[[], AttachmentLimits] = AttachmentLimits,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._executor = executor
        self._limits = limits
        self._keys = itertools.count(1)
        self._pasted = itertools.count(1)
        self._drafts: dict[int, Draft] = {}
        self._cancels: dict[int, threading.Event] = {}

    # -- what the composer shows ------------------------------------------------------------------

    @property
    def drafts(self) -> list[Draft]:
        return list(self._drafts.values())

    def is_busy(self) -> bool:
        """Some file is still being prepared (a send waits for it)."""
        return any(d.state is DraftState.PREPARING for d in self._drafts.values())

    def failed(self) -> list[Draft]:
        return [d for d in self._drafts.values() if d.state is DraftState.FAILED]

    def parts(self) -> tuple[Part, ...]:
        """The prepared parts, in the order they were added."""
        return tuple(d.prepared.part for d in self._drafts.values() if d.prepared is not None)

    def tokens(self) -> int:
        return sum(d.tokens for d in self._drafts.values())

    # -- what the user does -----------------------------------------------------------------------

    def add_files(self, paths: Iterable[Path | str]) -> list[int]:
        """Attach files; each is prepared on the worker thread. Returns the drafts' keys."""
        return [self._add(Path(path).name, Path(path)) for path in paths]

    def add_image_data(self, data: bytes, name: str | None = None) -> int:
        """Attach an image from the clipboard (encoded bytes, e.g. PNG)."""
        name = name or PASTED_IMAGE_NAME.format(n=next(self._pasted))
        return self._add(name, data)

    def remove(self, key: int) -> None:
        """Take a draft away (cancelling its preparation)."""
        cancel = self._cancels.pop(key, None)
        if cancel is not None:
            cancel.set()
        if self._drafts.pop(key, None) is not None:
            self.changed.emit()

    def clear(self) -> None:
        """After a send, or when the composer is emptied: all drafts go (none is cancelled
        half-way without being told: preparations still running are cancelled)."""
        for cancel in self._cancels.values():
            cancel.set()
        self._cancels.clear()
        if self._drafts:
            self._drafts.clear()
            self.changed.emit()

    def take_parts(self) -> tuple[Part, ...]:
        """The parts to send now; the drafts are cleared."""
        parts = self.parts()
        self.clear()
        return parts

    async def wait_ready(self) -> None:
        """Until no draft is being prepared (bounded by the preparations themselves)."""
        while self.is_busy():
            done = asyncio.Event()
            self.changed.connect(done.set)
            try:
                await done.wait()
            finally:
                self.changed.disconnect(done.set)

    # -- preparing --------------------------------------------------------------------------------

    def _add(self, name: str, source: Path | bytes) -> int:
        key = next(self._keys)
        cancel = threading.Event()
        self._drafts[key] = Draft(key, name, DraftState.PREPARING)
        self._cancels[key] = cancel
        self.changed.emit()
        self._tasks.start(self._prepare(key, name, source, cancel), key=f"attachment-{key}")
        return key

    async def _prepare(self, key: int, name: str, source: Path | bytes, cancel: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        limits = self._limits()

        def progress(done: int, total: int) -> None:  # on the worker thread
            loop.call_soon_threadsafe(self._progress, key, done, total)

        def work() -> PreparedFile:
            if isinstance(source, Path):
                return prepare_file(source, limits, progress=progress, cancel=cancel)
            return _prepare_data(name, source, limits, progress, cancel)

        try:
            prepared = await asyncio.wrap_future(self._executor.submit(work))
        except AttachmentCancelledError:
            return  # the user removed it; nothing to say
        except AttachmentError as exc:
            self._settle(key, DraftState.FAILED, error=str(exc))
            return
        except asyncio.CancelledError:
            cancel.set()  # the app is closing: let the worker stop at its next check
            raise
        except Exception as exc:  # a library's own bug on a strange file: say it, keep the rest
            log.exception("Preparing %s failed unexpectedly", name)
            self._settle(key, DraftState.FAILED, error=f"{name}: could not be attached ({exc})")
            return
        self._settle(key, DraftState.READY, prepared=prepared)

    def _progress(self, key: int, done: int, total: int) -> None:
        draft = self._drafts.get(key)
        if draft is not None and draft.state is DraftState.PREPARING:
            self._drafts[key] = replace(draft, done=done, total=total)
            self.changed.emit()

    def _settle(
        self, key: int, state: DraftState, *, prepared: PreparedFile | None = None, error: str = ""
    ) -> None:
        self._cancels.pop(key, None)
        draft = self._drafts.get(key)
        if draft is None:
            return  # removed meanwhile
        self._drafts[key] = replace(draft, state=state, prepared=prepared, error=error)
        self.changed.emit()


def _prepare_data(
    name: str,
    data: bytes,
    limits: AttachmentLimits,
    progress: Callable[[int, int], None],
    cancel: threading.Event,
) -> PreparedFile:
    """Pasted bytes go through the same preparation as a file (a temporary one, removed after)."""
    with tempfile.TemporaryDirectory(prefix="parley-paste-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return prepare_file(path, limits, progress=progress, cancel=cancel)
