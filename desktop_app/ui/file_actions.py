"""Export the shown conversation (Markdown, JSON, HTML) and import a JSON export.

File dialogs are opened, not exec'd, so the event loop (and any streaming answer) keeps running
while the user picks a file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_app.core.errors import ParleyError
from desktop_app.ui.window_backend import WindowBackend

log = logging.getLogger(__name__)

_SUFFIX = {"markdown": ".md", "json": ".json", "html": ".html"}


def _filters() -> dict[str, str]:
    return {
        "markdown": QCoreApplication.translate("FileActions", "Markdown (*.md)"),
        "json": QCoreApplication.translate("FileActions", "Parley JSON (*.json)"),
        "html": QCoreApplication.translate("FileActions", "Web page (*.html)"),
    }


def safe_file_name(title: str, suffix: str) -> str:
    stem = "".join(c if c.isalnum() or c in " -_" else " " for c in title).strip()
    return f"{' '.join(stem.split())[:60] or 'conversation'}{suffix}"


class FileActions(QObject):
    imported = Signal(int)  # the new conversation's id

    def __init__(self, parent: QWidget, backend: WindowBackend, show_message: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._parent = parent
        self._backend = backend
        self._show_message = show_message
        self.dialog: QFileDialog | None = None  # the open file dialog, for tests

    def export(self, conversation_id: int | None, kind: str) -> None:
        if conversation_id is None:
            self._show_message(self.tr("Nothing to export yet: this chat has no messages."))
            return
        name = safe_file_name(self._backend.workspace.title(conversation_id), _SUFFIX[kind])
        dialog = QFileDialog(
            self._parent, self.tr("Export conversation"), str(Path.home() / name), _filters()[kind]
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(_SUFFIX[kind].lstrip("."))
        dialog.fileSelected.connect(lambda path: self.write_export(conversation_id, kind, Path(path)))
        self._open(dialog)

    def write_export(self, conversation_id: int, kind: str, path: Path) -> bool:
        try:
            self._backend.export_conversation(conversation_id, kind, path)
        except (OSError, ParleyError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._show_message(
                self.tr("Could not export to {path}: {reason}").format(path=path, reason=reason)
            )
            return False
        self._show_message(self.tr("Exported to {path}").format(path=path))
        return True

    def import_json(self) -> None:
        dialog = QFileDialog(
            self._parent, self.tr("Import conversation"), str(Path.home()), _filters()["json"]
        )
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.read_import(Path(path)))
        self._open(dialog)

    def read_import(self, path: Path) -> int | None:
        try:
            conversation_id = self._backend.import_conversation(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ParleyError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self._show_message(
                self.tr("Could not import {path}: {reason}").format(path=path.name, reason=reason)
            )
            return None
        self.imported.emit(conversation_id)
        return conversation_id

    def _open(self, dialog: QFileDialog) -> None:
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()
