"""Attachments seen at full size: an image in a window that fits the screen, a document's
extracted text read-only with the remarks made while extracting it ("4 of 12 pages have no
text — scanned?"). Both close on Esc; both are opened, not exec'd, so answers keep streaming.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.attachments import DocumentPart, ImagePart, Part
from desktop_app.i18n import format_integer, numerus

_SCREEN_SHARE = 0.9  # of the screen's available area, at most
_TEXT_SIZE = QSize(760, 620)


class ImageViewer(QDialog):
    """An image at its own size, scaled down (never up) so the window fits the screen."""

    def __init__(self, part: ImagePart, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageViewer")
        self.setWindowTitle(part.name)
        self.image = QImage.fromData(part.data)
        self.label = QLabel(self)
        self.label.setObjectName("imageViewerPicture")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setAccessibleName(
            self.tr("Image {name}, {width} × {height} pixels").format(
                name=part.name, width=part.width, height=part.height
            )
        )
        area = QScrollArea(self)
        area.setWidget(self.label)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        caption = QLabel(f"{part.name} · {part.width} × {part.height}", self)
        caption.setObjectName("imageViewerCaption")
        caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(area, 1)
        layout.addWidget(caption)
        self.shown_size = self._fit()

    def _fit(self) -> QSize:
        """Show the image as large as fits the screen (within its own size) and size the window."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry().size() * _SCREEN_SHARE
        chrome = QSize(16, 48)  # margins and the caption line
        limit = QSize(max(64, room.width() - chrome.width()), max(64, room.height() - chrome.height()))
        size = self.image.size()
        if size.width() > limit.width() or size.height() > limit.height():
            size = size.scaled(limit, Qt.AspectRatioMode.KeepAspectRatio)
        if not self.image.isNull():
            self.label.setPixmap(
                QPixmap.fromImage(
                    self.image.scaled(
                        size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                    )
                )
            )
        self.resize(max(240, size.width() + chrome.width()), max(160, size.height() + chrome.height()))
        return size


class DocumentViewer(QDialog):
    """What Parley extracted from a document (and sends to the model), read-only."""

    def __init__(self, part: DocumentPart, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("documentViewer")
        self.setWindowTitle(part.name)
        facts = [part.name]
        if part.pages is not None:
            facts.append(numerus(self.tr("%n page(s)", "", part.pages), part.pages))
        facts.append(self.tr("{count} characters").format(count=format_integer(len(part.text))))
        self.summary = QLabel(" · ".join(facts), self)
        self.summary.setObjectName("documentViewerSummary")
        self.notes = QLabel("\n".join(part.notes), self)
        self.notes.setObjectName("documentViewerNotes")
        self.notes.setWordWrap(True)
        self.notes.setVisible(bool(part.notes))
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("documentViewerText")
        self.text.setReadOnly(True)
        self.text.setPlainText(part.text)
        self.text.setAccessibleName(self.tr("Text extracted from {name}").format(name=part.name))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.notes)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        screen = self.screen() or QGuiApplication.primaryScreen()
        self.resize(_TEXT_SIZE.boundedTo(screen.availableGeometry().size() * _SCREEN_SHARE))


def open_viewer(part: Part, parent: QWidget | None) -> QDialog:
    """Open the viewer for `part` (deleted when closed) and return it."""
    viewer: QDialog = (
        ImageViewer(part, parent) if isinstance(part, ImagePart) else DocumentViewer(part, parent)
    )
    viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    viewer.open()  # Esc closes a dialog
    return viewer
