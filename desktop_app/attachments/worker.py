"""`ProcessPreparer`: heavy documents (PDF, DOCX, XLSX, big text files) prepared in a worker
process, so pure-Python extraction never competes with the window for the GIL.

One process (multiprocessing's "spawn" context: the same on Linux, Windows and macOS, and in the
frozen app through `multiprocessing.freeze_support()`) is started on first use and kept warm;
`close()` ends it. `prepare()` is called on a worker thread of the app (it blocks until the
file is ready) and has `prepare_file`'s signature: progress comes back over the pipe (at most
every PROGRESS_INTERVAL_S, always the last report) and is handed to `progress` on that thread;
the caller's cancel flag is passed on to the process. Images and small text files are prepared
right there on the calling thread (Pillow releases the GIL while it decodes and resizes).

A process that dies (killed, crashed) fails the file it was preparing with one line; the next
file starts a new process.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.attachments.detect import HEAD_BYTES, Kind, detect
from desktop_app.attachments.errors import AttachmentError, UnreadableFileError
from desktop_app.attachments.limits import AttachmentLimits, CancelFlag, Progress
from desktop_app.attachments.prepare import PreparedFile, prepare_file

if TYPE_CHECKING:  # (multiprocessing's pipes and events are imported when a process starts)
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess
    from multiprocessing.synchronize import Event

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.02  # progress sent back at most this often (the chip shows it every 50 ms)
BIG_TEXT_BYTES = 1_000_000  # text files from this size are decoded in the process too
POLL_S = 0.05  # how often a waiting thread looks at the caller's cancel flag
STOP_TIMEOUT_S = 2.0
_HEAVY = frozenset({Kind.PDF, Kind.DOCX, Kind.XLSX})


def in_process(path: Path) -> bool:
    """Is `path` prepared in the worker process (a document whose extraction is pure Python)?
    Anything that cannot even be read is not: `prepare_file` says why, on the calling thread."""
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            head = file.read(HEAD_BYTES)
        kind = detect(path, head)
    except (OSError, AttachmentError):
        return False
    return kind in _HEAVY or (kind is not Kind.IMAGE and size >= BIG_TEXT_BYTES)


class ProcessPreparer:
    """See the module docstring. Thread-safe: one file at a time goes to the process."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()  # one job at a time
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._cancel: Event | None = None
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The worker process's id, while one runs."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def prepare(
        self,
        path: Path | str,
        limits: AttachmentLimits = AttachmentLimits(),  # noqa: B008  (frozen, so sharing it is safe)
        *,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> PreparedFile:
        """`prepare_file`, in the worker process for heavy documents (see `in_process`)."""
        path = Path(path)
        if not in_process(path):
            return prepare_file(path, limits, progress=progress, cancel=cancel)
        return self.prepare_in_process(path, limits, progress=progress, cancel=cancel)

    def prepare_in_process(
        self,
        path: Path,
        limits: AttachmentLimits,
        *,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
    ) -> PreparedFile:
        """`prepare_file(path, limits)` in the worker process, whatever the file is."""
        with self._lock:
            if self._closed:
                raise UnreadableFileError(path.name, "could not be prepared: Parley is closing")
            conn, event = self._started()
            event.clear()
            try:
                conn.send((str(path), limits))
                while True:
                    ready = conn.poll(POLL_S)
                    if cancel is not None and cancel.is_set():
                        event.set()  # the process stops at its next page or row
                    if not ready:
                        continue
                    message = conn.recv()
                    if message[0] == "progress":
                        if progress is not None:
                            progress(message[1], message[2])
                        continue
                    return _answer(path.name, message)
            except (EOFError, OSError) as exc:
                code = self._forget()
                log.warning("The attachment process stopped while preparing %s (exit code %s)", path, code)
                raise UnreadableFileError(
                    path.name, f"could not be prepared: the worker process stopped (exit code {code})"
                ) from exc

    def close(self) -> None:
        """End the worker process (the app is closing); a file being prepared fails."""
        self._closed = True
        if self._cancel is not None:
            self._cancel.set()
        process, conn = self._process, self._conn
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                conn.send(None)  # the process's loop ends
        if process is not None:
            process.join(STOP_TIMEOUT_S)
            if process.is_alive():
                process.kill()
                process.join(STOP_TIMEOUT_S)
        if conn is not None:
            conn.close()

    def _started(self) -> tuple[Connection, Event]:
        if self._process is not None and not self._process.is_alive():
            self._forget()  # died while idle: a new one, nothing was lost
        if self._process is None or self._conn is None or self._cancel is None:
            ours, theirs = self._context.Pipe()
            cancel = self._context.Event()
            process = self._context.Process(
                target=serve, args=(theirs, cancel), name="parley-attachments", daemon=True
            )
            process.start()
            theirs.close()  # the process's end: ours sees EOF when the process dies
            self._process, self._conn, self._cancel = process, ours, cancel
        return self._conn, self._cancel

    def _forget(self) -> int | None:
        """Drop the process (dead or dying); its exit code."""
        process, conn = self._process, self._conn
        self._process = self._conn = self._cancel = None
        if conn is not None:
            conn.close()
        if process is None:
            return None
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():
            process.kill()
            process.join(STOP_TIMEOUT_S)
        return process.exitcode


def _answer(name: str, message: tuple[Any, ...]) -> PreparedFile:
    kind, value = message[0], message[1]
    if kind == "done":
        assert isinstance(value, PreparedFile)
        return value
    if kind == "error":
        assert isinstance(value, AttachmentError)
        raise value
    raise UnreadableFileError(name, f"could not be attached ({value})")


def serve(conn: Connection, cancel: Event) -> None:
    """The worker process: prepare each (path, limits) received until None or the pipe closes."""
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        path, limits = job
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_INTERVAL_S or done >= total:
                last = now
                conn.send(("progress", done, total))

        try:
            prepared = prepare_file(path, limits, progress=progress, cancel=cancel)
        except AttachmentError as exc:
            answer: tuple[str, object] = ("error", exc)
        except Exception as exc:  # a library's own bug on a strange file: one line back
            answer = ("failed", f"{type(exc).__name__}: {exc}"[:300])
        else:
            answer = ("done", prepared)
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return
