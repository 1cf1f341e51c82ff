"""The rotating log file in the data folder, with secrets redacted before anything is written.

Every path that can carry a secret into the log (a server error quoting the key, a proxy URL with
`user:password@`, an `Authorization: Bearer ...` header) passes the `Redactor`. The user sees one
line (`report`); the traceback, redacted, goes here.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import logging.handlers

MAX_BYTES: Final = 1_000_000
BACKUPS: Final = 3
MASK: Final = "***"
_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MIN_SECRET: Final = 4  # masking shorter strings would garble ordinary text

_PATTERNS: Final = (
    # Authorization: Bearer sk-..., Basic ...; and a bare "Bearer token".
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}"), r"\1 " + MASK),
    # scheme://user:password@host → scheme://user:***@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s@/]+@"), r"\1:" + MASK + "@"),
    # api_key=..., "api_key": "...", x-api-key: ..., password=..., token=...
    (
        re.compile(
            r"(?i)((?:api[_-]?key|x-api-key|password|passwd|secret|token|access[_-]token)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]+"
        ),
        r"\1" + MASK,
    ),
    # Keys that look like keys: sk-..., sk-proj-..., gsk_..., hf_..., xai-...
    (re.compile(r"\b(?:sk|gsk|xai)[-_][A-Za-z0-9_-]{8,}|\bhf_[A-Za-z0-9]{8,}"), MASK),
)


class Redactor:
    """Masks known secret values and anything shaped like a credential."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember a secret value (an API key loaded for a provider) so it is masked anywhere."""
        if secret and len(secret) >= _MIN_SECRET:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def report(line: str, redact: Callable[[str], str] | None = None) -> None:
    """The one line a user sees on stderr (`parley: ...`), with anything shaped like a secret
    masked. Used by the command line and by a start of the app that fails before its window."""
    redact = redact or Redactor()
    if sys.stderr is None:  # a windowed executable has no stderr
        return
    text = f"parley: {redact(' '.join(line.split()))}\n"
    # A redirected stderr on Windows may be a legacy code page without "→" or "—".
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    text = text.encode(encoding, errors="replace").decode(encoding)
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(text)
        sys.stderr.flush()


class RedactingFilter(logging.Filter):
    """Formats the record's message and traceback now, redacted, so no handler sees the raw text."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


@functools.cache
def _quiet_rotating_file_handler() -> type[logging.handlers.RotatingFileHandler]:
    """The handler class; `logging.handlers` (socket, pickle, queue: ~8 ms) is imported when the
    log starts, after the window's first paint."""
    import logging.handlers

    class QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
        """A log that cannot be written is dropped silently: the log must never print tracebacks
        on stderr (which belongs to the one-line error of `parley ask`)."""

        def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
            pass

    return QuietRotatingFileHandler


class KeptRecords(logging.Handler):
    """Log records kept in memory until the log file's handler exists (`hand_over`): start-up
    logs before it sets up the file, which is not needed for the window's first paint."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def hand_over(self, handler: logging.Handler) -> None:
        for record in self.records:
            if record.levelno >= handler.level:
                handler.handle(record)
        self.records.clear()


@contextlib.contextmanager
def records_kept() -> Iterator[KeptRecords]:
    """The root logger's records at INFO and above are kept (`KeptRecords`) inside the block."""
    root = logging.getLogger()
    kept = KeptRecords()
    root.addHandler(kept)
    root.setLevel(logging.INFO)  # as `setup_logging` sets it
    try:
        yield kept
    finally:
        root.removeHandler(kept)


def setup_logging(log_file: Path, redactor: Redactor, *, level: int = logging.INFO) -> logging.Handler:
    """Send the root logger to a rotating file (and nowhere else). Returns the handler so the
    caller can remove it (tests, a second start in one process)."""
    handler: logging.Handler
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = _quiet_rotating_file_handler()(
            log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter(redactor))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def install_excepthooks(logger: logging.Logger | None = None) -> None:
    """Uncaught exceptions in any thread go to the log (redacted) instead of a raw traceback."""
    target = logger or logging.getLogger("desktop_app")

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        target.error("Uncaught exception", exc_info=(kind, exc, tb))

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            target.error(
                "Uncaught exception in thread %s",
                args.thread.name if args.thread else "?",
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
            )

    sys.excepthook = excepthook
    threading.excepthook = thread_excepthook
