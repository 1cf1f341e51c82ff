"""Creating the QApplication without Qt's bare abort.

When no platform plugin can start (no display, a missing system library, a bad
QT_QPA_PLATFORM), Qt prints its reasons as `qt.qpa.*` warnings, then "This application failed
to start because no Qt platform plugin could be initialized. Reinstalling the application may
fix this problem." and aborts (exit 134, a core dump). `display_check` catches the usual causes
before this point; for anything it misses, `create_application` writes Qt's messages to the log,
prints one line that quotes Qt's reasons (never the "reinstall" advice) and exits 1.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from desktop_app.logs import KeptRecords, Redactor, records_kept, setup_logging

EXIT_FAILURE: Final = 1
MAX_REASONS: Final = 300  # characters of Qt's reasons on the one stderr line

qt_log = logging.getLogger("qt")

_LEVELS: Final = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def log_level(kind: QtMsgType) -> int:
    """The logging level for a Qt message type."""
    return _LEVELS.get(kind, logging.INFO)


class StartupMessages:
    """Qt's message handler while the QApplication is built: every message goes to the log;
    warnings are kept as the reasons to quote if a fatal message (Qt's abort) follows."""

    def __init__(self, log_file: Path | None, kept: KeptRecords | None = None) -> None:
        self._log_file = log_file
        self._kept = kept
        self.reasons: list[str] = []

    def __call__(self, kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        qt_log.log(log_level(kind), message)
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg):
            self.reasons.append(" ".join(message.split()))
        if kind == QtMsgType.QtFatalMsg:
            self.exit(message)

    def summary(self, fatal: str) -> str:
        """The one line for the terminal."""
        reasons = "; ".join(reason.rstrip(".") for reason in self.reasons) or fatal.strip().splitlines()[0]
        if len(reasons) > MAX_REASONS:
            reasons = reasons[: MAX_REASONS - 1].rstrip() + "…"
        where = f" Details are in {self._log_file}." if self._log_file is not None else ""
        return f"Qt could not start a display platform: {reasons}.{where}"

    def exit(self, fatal: str) -> None:
        """Qt aborts the process once this handler returns, so it does not return: the log is
        flushed, the line is printed and the process ends with exit code 1."""
        if self._kept is not None:
            _write_kept(self._kept, self._log_file)
        for handler in logging.getLogger().handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        if sys.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(f"parley: {self.summary(fatal)}\n")
                sys.stderr.flush()
        os._exit(EXIT_FAILURE)


def create_application(argv: Sequence[str], log_file: Path | None) -> QApplication:
    """`QApplication(argv)`, with Qt's messages during its construction in the log file (when
    given) instead of on the terminal; exits 1 with one line where Qt would abort."""
    with _logging_to(log_file) as kept:
        messages = StartupMessages(log_file, kept)
        previous = qInstallMessageHandler(messages)
        try:
            return QApplication(list(argv))
        finally:
            qInstallMessageHandler(previous)


@contextlib.contextmanager
def _logging_to(log_file: Path | None) -> Iterator[KeptRecords]:
    """Records logged meanwhile go to the log file (when given) instead of the terminal. They are
    kept in memory and the file is opened only when there are any: usually there are none, and
    opening it would delay the window (~5 ms). Without a file they are dropped."""
    with records_kept() as kept:
        try:
            yield kept
        finally:
            _write_kept(kept, log_file)


def _write_kept(kept: KeptRecords, log_file: Path | None) -> None:
    if not kept.records or log_file is None:
        kept.records.clear()
        return
    handler = setup_logging(log_file, Redactor())
    try:
        kept.hand_over(handler)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
