"""Colours of the transcript: syntax highlighting for code blocks and the two chat themes.

The highlighted HTML carries only class names (`pg-k`, `pg-s`, ...), never colours, so the HTML the
history caches looks right in either theme; `CodeColorer` turns the classes into the theme's
colours as the chat view inserts the HTML.

The two themes' colours live in `chat_colors.py` (re-exported here). Pygments' lexers and styles
are imported when first needed (the first code block, the first coloured insert), not while the
window is being shown.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

from pygments.token import STANDARD_TYPES, Text, Whitespace, _TokenType

from desktop_app.ui.chat_colors import DARK as DARK
from desktop_app.ui.chat_colors import LIGHT as LIGHT
from desktop_app.ui.chat_colors import ChatColors as ChatColors
from desktop_app.ui.chat_colors import chat_colors as chat_colors

if TYPE_CHECKING:
    from pygments.lexer import Lexer

CLASS_PREFIX = "pg-"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"
# Tokens drawn in the normal text colour get no span: fewer elements for Qt to lay out.
_PLAIN_TYPES = frozenset({Text, Whitespace})


def _escape_html(text: str) -> str:
    """Escape & < > and " exactly as markdown-it does (single quotes stay), so highlighted and
    cached HTML are byte-identical; a local copy keeps markdown-it out of start-up."""
    return escape(text, quote=False).replace('"', "&quot;")


def _css_class(ttype: _TokenType) -> str:
    """The nearest standard Pygments class of a token type ("" for plain text)."""
    while ttype not in STANDARD_TYPES and ttype.parent is not None:
        ttype = ttype.parent
    if ttype in _PLAIN_TYPES:
        return ""
    return str(STANDARD_TYPES.get(ttype, ""))


class Highlighter:
    """Turns code into escaped HTML with class-based spans. Lexers are looked up once per language."""

    def __init__(self) -> None:
        self._lexers: dict[str, Lexer | None] = {}
        self._classes: dict[_TokenType, str] = {}

    def lexer_for(self, language: str) -> Lexer | None:
        key = language.strip().lower()
        if not key:
            return None
        if key not in self._lexers:
            from pygments.lexers import get_lexer_by_name
            from pygments.util import ClassNotFound

            try:
                # Keep the code exactly as written: no stripping, no added newline.
                self._lexers[key] = get_lexer_by_name(key, stripnl=False, stripall=False, ensurenl=False)
            except ClassNotFound:
                self._lexers[key] = None
        return self._lexers[key]

    def highlight(self, code: str, language: str) -> str:
        lexer = self.lexer_for(language)
        if lexer is None:
            return _escape_html(code)
        out: list[str] = []
        run_class = ""
        run: list[str] = []
        for ttype, value in lexer.get_tokens(code):
            css = self._classes.get(ttype)
            if css is None:
                css = self._classes[ttype] = _css_class(ttype)
            if css != run_class and run:
                out.append(_span(run_class, "".join(run)))
                run = []
            run_class = css
            run.append(value)
        if run:
            out.append(_span(run_class, "".join(run)))
        return "".join(out)


def _span(css: str, text: str) -> str:
    escaped = _escape_html(text)
    if not css or not text.strip():
        return escaped
    return f'<span class="{CLASS_PREFIX}{css}">{escaped}</span>'


class CodeColorer:
    """Turns the highlighter's class spans into `<font>` tags in one theme's colours.

    Qt matches every element against every class rule of a stylesheet, so 80 Pygments rules made
    inserting a 30-line code block ~4x slower; plain tags cost nothing to match. The cached HTML
    keeps the classes (theme-neutral); the view colours it on the way into the document.
    """

    _SPAN = re.compile(r'<span class="' + CLASS_PREFIX + r'([a-z0-9-]+)">([^<]*)</span>')

    def __init__(self, dark: bool) -> None:
        self._dark = dark
        self._tags: dict[str, tuple[str, str]] = {}  # filled on the first call that needs them

    def _load_tags(self) -> None:
        from pygments.styles import get_style_by_name

        style = get_style_by_name(DARK_STYLE if self._dark else LIGHT_STYLE)
        for ttype, css in STANDARD_TYPES.items():
            if not css or ttype in _PLAIN_TYPES:
                continue
            spec = style.style_for_token(ttype)
            opening, closing = "", ""
            if spec.get("color"):
                opening, closing = f'<font color="#{spec["color"]}">', "</font>"
            if spec.get("bold"):
                opening, closing = opening + "<b>", "</b>" + closing
            if spec.get("italic"):
                opening, closing = opening + "<i>", "</i>" + closing
            self._tags[css] = (opening, closing)

    def __call__(self, html: str) -> str:
        if CLASS_PREFIX not in html:
            return html
        if not self._tags:
            self._load_tags()
        return self._SPAN.sub(self._replace, html)

    def _replace(self, match: re.Match[str]) -> str:
        opening, closing = self._tags.get(match.group(1), ("", ""))
        return f"{opening}{match.group(2)}{closing}"


def document_stylesheet(dark: bool) -> str:
    """The default stylesheet of the transcript document: rendered markdown plus highlighting.

    Qt applies it while importing HTML, so a theme change rebuilds the document.
    """
    c = chat_colors(dark)
    return f"""
a {{ color: {c.link}; text-decoration: none; }}
p {{ margin-top: 6px; margin-bottom: 6px; }}
code {{ background-color: {c.inline_code}; }}
pre {{ margin-top: 0px; margin-bottom: 0px; }}
table.code {{ background-color: {c.code_background}; border-style: none;
    margin-top: 6px; margin-bottom: 6px; }}
td.code-head {{ background-color: {c.code_header}; color: {c.muted}; padding: 3px 8px 3px 8px; }}
td.code-body {{ padding: 8px; }}
table.md {{ border-color: {c.border}; border-style: solid; border-collapse: collapse;
    margin-top: 6px; margin-bottom: 6px; }}
table.md th {{ background-color: {c.code_background}; }}
table.quote {{ margin-top: 6px; margin-bottom: 6px; border-style: none; }}
td.quote-bar {{ background-color: {c.quote_bar}; }}
td.quote-body {{ color: {c.muted}; padding-left: 10px; }}
td.quote-body p {{ margin-top: 2px; margin-bottom: 2px; }}
"""
