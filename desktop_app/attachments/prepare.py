"""`prepare_file`: one file → the part a message carries, with its size and token estimate.

Call it off the event loop (a worker thread, or a process: everything here pickles). It checks
`cancel` between pages and rows and raises `AttachmentCancelledError`; `progress(done, total)`
is called on the same worker thread. Every refusal is an `AttachmentError` whose text is one
line naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_app.attachments.budget import estimate_part_tokens
from desktop_app.attachments.detect import HEAD_BYTES, MIME, TEXT_MIME, Kind, detect
from desktop_app.attachments.docx import MAX_EXPANSION, docx_text
from desktop_app.attachments.errors import FileTooLargeError, UnreadableFileError
from desktop_app.attachments.html import declared_charset, html_text
from desktop_app.attachments.limits import AttachmentLimits, CancelFlag, Progress, Steps, format_size
from desktop_app.attachments.pdf import pdf_text
from desktop_app.attachments.tables import csv_table, xlsx_tables
from desktop_app.attachments.text import decode_text
from desktop_app.core.attachments import DocumentPart, ImagePart


@dataclass(frozen=True, slots=True)
class PreparedFile:
    """A file made ready to attach, and what its chip shows."""

    part: ImagePart | DocumentPart
    file_bytes: int  # the size of the file on disk
    tokens: int  # estimated tokens of the part as sent
    # 1-based PDF pages without text, to offer as images to a vision model (render_pdf_pages).
    textless_pages: tuple[int, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        return self.part.notes if isinstance(self.part, DocumentPart) else ()


def prepare_file(
    path: Path | str,
    limits: AttachmentLimits = AttachmentLimits(),  # noqa: B008  (frozen, so sharing it is safe)
    *,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
) -> PreparedFile:
    """Detect what the file is (by content, then extension) and extract or re-encode it."""
    path = Path(path)
    name = path.name
    steps = Steps(name, progress, cancel)
    size = _checked_size(path, limits)
    steps.check()
    try:
        with path.open("rb") as file:
            head = file.read(HEAD_BYTES)
    except OSError as exc:
        raise UnreadableFileError.because(name, "cannot be read", exc) from exc
    kind = detect(path, head)
    textless: tuple[int, ...] = ()
    part: ImagePart | DocumentPart
    if kind is Kind.IMAGE:
        from desktop_app.attachments.images import prepare_image  # Pillow: only for images

        part = prepare_image(path, limits)
        steps.step(1, 1)
    elif kind is Kind.PDF:
        extracted = pdf_text(path, steps=steps)
        textless = extracted.textless_pages
        part = DocumentPart(name, MIME[kind], extracted.text, extracted.pages, notes=extracted.notes)
    elif kind is Kind.DOCX:
        text = docx_text(path, max_xml_bytes=limits.max_file_bytes * MAX_EXPANSION, steps=steps)
        part = DocumentPart(name, MIME[kind], text)
    elif kind is Kind.XLSX:
        part = DocumentPart(name, MIME[kind], xlsx_tables(path, steps=steps))
    else:
        part = _text_part(path, kind, head, steps)
    steps.check()
    return PreparedFile(part, size, estimate_part_tokens(part), textless)


def _checked_size(path: Path, limits: AttachmentLimits) -> int:
    name = path.name
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise UnreadableFileError(name, "no such file") from exc
    except OSError as exc:
        raise UnreadableFileError.because(name, "cannot be read", exc) from exc
    if path.is_dir():
        raise UnreadableFileError(name, "is a folder; attach the files in it")
    if stat.st_size > limits.max_file_bytes:
        raise FileTooLargeError(
            name,
            f"is {format_size(stat.st_size)}; the limit for an attachment is "
            f"{format_size(limits.max_file_bytes)} (Preferences → Models → Attachments)",
        )
    return stat.st_size


def _text_part(path: Path, kind: Kind, head: bytes, steps: Steps) -> DocumentPart:
    try:
        data = path.read_bytes()  # bounded by max_file_bytes; text is decoded whole
    except OSError as exc:
        raise UnreadableFileError.because(steps.name, "cannot be read", exc) from exc
    steps.check()
    declared = declared_charset(head[:2048]) if kind is Kind.HTML else None
    decoded = decode_text(data, declared=declared)
    del data
    notes = list(decoded.notes)
    mime = MIME.get(kind) or TEXT_MIME.get(path.suffix.lower(), "text/plain")
    if kind in (Kind.CSV, Kind.TSV):
        text = csv_table(decoded.text, tab_separated=kind is Kind.TSV, steps=steps)
    elif kind is Kind.HTML:
        text = html_text(decoded.text)
    else:
        text = decoded.text
    steps.step(1, 1)
    if not text.strip():
        notes.append("The file has no text.")
    return DocumentPart(steps.name, mime, text, notes=tuple(notes))
