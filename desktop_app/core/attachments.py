"""What a message may carry besides its text: images and documents, typed and immutable.

These are the parts a provider sends (an image as bytes it encodes its own way; a document as
the text extracted from it, with its name) and the parts history keeps. Extraction, downscaling
and storage live elsewhere; this module only says what a prepared part is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Cut:
    """A document's text was cut to fit: `kept` of `total` characters are sent."""

    kept: int
    total: int

    def note(self) -> str:
        """The visible note a cut document carries in the request itself."""
        return f"[cut at {self.kept:,} of {self.total:,} characters]"


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image ready to send: already oriented, downscaled and re-encoded (no metadata)."""

    name: str
    mime: str  # image/png, image/jpeg, image/webp or image/gif
    data: bytes
    width: int
    height: int

    def placeholder(self) -> str:
        """What a text-only path sends instead of the image."""
        return f"[image: {self.name}]"


@dataclass(frozen=True, slots=True)
class DocumentPart:
    """A file's extracted text. `pages` is set for paged formats (PDF); `notes` are remarks the
    user was shown ("4 of 12 pages have no text — scanned?") and the model may read too."""

    name: str
    mime: str
    text: str
    pages: int | None = None
    cut: Cut | None = None
    notes: tuple[str, ...] = ()

    def as_text(self) -> str:
        """The document as a text-only model reads it: a header naming the file, then its text."""
        lines = [f"[file: {self.name}]", self.text]
        if self.cut is not None:
            lines.append(self.cut.note())
        return "\n".join(lines)


Part = ImagePart | DocumentPart


def images_of(parts: tuple[Part, ...]) -> tuple[ImagePart, ...]:
    return tuple(p for p in parts if isinstance(p, ImagePart))


def documents_of(parts: tuple[Part, ...]) -> tuple[DocumentPart, ...]:
    return tuple(p for p in parts if isinstance(p, DocumentPart))


def page_ranges(pages: Iterable[int]) -> str:
    """[2, 5, 6, 7, 9] → "2, 5–7, 9" (how notes and chips name pages)."""
    ranges: list[list[int]] = []
    for page in sorted(set(pages)):
        if ranges and page == ranges[-1][1] + 1:
            ranges[-1][1] = page
        else:
            ranges.append([page, page])
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges)
