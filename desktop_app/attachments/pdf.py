"""PDF: text with pypdf, page by page; pages without text found and named; those pages
rendered to PNG with pypdfium2 for a vision model.

Memory: pypdf reads a file *path* wholly into memory, so it is given an open file instead and
seeks in it; pages are parsed one at a time and only their text is kept. pypdfium2 opens the
path itself (PDFium reads from disk as it needs).

PDFium is not thread-safe: every pypdfium2 call here holds one module lock.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.attachments.errors import UnreadableFileError
from desktop_app.attachments.limits import AttachmentLimits, CancelFlag, Progress, Steps
from desktop_app.core.attachments import ImagePart, page_ranges

if TYPE_CHECKING:
    import pypdf
    import pypdfium2

# Render at most this resolution (a page is text: more dots do not help a model read it).
MAX_RENDER_DPI = 150
POINTS_PER_INCH = 72
_PDFIUM_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class PdfText:
    text: str
    pages: int
    textless_pages: tuple[int, ...]  # 1-based
    notes: tuple[str, ...]


def pdf_text(path: Path, *, steps: Steps) -> PdfText:
    """Each page's text under a "[page N]" line; pages without text are counted and named."""
    with path.open("rb") as file:
        try:
            import pypdf  # here: ~130 ms of imports only a PDF needs

            reader = pypdf.PdfReader(file)
            if reader.is_encrypted and not _opens_without_password(reader):
                raise UnreadableFileError(
                    steps.name, "is password-protected; remove the password and attach it again"
                )
            total = len(reader.pages)
        except UnreadableFileError:
            raise
        except Exception as exc:  # pypdf raises its own errors and plain ones on damaged files
            raise UnreadableFileError.because(steps.name, "could not be read as a PDF", exc) from exc
        chunks: list[str] = []
        textless: list[int] = []
        failed: list[int] = []
        steps.step(0, total)
        for index in range(total):
            number = index + 1
            try:
                text = reader.pages[index].extract_text().strip()
            except Exception:  # one damaged page must not lose the others
                failed.append(number)
                text = ""
            else:
                if not text:
                    textless.append(number)
            if text:
                chunks.append(f"[page {number}]\n{text}")
            steps.step(number, total)
    return PdfText("\n\n".join(chunks), total, tuple(textless), _notes(total, textless, failed))


def _opens_without_password(reader: pypdf.PdfReader) -> bool:
    """Many PDFs are encrypted with an empty user password (printing/copy restrictions only)."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # e.g. AES without the optional crypto dependency
        return False


def _notes(total: int, textless: Sequence[int], failed: Sequence[int]) -> tuple[str, ...]:
    notes = []
    if textless:
        verb = "has" if len(textless) == 1 else "have"
        noun = "page" if total == 1 else "pages"
        notes.append(f"{len(textless)} of {total} {noun} {verb} no text — scanned?")
        notes.append(f"Pages without text: {page_ranges(textless)}.")
    if failed:
        notes.append(f"Pages that could not be read: {page_ranges(failed)}.")
    return tuple(notes)


def render_pdf_pages(
    path: Path,
    pages: Sequence[int],
    limits: AttachmentLimits = AttachmentLimits(),  # noqa: B008  (frozen, so sharing it is safe)
    *,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> tuple[ImagePart, ...]:
    """Render the given 1-based pages to PNG images, the longest side at most
    `limits.max_image_side` pixels and at most 150 dpi, named "<file> — page N.png"."""
    import pypdfium2  # here: a PDFium that cannot load breaks rendering only, not every attachment

    name = path.name
    steps = Steps(name, progress, cancel)
    images: list[ImagePart] = []
    with _PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(path)
        except Exception as exc:
            raise UnreadableFileError.because(name, "could not be opened to render its pages", exc) from exc
        try:
            count = len(document)
            for done, number in enumerate(pages, 1):
                steps.check()
                if not 1 <= number <= count:
                    raise ValueError(f"{name} has {count} pages; there is no page {number}")
                images.append(_render(document, number, name, limits.max_image_side))
                steps.step(done, len(pages))
        finally:
            document.close()
    return tuple(images)


def _render(document: pypdfium2.PdfDocument, number: int, name: str, max_side: int) -> ImagePart:
    page = document[number - 1]
    try:
        width, height = page.get_size()
        scale = min(max_side / max(width, height, 1.0), MAX_RENDER_DPI / POINTS_PER_INCH)
        bitmap = page.render(scale=scale)
        try:
            image = bitmap.to_pil()
        finally:
            bitmap.close()
    finally:
        page.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    stem = Path(name).stem
    return ImagePart(f"{stem} — page {number}.png", "image/png", buffer.getvalue(), image.width, image.height)
