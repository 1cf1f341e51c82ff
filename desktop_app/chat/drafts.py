"""The attachments of a message being written: files and pasted images, prepared off the loop.

`DraftAttachments` belongs to one composer (the window's, the quick prompt's). Each file added
becomes a `Draft` at once — a chip the user sees with its name — and is prepared on the
workspace's worker thread (`attachments.prepare_file`: text extracted, images oriented,
downscaled and stripped; heavy documents handed from there to the workspace's worker process,
`attachments.worker`), with progress and cancellation. A file that cannot be attached stays
as a failed draft with one line saying why, until the user removes it: nothing is dropped
silently. `parts()` is what a send carries.

A PDF with pages that have no text (scanned) keeps its path: its chip offers those pages as images
(`Draft.pages_offered`) unless the chosen model is known to be text-only (`takes_images`, asked
through `check_model()`), and `add_pdf_pages` renders them (pypdfium2, on the same worker thread)
as image drafts right after the PDF — at most `MAX_PAGE_IMAGES`, the rest named on its chip.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from desktop_app.attachments import (
    AttachmentCancelledError,
    AttachmentError,
    AttachmentLimits,
    CancelFlag,
    PreparedFile,
    Progress,
    estimate_part_tokens,
    format_size,
    prepare_file,
    render_pdf_pages,
)
from desktop_app.chat.tasks import OwnedTasks
from desktop_app.core.attachments import DocumentPart, Part

log = logging.getLogger(__name__)

PASTED_IMAGE_NAME = "pasted-image-{n}.png"
PAGE_IMAGE_NAME = "{name} — page {page}"
PROGRESS_INTERVAL_S = 0.05  # a chip's progress is redrawn at most this often (a few frames)
MAX_PAGE_IMAGES = 20  # textless pages added as images at once: a 300-page scan must not flood a request
_instances = itertools.count(1)


class PrepareFile(Protocol):
    """`attachments.prepare_file`'s signature."""

    def __call__(
        self, path: Path, limits: AttachmentLimits, *, progress: Progress | None, cancel: CancelFlag | None
    ) -> PreparedFile: ...


Work = Callable[[Callable[[int, int], None], threading.Event], PreparedFile]


