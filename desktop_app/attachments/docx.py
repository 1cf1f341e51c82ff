"""Word (.docx) documents read with the standard library: `zipfile` and `xml.etree`.

Decision: not python-docx. python-docx needs lxml (about 20 MB installed, the biggest part of
what a PyInstaller bundle would gain, and the bundle must stay under 160 MB unpacked), and for
extraction we need only `word/document.xml`: paragraphs (`w:p`) of runs (`w:r`) holding text
(`w:t`), tabs (`w:tab`), line and page breaks (`w:br`, `w:cr`), non-breaking hyphens; tables
(`w:tbl` → `w:tr` → `w:tc`); content controls (`w:sdt`) that wrap either. Deleted text of
tracked changes (`w:delText`) and field codes (`w:instrText`) are not text and are left out;
inserted text (`w:ins`) and hyperlinks are read like any run. Headings ("Heading N" styles)
become Markdown "#" lines, list paragraphs (`w:numPr`) "- " lines, tables Markdown tables.
Headers, footers, footnotes, comments and text boxes' anchors outside the body are not read.

The XML is parsed incrementally (`iterparse`), one top-level block at a time, and each block is
dropped once read, so memory follows the text extracted, not the size of the XML. Python's
expat refuses entity-expansion bombs (billion laughs) and ElementTree resolves no external
entities, so parsing a file from a stranger is safe; the uncompressed size is bounded too.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

from desktop_app.attachments.errors import FileTooLargeError, UnreadableFileError
from desktop_app.attachments.limits import Steps, format_size
from desktop_app.attachments.tables import markdown_table

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCUMENT_XML = "word/document.xml"
# How much bigger than the file itself its XML may unpack to (a zip bomb is far beyond this).
MAX_EXPANSION = 20

_P, _TBL, _SDT, _BODY = f"{W}p", f"{W}tbl", f"{W}sdt", f"{W}body"


def docx_text(path: Path, *, max_xml_bytes: int, steps: Steps) -> str:
    """The text of a .docx file's body. `max_xml_bytes` bounds the uncompressed document XML."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo(DOCUMENT_XML)
            except KeyError as exc:
                raise UnreadableFileError(
                    steps.name, "is not a Word document (no word/document.xml)"
                ) from exc
            if info.file_size > max_xml_bytes:
                raise FileTooLargeError(
                    steps.name,
                    f"its text unpacks to {format_size(info.file_size)}; "
                    f"the limit is {format_size(max_xml_bytes)}",
                )
            with archive.open(info) as raw:
                stream = _Counting(raw)
                blocks = [
                    block
                    for block in _blocks(stream, lambda: steps.step(stream.count, info.file_size))
                    if block
                ]
    except (zipfile.BadZipFile, ET.ParseError, OSError, EOFError) as exc:
        raise UnreadableFileError.because(steps.name, "could not be read as a Word document", exc) from exc
    steps.step(info.file_size, info.file_size)
    return "\n\n".join(blocks)


class _Counting:
    """A binary reader that counts the bytes read through it (progress over the XML)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        return data


def _blocks(stream: _Counting, on_block: Callable[[], None]) -> Iterator[str]:
    """Each top-level block of the body (paragraph, table, content control) as text."""
    depth = 0
    body: ET.Element | None = None
    for event, element in ET.iterparse(stream, events=("start", "end")):  # noqa: S314  (see docstring)
        if event == "start":
            depth += 1
            if element.tag == _BODY:
                body = element
            continue
        depth -= 1
        if body is not None and depth == 2:  # document → body → this block
            yield from _block(element)
            body.remove(element)  # read: let it go
            on_block()


def _block(element: ET.Element) -> Iterator[str]:
    if element.tag == _P:
        yield _paragraph(element)
    elif element.tag == _TBL:
        yield _table(element)
    elif element.tag == _SDT:
        content = element.find(f"{W}sdtContent")
        for child in content if content is not None else ():
            yield from _block(child)


def _paragraph(p: ET.Element) -> str:
    text = "".join(_runs_text(p)).strip(" ")
    if not text.strip():
        return ""
    properties = p.find(f"{W}pPr")
    if properties is not None:
        style = properties.find(f"{W}pStyle")
        level = _heading_level(style.get(f"{W}val", "") if style is not None else "")
        if level:
            return "#" * level + " " + text
        if properties.find(f"{W}numPr") is not None:
            return "- " + text
    return text


def _heading_level(style: str) -> int:
    """Style "Heading1" (or "heading 2", "Title") → 1 (2, 1); any other style → 0."""
    name = style.replace(" ", "").lower()
    if name == "title":
        return 1
    if name.startswith("heading") and name[7:].isdigit():
        return min(6, max(1, int(name[7:])))
    return 0


def _runs_text(element: ET.Element) -> Iterator[str]:
    for node in element.iter():
        tag = node.tag
        if tag == f"{W}t":
            yield node.text or ""
        elif tag in (f"{W}tab", f"{W}ptab"):
            yield "\t"
        elif tag in (f"{W}br", f"{W}cr"):
            yield "\n"
        elif tag == f"{W}noBreakHyphen":
            yield "-"


def _table(tbl: ET.Element) -> str:
    rows = []
    for tr in tbl.findall(f"{W}tr"):
        cells = []
        for tc in tr.findall(f"{W}tc"):
            paragraphs = (_paragraph(p) for p in tc.iter(f"{W}p"))
            cells.append(" ".join(p for p in paragraphs if p))
        rows.append(cells)
    return markdown_table(rows)
