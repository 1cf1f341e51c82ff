"""HTML as plain text with the stdlib parser: scripts, styles and other non-content dropped,
block elements on their own lines, list items with "- ", `<pre>` kept as it is, whitespace
elsewhere collapsed as a browser would. Entities are decoded by the parser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements whose content is never text a reader sees.
_SKIPPED = frozenset({"script", "style", "noscript", "template", "svg", "math", "iframe", "object"})
# Elements that start and end a line.
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "dd", "details", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
        "tr", "ul", "title", "caption",
    }
)  # fmt: skip
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def declared_charset(head: bytes) -> str | None:
    """The encoding an HTML file declares in its first bytes (`<meta charset=...>`), if any."""
    match = _META_CHARSET.search(head)
    return match.group(1).decode("ascii").lower() if match else None


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skip_depth = 0
        self._skip_tag: str | None = None
        self._pre = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth:
            if tag == self._skip_tag:
                self._skip_depth += 1
            return
        if tag == "title":
            self._in_title = True
            return
        if tag in _SKIPPED:
            self._skip_tag, self._skip_depth = tag, 1
            return
        if tag == "br":
            self._break()
        elif tag in _BLOCKS:
            self._break()
            if tag == "li":
                self._line.append("- ")
            if tag == "pre":
                self._pre += 1
        elif tag in ("td", "th") and self._line:
            self._line.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            if tag == self._skip_tag:
                self._skip_depth -= 1
            return
        if tag == "title":
            self._in_title = False
        elif tag in _BLOCKS:
            self._break()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self._title.append(data)
        elif self._pre:
            pieces = data.split("\n")
            for index, piece in enumerate(pieces):
                if index:
                    self._flush(keep_empty=True)
                self._line.append(piece)
        else:
            self._line.append(_SPACES.sub(" ", data))

    def _break(self) -> None:
        self._flush(keep_empty=False)

    def _flush(self, *, keep_empty: bool) -> None:
        line = "".join(self._line)
        self._line = []
        if not self._pre:
            line = _SPACES.sub(" ", line).strip()
        if line or keep_empty:
            self.lines.append(line)

    def text(self) -> str:
        self._break()
        title = _SPACES.sub(" ", "".join(self._title)).strip()
        body = "\n".join(self.lines).strip("\n")
        return f"# {title}\n\n{body}" if title and body else (title or body)


def html_text(markup: str) -> str:
    """The text of an HTML document (its `<title>` first, as a heading)."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collector.text()
