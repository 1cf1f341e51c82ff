"""What a file is, from its first bytes (the content decides) and its extension (which only
chooses among text kinds: plain, CSV/TSV, HTML; and names what a refused file is)."""

from __future__ import annotations

import zipfile
from enum import Enum
from pathlib import Path

from desktop_app.attachments.errors import UnsupportedFileError
from desktop_app.attachments.text import bom_encoding, looks_binary

HEAD_BYTES = 8192
SUPPORTED = "attach text, PDF, Word (.docx), Excel (.xlsx), CSV, HTML or an image"


class Kind(Enum):
    TEXT = "text"
    CSV = "csv"
    TSV = "tsv"
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    IMAGE = "image"


MIME = {
    Kind.CSV: "text/csv",
    Kind.TSV: "text/tab-separated-values",
    Kind.HTML: "text/html",
    Kind.PDF: "application/pdf",
    Kind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Kind.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Text MIME types by extension; other text files are text/plain. (Not `mimetypes`: its answers
# depend on the machine's /etc/mime.types and the Windows registry.)
TEXT_MIME = {
    ".md": "text/markdown", ".markdown": "text/markdown", ".json": "application/json",
    ".xml": "application/xml", ".svg": "image/svg+xml", ".yaml": "application/yaml",
    ".yml": "application/yaml", ".py": "text/x-python", ".js": "text/javascript",
    ".ts": "text/x-typescript", ".css": "text/css", ".c": "text/x-c", ".h": "text/x-c",
    ".cpp": "text/x-c++", ".java": "text/x-java", ".rs": "text/x-rust", ".go": "text/x-go",
    ".sh": "text/x-shellscript", ".rtf": "text/rtf",
}  # fmt: skip
_HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})

_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
)
# Known kinds Parley refuses, named so the user knows why (magic → what it is, what to do).
_REFUSED_MAGIC = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "old Office files (.doc, .xls, .ppt) are not supported — save it as .docx or .xlsx",
    ),
    (b"\x1f\x8b", "compressed (gzip) files are not supported — unpack it first"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archives are not supported — unpack it first"),
    (b"Rar!\x1a\x07", "RAR archives are not supported — unpack it first"),
    (b"\x7fELF", "programs are not supported"),
    (b"MZ", "programs are not supported"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")
_AVIF_BRANDS = (b"avif", b"avis")


def refuse(name: str, detail: str) -> UnsupportedFileError:
    return UnsupportedFileError(name, detail)


def detect(path: Path, head: bytes) -> Kind:
    """The kind of the file at `path` whose first bytes are `head` (up to HEAD_BYTES)."""
    name = path.name
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return Kind.PDF
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path, suffix)
    if (
        head.startswith(_IMAGE_MAGIC)
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or (head.startswith(b"BM") and not _textual(head))  # "BM" also starts plain words
    ):
        return Kind.IMAGE
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _AVIF_BRANDS:  # Pillow's AVIF codec (5 MB) is left out of the bundle
            raise refuse(name, "AVIF images are not supported — export it as JPEG or PNG")
        if brand in _HEIF_BRANDS:
            raise refuse(name, "HEIC images are not supported — export it as JPEG or PNG")
        raise refuse(name, f"video and audio files are not supported — {SUPPORTED}")
    for magic, detail in _REFUSED_MAGIC:
        if head.startswith(magic) and not (magic == b"MZ" and _textual(head)):
            raise refuse(name, detail)
    if not _textual(head):
        raise refuse(name, f"binary files are not supported — {SUPPORTED}")
    if suffix == ".csv":
        return Kind.CSV
    if suffix in (".tsv", ".tab"):
        return Kind.TSV
    if suffix in _HTML_EXTENSIONS or (suffix == "" and _starts_like_html(head)):
        return Kind.HTML
    if suffix in (".pdf", ".docx", ".xlsx", ".xlsm", ".png", ".jpg", ".jpeg", ".gif", ".webp"):
        raise refuse(name, f"does not look like a {suffix[1:].upper()} file inside (damaged?)")
    return Kind.TEXT


def _textual(head: bytes) -> bool:
    return bom_encoding(head) is not None or not looks_binary(head)


def _starts_like_html(head: bytes) -> bool:
    start = head.lstrip()[:64].lower()
    return start.startswith((b"<!doctype html", b"<html"))


def _zip_kind(path: Path, suffix: str) -> Kind:
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise refuse(name, f"looks like a ZIP archive but cannot be opened ({exc})") from exc
    if "word/document.xml" in names:
        return Kind.DOCX
    if "xl/workbook.xml" in names:
        return Kind.XLSX
    if "ppt/presentation.xml" in names:
        raise refuse(name, "PowerPoint files are not supported — save it as PDF")
    if "mimetype" in names and suffix in (".odt", ".ods", ".odp"):
        raise refuse(name, "OpenDocument files are not supported — save it as .docx, .xlsx or PDF")
    raise refuse(name, f"ZIP archives are not supported — unpack it first, then {SUPPORTED}")
