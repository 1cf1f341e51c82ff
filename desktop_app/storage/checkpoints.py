"""WAL checkpoints off the caller's thread.

In WAL mode SQLite copies the -wal file back into the database ("checkpoint") whenever a commit
leaves the -wal file past ~1,000 pages, on the thread that committed — in the app, the event loop,
in the middle of a streaming save — and with synchronous=NORMAL that checkpoint is also the one
moment SQLite fsyncs. The store turns that automatic checkpoint off and pokes this checkpointer
after each write instead: a daemon thread with its own connection runs a PASSIVE checkpoint
(which never blocks readers or the writer) once the -wal file has grown past `threshold` bytes.
A checkpoint that fails is logged and tried again after the next write; closing the store's last
connection checkpoints whatever is left.

The thread holds no Qt object and nothing of the caller's but the file's path.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

CHECKPOINT_THRESHOLD: Final = 1024 * 1024  # bytes of -wal file that make a checkpoint due
JOIN_TIMEOUT_S: Final = 5.0
_BUSY_TIMEOUT_S: Final = 3.0


class BackgroundCheckpointer:
    """See the module docstring. `checkpoints` counts the ones that ran (tests, diagnostics)."""

    def __init__(self, database: Path, *, threshold: int = CHECKPOINT_THRESHOLD) -> None:
        self._database = database
        self._wal = database.with_name(database.name + "-wal")
        self._threshold = threshold
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.checkpoints = 0
        self.ran = threading.Event()  # set after each checkpoint (tests wait on it)
        self.thread_id: int | None = None  # the thread the checkpoints run on
        self._thread = threading.Thread(target=self._run, name="parley-checkpoint", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """A write was committed: check the -wal file's size soon."""
        self._wake.set()

    def close(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(JOIN_TIMEOUT_S)

    def _run(self) -> None:
        self.thread_id = threading.get_ident()
        conn: sqlite3.Connection | None = None
        try:
            while not self._stopping.is_set():  # bounded by close()
                self._wake.wait()
                self._wake.clear()
                if self._stopping.is_set() or not self._due():
                    continue
                if conn is None:
                    conn = sqlite3.connect(self._database, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:
                    log.warning("History checkpoint failed (tried again after the next save): %s", exc)
                    continue
                self.checkpoints += 1
                self.ran.set()
        except sqlite3.Error as exc:
            log.warning("History checkpoints stopped: %s", exc)
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    def _due(self) -> bool:
        try:
            return self._wal.stat().st_size >= self._threshold
        except OSError:
            return False