async def _unknown() -> bool | None:
    return None


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
    source: Path | None = None  # the file it came from (None: pasted, or a rendered page)
    pages_offered: bool = False  # the chip offers `textless_pages` as images (see the module doc)
    pages_added: tuple[int, ...] = ()  # textless pages added as image drafts
    pages_left_out: tuple[int, ...] = ()  # textless pages over MAX_PAGE_IMAGES, not added

    @property
    def textless_pages(self) -> tuple[int, ...]:
        """A PDF's 1-based pages without text (scanned?)."""
        return self.prepared.textless_pages if self.prepared is not None else ()

    @property
    def pages(self) -> int:
        """A document's number of pages (0: not paged, or not prepared)."""
        part = self.prepared.part if self.prepared is not None else None
        return (part.pages or 0) if isinstance(part, DocumentPart) else 0

    @property
    def page_images(self) -> tuple[int, ...]:
        """The textless pages `add_pdf_pages` would add now (at most MAX_PAGE_IMAGES)."""
        if self.pages_added or self.source is None or self.state is not DraftState.READY:
            return ()
        return self.textless_pages[:MAX_PAGE_IMAGES]

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
        *,
        takes_images: Callable[[], Awaitable[bool | None]] = _unknown,
        prepare: PrepareFile | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._executor = executor
        # How a file is prepared on the worker thread (the workspace's `ProcessPreparer.prepare`
        # sends heavy documents to a worker process); None: `prepare_file`, on the thread itself.
        self._prepare_file = prepare
        self._limits = limits
        # Does the chosen model take images: False only when known text-only (None: unknown).
        self._takes_images = takes_images
        self._images_refused: bool | None = None  # None: not asked yet
        # Task keys: the workspace's task owner is shared by every composer's drafts.
        self._task_prefix = f"drafts-{next(_instances)}"
        self._keys = itertools.count(1)
        self._pasted = itertools.count(1)
        self._drafts: dict[int, Draft] = {}
        self._cancels: dict[int, threading.Event] = {}
        # Progress shown at most every PROGRESS_INTERVAL_S: when each draft's was last shown,
        # and the report held back until then.
        self._shown: dict[int, float] = {}
        self._held: dict[int, asyncio.TimerHandle] = {}

    # -- what the composer shows ------------------------------------------------------------------

    @property
    def drafts(self) -> list[Draft]:
        return list(self._drafts.values())

    @property
    def images_refused(self) -> bool | None:
        """The chosen model is known to be text-only, as last asked (None: not asked yet)."""
        return self._images_refused

    def is_busy(self) -> bool:
        """Some file is still being prepared (a send waits for it)."""
        return any(d.state is DraftState.PREPARING for d in self._drafts.values())

    def failed(self) -> list[Draft]:
        return [d for d in self._drafts.values() if d.state is DraftState.FAILED]

    def parts(self) -> tuple[Part, ...]:
        """The prepared parts, in the order they were added."""
        return tuple(d.prepared.part for d in self._drafts.values() if d.prepared is not None)

    # -- what the user does -----------------------------------------------------------------------

    def add_files(self, paths: Iterable[Path | str]) -> list[int]:
        """Attach files; each is prepared on the worker thread. Returns the drafts' keys."""
        return [self._add(Path(path).name, Path(path)) for path in paths]

    def add_image_data(self, data: bytes, name: str | None = None) -> int:
        """Attach an image from the clipboard (encoded bytes, e.g. PNG)."""
        name = name or PASTED_IMAGE_NAME.format(n=next(self._pasted))
        return self._add(name, data)

    def add_pdf_pages(self, key: int) -> list[int]:
        """Add the textless pages of the PDF draft `key` as image drafts, right after it, each
        rendered on the worker thread ("scan.pdf — page 4"); at most MAX_PAGE_IMAGES, the rest
        kept on the PDF's draft (`pages_left_out`) for its chip to name. Returns the new keys
        ([] when the draft has no pages to add, or added them already)."""
        draft = self._drafts.get(key)
        if draft is None or draft.source is None or not draft.page_images:
            return []
        path, pages = draft.source, draft.page_images
        limits = self._limits()
        added: list[Draft] = []
        for page in pages:
            name = PAGE_IMAGE_NAME.format(name=draft.name, page=page)
            added.append(Draft(next(self._keys), name, DraftState.PREPARING))
        left_out = draft.textless_pages[len(pages) :]
        items = list(self._drafts.items())
        at = [k for k, _ in items].index(key) + 1
        self._drafts = dict(items[:at] + [(d.key, d) for d in added] + items[at:])
        self._drafts[key] = replace(draft, pages_offered=False, pages_added=pages, pages_left_out=left_out)
        for new, page in zip(added, pages, strict=True):
            self._start(new.key, new.name, _page_work(path, page, limits))
        self.changed.emit()
        return [d.key for d in added]

    def check_model(self) -> None:
        """Ask (again) whether the chosen model takes images, and offer or withdraw the textless
        pages of the PDFs accordingly. Cheap when no draft has such pages."""
        pending = (d for d in self._drafts.values() if d.textless_pages and not d.pages_added)
        if any(d.source is not None for d in pending):
            self._tasks.start(self._check_model(), key=f"{self._task_prefix}-vision")

    def remove(self, key: int) -> None:
        """Take a draft away (cancelling its preparation)."""
        cancel = self._cancels.pop(key, None)
        if cancel is not None:
            cancel.set()
        self._forget_progress(key)
        if self._drafts.pop(key, None) is not None:
            self.changed.emit()

    def clear(self) -> None:
        """After a send, or when the composer is emptied: all drafts go (none is cancelled
        half-way without being told: preparations still running are cancelled)."""
        for cancel in self._cancels.values():
            cancel.set()
        self._cancels.clear()
        for key in list(self._held):
            self._forget_progress(key)
        self._shown.clear()
        if self._drafts:
            self._drafts.clear()
            self.changed.emit()

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
        path = source if isinstance(source, Path) else None
        self._drafts[key] = Draft(key, name, DraftState.PREPARING, source=path)
        self.changed.emit()
        limits = self._limits()

        def work(progress: Callable[[int, int], None], cancel: threading.Event) -> PreparedFile:
            if isinstance(source, Path):
                prepare = self._prepare_file or prepare_file
                return prepare(source, limits, progress=progress, cancel=cancel)
            return _prepare_data(name, source, limits, progress, cancel)

        self._start(key, name, work)
        return key

    def _start(self, key: int, name: str, work: Work) -> None:
        cancel = threading.Event()
        self._cancels[key] = cancel
        self._tasks.start(self._prepare(key, name, work, cancel), key=f"{self._task_prefix}-{key}")

    async def _prepare(self, key: int, name: str, work: Work, cancel: threading.Event) -> None:
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int) -> None:  # on the worker thread
            loop.call_soon_threadsafe(self._progress, key, done, total)

        try:
            prepared = await asyncio.wrap_future(self._executor.submit(work, progress, cancel))
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
        if prepared.textless_pages:
            self.check_model()

    async def _check_model(self) -> None:
        try:
            answer = await self._takes_images()
        except Exception:  # a provider's bug must not break the composer: offer the pages
            log.exception("Could not tell whether the model takes images")
            answer = None
        self._images_refused = answer is False
        changed = False
        for key, draft in list(self._drafts.items()):
            offered = bool(draft.page_images) and not self._images_refused
            if offered != draft.pages_offered:
                self._drafts[key] = replace(draft, pages_offered=offered)
                changed = True
        if changed:
            self.changed.emit()

    def _progress(self, key: int, done: int, total: int) -> None:
        """A progress report (on the loop): noted at once, shown at most every
        PROGRESS_INTERVAL_S (a 300-page PDF must not redraw its chip 300 times); the last one
        (`done >= total`) always, and a report held back is shown when the interval ends."""
        draft = self._drafts.get(key)
        if draft is None or draft.state is not DraftState.PREPARING:
            return
        self._drafts[key] = replace(draft, done=done, total=total)
        now = time.monotonic()
        wait = self._shown.get(key, -PROGRESS_INTERVAL_S) + PROGRESS_INTERVAL_S - now
        if wait <= 0 or done >= total:
            self._show_progress(key)
        elif key not in self._held:
            self._held[key] = asyncio.get_running_loop().call_later(wait, self._show_progress, key)

    def _show_progress(self, key: int) -> None:
        held = self._held.pop(key, None)
        if held is not None:
            held.cancel()
        draft = self._drafts.get(key)
        if draft is not None and draft.state is DraftState.PREPARING:
            self._shown[key] = time.monotonic()
            self.changed.emit()

    def _forget_progress(self, key: int) -> None:
        self._shown.pop(key, None)
        held = self._held.pop(key, None)
        if held is not None:
            held.cancel()

    def _settle(
        self, key: int, state: DraftState, *, prepared: PreparedFile | None = None, error: str = ""
    ) -> None:
        self._cancels.pop(key, None)
        self._forget_progress(key)
        draft = self._drafts.get(key)
        if draft is None:
            return  # removed meanwhile
        self._drafts[key] = replace(draft, state=state, prepared=prepared, error=error)
        self.changed.emit()


def _page_work(path: Path, page: int, limits: AttachmentLimits) -> Work:
    """One page of a PDF rendered to a PNG image, as a prepared file."""

    def work(progress: Callable[[int, int], None], cancel: threading.Event) -> PreparedFile:
        [image] = render_pdf_pages(path, [page], limits, progress=progress, cancel=cancel)
        return PreparedFile(image, len(image.data), estimate_part_tokens(image))

    return work


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
