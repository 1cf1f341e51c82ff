"""Ways files become attachments: pasted (an image, or files copied in a file manager), dropped
onto a window (with a visible highlight while they hover), or picked in a file dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QEvent, QIODevice, QMimeData, QObject, Qt
from PySide6.QtGui import QColor, QDropEvent, QImage, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QFileDialog, QWidget

_IMAGE_SUFFIXES = "*.png *.jpg *.jpeg *.gif *.webp *.bmp *.tif *.tiff *.heic"
_DOCUMENT_SUFFIXES = "*.pdf *.docx *.xlsx *.csv *.txt *.md *.html *.htm *.json *.xml *.log *.py *.js *.ts"


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a paste or a drop carries: local files, and images as PNG bytes."""

    paths: tuple[Path, ...] = ()
    images: tuple[bytes, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.paths or self.images)


def has_attachments(mime: QMimeData | None) -> bool:
    """Whether `mime` carries local files or an image (checked without decoding anything)."""
    if mime is None:
        return False
    if mime.hasImage():
        return True
    return mime.hasUrls() and any(url.isLocalFile() for url in mime.urls())


def incoming(mime: QMimeData | None) -> Incoming:
    """The files and images in `mime`. Files win: a file manager's copy may also carry an icon
    as an image, and the file itself is what the user meant."""
    if mime is None:
        return Incoming()
    if mime.hasUrls():
        paths = tuple(Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile())
        if paths:
            return Incoming(paths=tuple(p for p in paths if p.is_file()) or paths)
    if mime.hasImage():
        image = mime.imageData()
        data = png_bytes(image) if isinstance(image, QImage) else b""
        if data:
            return Incoming(images=(data,))
    return Incoming()


def png_bytes(image: QImage) -> bytes:
    if image.isNull():
        return b""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; only str works
    buffer.close()
    return bytes(data.data())


class DropHighlight(QWidget):
    """A frame drawn over its parent while files hover over it ("Drop files to attach")."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("dropHighlight")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.hide()

    def show_over_parent(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        if accent.lightness() < 90:  # the dark theme's highlight is grey: take its link colour
            accent = self.palette().color(QPalette.ColorRole.Link)
        fill = QColor(accent)
        fill.setAlpha(40)
        pen = QPen(accent, 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(self.rect().adjusted(3, 3, -3, -3), 10, 10)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(
            self.rect(),
            Qt.AlignmentFlag.AlignCenter,
            QCoreApplication.translate("DropHighlight", "Drop files to attach"),
        )


class FileDrops(QObject):
    """Accepts files and images dropped on the widgets it watches (`watch`), shows `highlight`
    while they hover, and hands them to `receive`. Other drops (text) are left to the widget."""

    def __init__(
        self, highlight: DropHighlight, receive: Callable[[Incoming], None], parent: QObject
    ) -> None:
        super().__init__(parent)
        self.highlight = highlight
        self._receive = receive

    def watch(self, widget: QWidget) -> None:
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and isinstance(event, QDropEvent):
            if not has_attachments(event.mimeData()):
                return False
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.highlight.show_over_parent()
            return True
        if kind == QEvent.Type.DragLeave:
            self.highlight.hide()
            return False
        if kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            self.highlight.hide()
            dropped = incoming(event.mimeData())
            if not dropped:
                return False
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self._receive(dropped)
            return True
        return False


def file_filters() -> list[str]:
    both = f"{_IMAGE_SUFFIXES} {_DOCUMENT_SUFFIXES}"
    return [
        QCoreApplication.translate("AttachmentDialog", "Images and documents ({patterns})").format(
            patterns=both
        ),
        QCoreApplication.translate("AttachmentDialog", "Images ({patterns})").format(
            patterns=_IMAGE_SUFFIXES
        ),
        QCoreApplication.translate("AttachmentDialog", "Documents ({patterns})").format(
            patterns=_DOCUMENT_SUFFIXES
        ),
        QCoreApplication.translate("AttachmentDialog", "All files (*)"),
    ]


class LastFolder:
    """Where the attach dialog opens: the folder files were last attached from. Kept for the
    session, and through `load`/`save` when the window is given a place to keep it."""

    def __init__(
        self, load: Callable[[], str] | None = None, save: Callable[[str], None] | None = None
    ) -> None:
        self._load = load
        self._save = save
        self._folder = ""

    def get(self) -> str:
        folder = self._folder or (self._load() if self._load is not None else "")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def set(self, folder: str) -> None:
        self._folder = folder
        if self._save is not None:
            self._save(folder)


def attach_dialog(parent: QWidget, folder: LastFolder, receive: Callable[[Incoming], None]) -> QFileDialog:
    """Open (not exec) a dialog for picking files to attach."""
    dialog = QFileDialog(parent, QCoreApplication.translate("AttachmentDialog", "Attach files"), folder.get())
    dialog.setObjectName("attachDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.setNameFilters(file_filters())

    def chosen(paths: list[str]) -> None:
        if paths:
            folder.set(str(Path(paths[0]).parent))
            receive(Incoming(paths=tuple(Path(p) for p in paths)))

    dialog.filesSelected.connect(chosen)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
