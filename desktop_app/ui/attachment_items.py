"""Attachments as a sent message shows them: from the parts of a message just sent (bytes at
hand) or from history (a reference: a small thumbnail and the part are read when needed).

`HistoryAttachments` is the one place the UI asks the application layer for a stored
attachment's thumbnail and part, so how the workspace offers them is a one-line change here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage

from desktop_app.core.attachments import DocumentPart, ImagePart, Part
from desktop_app.core.history_types import AttachmentKind, AttachmentRef

THUMBNAIL_PX = 240  # the longest side of an image shown in the conversation


def _none() -> None:
    return None


@dataclass(frozen=True, slots=True)
class ShownAttachment:
    """One attachment of a sent message: what the transcript writes and what a click opens."""

    name: str
    image: bool
    pages: int | None = None
    size: QSize | None = None  # an image's pixel size, when known
    thumbnail: Callable[[], bytes | None] = _none  # encoded image bytes (any size)
    part: Callable[[], Part | None] = _none  # the whole part, for the viewer


def shown_parts(parts: Iterable[Part]) -> tuple[ShownAttachment, ...]:
    """The attachments of a message just sent: everything is in memory already."""
    return tuple(_shown_part(p) for p in parts)


def _shown_part(part: Part) -> ShownAttachment:
    if isinstance(part, ImagePart):
        return ShownAttachment(
            part.name,
            image=True,
            size=QSize(part.width, part.height),
            thumbnail=lambda: part.data,
            part=lambda: part,
        )
    assert isinstance(part, DocumentPart)
    return ShownAttachment(part.name, image=False, pages=part.pages, part=lambda: part)


class StoredAttachments(Protocol):
    """What the workspace offers of stored attachments (`ChatWorkspace`)."""

    def thumbnail(self, key: str) -> bytes | None: ...

    def attachment_part(self, key: str) -> Part | None: ...


class HistoryAttachments:
    """Stored attachments through the workspace: read when the transcript shows or opens them."""

    def __init__(self, workspace: StoredAttachments) -> None:
        self._workspace = workspace

    def shown(self, refs: Iterable[AttachmentRef]) -> tuple[ShownAttachment, ...]:
        """`MessageRow.attachments` (references without bytes) as the transcript shows them."""
        return tuple(self._shown_ref(ref) for ref in refs)

    def _shown_ref(self, ref: AttachmentRef) -> ShownAttachment:
        key, store = ref.key, self._workspace
        return ShownAttachment(
            ref.name,
            image=ref.kind is AttachmentKind.IMAGE,
            pages=ref.pages,
            size=QSize(ref.width, ref.height) if ref.width and ref.height else None,
            thumbnail=lambda: store.thumbnail(key),
            part=lambda: store.attachment_part(key),
        )


def thumbnail_image(data: bytes | None, longest: int = THUMBNAIL_PX) -> QImage:
    """Encoded image bytes as a thumbnail no larger than `longest` (a null image when unreadable)."""
    if not data:
        return QImage()
    image = QImage.fromData(data)
    if image.isNull() or max(image.width(), image.height()) <= longest:
        return image
    return image.scaled(
        longest, longest, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
