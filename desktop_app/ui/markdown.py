"""Markdown → HTML for the chat view: one pipeline for streaming answers and finished messages.

markdown-it (CommonMark + tables + strikethrough) with raw HTML off, so HTML in a model's output is
shown as text. Only http(s) links become anchors; images are never loaded (they become links);
fenced code is highlighted by Pygments into class-based spans (see `code_style`). No widgets here.

`IncrementalMarkdown` keeps a growing answer cheap to show: the text is split into completed
top-level blocks, each rendered once, and an open tail that is re-rendered on every update.
Concatenating the completed blocks and the tail gives exactly `render_message(text)`, except
that while the text is still growing a code block whose closing fence has not arrived is shown
as plain escaped code in the same box: highlighting it on every frame cost ~5 ms a frame, so it
is highlighted once, when it is complete (or the answer ends).

markdown-it itself is imported when the first message is rendered (~16 ms that showing the window
need not wait for).
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication

from desktop_app.ui.code_style import Highlighter

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.rules_core import StateCore
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

# Anchors the chat view handles itself. A model cannot produce these: only http(s) hrefs survive.
COPY_CODE_PREFIX = "parley:copy-code/"
# Stored with every cached rendering; bump it whenever the HTML this module produces changes, so
# history re-renders old messages instead of showing stale markup.
RENDERER_VERSION = "markdown-1"
_SAFE_SCHEMES = frozenset({"http", "https"})


def _image_label() -> str:
    return QCoreApplication.translate("MarkdownHtml", "[image: {alt}]")


def renderer_key() -> str:
    """What a cached rendering must have been made with to be shown as it is: this module's
    version and every translated text the HTML contains (today only the image placeholder), so
    switching the UI's language re-renders what was cached in another one."""
    return f"{RENDERER_VERSION}/{_image_label()}"


_CODE_INDEX_KEY = "parley_code_index"
_GROWING_KEY = "parley_growing"  # set in the env of a tail that more text will extend
_PROVISIONAL_KEY = "parley_provisional"  # set when such a tail showed an open fence unhighlighted
_HIGHLIGHT_CACHE_SIZE = 32  # recent code blocks: a tail re-renders a finished block until it commits
# Lexers whose first use (module import, regex compilation: 2-30 ms each) `warm_up` pays early.
WARM_UP_LANGUAGES = (
    "python",
    "javascript",
    "typescript",
    "bash",
    "json",
    "c",
    "cpp",
    "sql",
    "html",
    "css",
    "yaml",
    "rust",
    "go",
    "java",
)
_LINE_END = re.compile(r"\r\n|\r|\n")


def is_safe_url(url: str) -> bool:
    """True for absolute http(s) URLs, the only ones Parley opens or turns into anchors."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in _SAFE_SCHEMES and bool(parts.netloc)


def _escape(text: str) -> str:
    from markdown_it.common.utils import escapeHtml

    return escapeHtml(text)


def _is_unterminated(token: Token) -> bool:
    """True for a fence whose closing marker has not arrived (yet): its source spans only the
    opening line and its content lines."""
    if token.map is None:
        return False
    content = token.content
    lines = content.count("\n") + (1 if content and not content.endswith("\n") else 0)
    return token.map[1] - token.map[0] < lines + 2


def _neutralise_unsafe_links(state: StateCore) -> None:
    """Turn links to anything but http(s) into plain text followed by their target."""
    from markdown_it.token import Token

    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        unsafe_depth: list[tuple[str, int]] = []  # (href, index of its first child) per open unsafe link
        for child in block.children:
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                if not is_safe_url(href):
                    unsafe_depth.append((href, len(children)))
                    continue
                unsafe_depth.append(("", -1))
            elif child.type == "link_close" and unsafe_depth:
                href, first = unsafe_depth.pop()
                if first >= 0:
                    shown = "".join(t.content for t in children[first:] if t.type in ("text", "code_inline"))
                    if href and shown != href:
                        suffix = Token("text", "", 0)
                        suffix.content = f" ({href})"
                        children.append(suffix)
                    continue
            children.append(child)
        block.children = children


class _ParleyRules:
    """Parley's rules for code, images, tables and quotes in markdown-it's HTML renderer."""

    RULES = ("fence", "code_block", "image", "table_open", "blockquote_open", "blockquote_close")

    def __init__(self, renderer: RendererHTML, highlighter: Highlighter) -> None:
        self._renderer = renderer
        self._highlighter = highlighter
        self._highlighted: OrderedDict[tuple[str, str], str] = OrderedDict()
        for name in self.RULES:
            renderer.rules[name] = getattr(self, name)

    def highlight(self, code: str, language: str) -> str:
        """Highlighted HTML of `code`, from a small cache of recent blocks."""
        key = (language, code)
        body = self._highlighted.get(key)
        if body is None:
            body = self._highlighted[key] = self._highlighter.highlight(code, language)
            if len(self._highlighted) > _HIGHLIGHT_CACHE_SIZE:
                self._highlighted.popitem(last=False)
        else:
            self._highlighted.move_to_end(key)
        return body

    def _code(self, code: str, language: str, env: EnvType, *, highlight: bool = True) -> str:
        index = int(env.get(_CODE_INDEX_KEY, 0))
        env[_CODE_INDEX_KEY] = index + 1
        code = code.removesuffix("\n")
        body = self.highlight(code, language) if highlight else _escape(code)
        label = _escape(language) if language else "&nbsp;"
        # A one-row header (language, copy link) over the code; Qt draws tables with real padding.
        return (
            '<table class="code" width="100%" cellspacing="0" cellpadding="0">'
            f'<tr><td class="code-head">{label}</td>'
            f'<td class="code-head" align="right"><a href="{COPY_CODE_PREFIX}{index}">Copy</a></td></tr>'
            f'<tr><td class="code-body" colspan="2"><pre>{body}</pre></td></tr></table>\n'
        )

    def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        token = tokens[idx]
        language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
        if env.get(_GROWING_KEY) and _is_unterminated(token):
            env[_PROVISIONAL_KEY] = True  # plain for now; highlighted once it is complete
            return self._code(token.content, language, env, highlight=False)
        return self._code(token.content, language, env)

    def code_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return self._code(tokens[idx].content, "", env)

    def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # Never an <img>: a remote image would be fetched (tracking, size), so show a link instead.
        token = tokens[idx]
        alt = self._renderer.renderInlineAsText(token.children or [], options, env) or "image"
        src = str(token.attrGet("src") or "")
        label = _image_label().format(alt=_escape(alt))
        if is_safe_url(src):
            return f'<a href="{_escape(src)}">{label}</a>'
        return label

    def table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return '<table class="md" cellspacing="0" cellpadding="5" border="1">\n'

    def blockquote_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        # Qt draws no left border on blocks; a narrow tinted cell is the quote bar.
        return (
            '<table class="quote" cellspacing="0" cellpadding="0"><tr>'
            '<td class="quote-bar" width="3"></td><td class="quote-body">\n'
        )

    def blockquote_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "</td></tr></table>\n"


@dataclass(frozen=True, slots=True)
class RenderUpdate:
    """What changed since the previous `IncrementalMarkdown.update`."""

    completed: tuple[str, ...]  # HTML of blocks that completed since the last update, in order
    tail: str  # HTML of the open tail; replaces the previous tail
    tail_changed: bool  # False when the tail's text (and so its HTML) is the same as before
    restarted: bool  # the text does not extend the previous one: drop everything shown so far


class MarkdownRenderer:
    """The one markdown pipeline. Create one per app and share it (lexers are cached here)."""

    def __init__(self) -> None:
        self._highlighter = Highlighter()
        self._pipeline: tuple[MarkdownIt, RendererHTML] | None = None

    def _made(self) -> tuple[MarkdownIt, RendererHTML]:
        """markdown-it with Parley's rules, made on first use."""
        if self._pipeline is None:
            from markdown_it import MarkdownIt
            from markdown_it.renderer import RendererHTML

            md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
            md.enable(["table", "strikethrough"])
            md.core.ruler.push("parley_safe_links", _neutralise_unsafe_links)
            html = RendererHTML(md)
            _ParleyRules(html, self._highlighter)
            md.renderer = html
            self._pipeline = md, html
        return self._pipeline

    @property
    def _md(self) -> MarkdownIt:
        return self._made()[0]

    def render_message(self, text: str) -> str:
        """HTML for a finished message (what the history caches)."""
        env: EnvType = {}
        return self.render_tokens(self._md.parse(text, env), env)

    def parse(self, text: str, env: EnvType) -> list[Token]:
        return self._md.parse(text, env)

    def render_tokens(self, tokens: Sequence[Token], env: EnvType) -> str:
        md, html = self._made()
        return html.render(tokens, md.options, env)

    def code_blocks(self, text: str) -> list[str]:
        """The code of every code block in `text`, in the order of their copy links."""
        blocks = [t.content for t in self._md.parse(text, {}) if t.type in ("fence", "code_block")]
        return [code.removesuffix("\n") for code in blocks]

    def warm_up_steps(self) -> list[Callable[[], object]]:
        """Small pieces of `warm_up` (the parser, then one lexer each, none over ~30 ms), for a
        caller that runs them on separate loop turns after the first paint."""
        parser: Callable[[], object] = functools.partial(self.render_message, "# Warm\n\n- *up* `now`\n")
        return [parser, *(functools.partial(self._warm_lexer, lang) for lang in WARM_UP_LANGUAGES)]

    def warm_up(self) -> None:
        """Pay the first-use costs of markdown-it and the usual Pygments lexers (imports, regex
        compilation: 2-30 ms per language) now rather than in an answer's first frames."""
        for step in self.warm_up_steps():
            step()

    def _warm_lexer(self, language: str) -> None:
        self._highlighter.highlight("warm = up(1)  # 'now'\n", language)


def _top_level_starts(tokens: Sequence[Token]) -> list[int]:
    """First source line of every top-level block, in order."""
    return [t.map[0] for t in tokens if t.level == 0 and t.nesting >= 0 and t.map is not None]


def _split_top_level(tokens: Sequence[Token]) -> list[list[Token]]:
    blocks: list[list[Token]] = []
    for token in tokens:
        if token.level == 0 and token.nesting >= 0:
            blocks.append([])
        blocks[-1].append(token)
    return blocks


class IncrementalMarkdown:
    """Renders a growing text: completed top-level blocks once, the open tail on every update.

    A block is completed when a later block has started on a *complete* line (one ending in a
    newline): a partial last line can still change its mind ("2" is a paragraph that closes a
    list, "2." continues it). Link reference definitions only reach blocks after them.
    """

    def __init__(self, renderer: MarkdownRenderer) -> None:
        self._renderer = renderer
        self.reset()

    def reset(self) -> None:
        self._text = ""
        self._committed = 0  # characters of the text that belong to completed blocks
        self._checked_lines = ""  # the complete lines of the open text last looked at for blocks
        self._env: dict[str, Any] = {}
        self._tail_text: str | None = None
        self._tail_html = ""
        self._tail_provisional = False  # the tail HTML shows an open code block unhighlighted
        self._blocks: list[str] = []
        self.blocks_rendered = 0
        self.tail_renders = 0

    @property
    def html(self) -> str:
        """Everything rendered so far: completed blocks and the tail (exactly `render_message`
        of the text unless the last update was `growing`)."""
        return "".join(self._blocks) + self._tail_html

    @property
    def completed_blocks(self) -> int:
        return len(self._blocks)

    @property
    def committed_chars(self) -> int:
        """How much of the text belongs to completed blocks; the rest is the tail."""
        return self._committed

    @property
    def tail_chars(self) -> int:
        return len(self._text) - self._committed

    def update(self, text: str, *, render_tail: bool = True, growing: bool = False) -> RenderUpdate:
        """Catch up with `text`. With `render_tail=False` (a reader that is behind) only newly
        completed blocks are rendered; if there are some, the old tail is void and comes back
        empty, to be rendered by a later update that does render the tail. With `growing=True`
        (more text will come) a code block still waiting for its closing fence is left
        unhighlighted; the first update without it highlights it."""
        restarted = not text.startswith(self._text[: self._committed])
        if restarted:
            self.reset()
        self._text = text
        completed = self._commit_completed_blocks()
        tail = text[self._committed :]
        if not render_tail and (completed or restarted):
            self._tail_text, self._tail_html, self._tail_provisional = None, "", False
            return RenderUpdate(completed, "", tail_changed=True, restarted=restarted)
        # A tail shown with an open fence unhighlighted is rendered again once it stops growing.
        unchanged = tail == self._tail_text and not completed and (growing or not self._tail_provisional)
        if not render_tail or unchanged:
            return RenderUpdate((), self._tail_html, tail_changed=False, restarted=restarted)
        self._tail_text = tail
        env = self._scratch_env()
        env[_GROWING_KEY] = growing
        self._tail_html = self._renderer.render_tokens(self._renderer.parse(tail, env), env)
        self._tail_provisional = bool(env.get(_PROVISIONAL_KEY))
        self.tail_renders += 1
        return RenderUpdate(completed, self._tail_html, tail_changed=True, restarted=restarted)

    def _scratch_env(self) -> dict[str, Any]:
        """A copy of the shared env: the tail's partial reference definitions must not stick."""
        env = dict(self._env)
        if "references" in env:
            env["references"] = dict(env["references"])
        return env

    def _commit_completed_blocks(self) -> tuple[str, ...]:
        open_text = self._text[self._committed :]
        complete_lines = open_text[: open_text.rfind("\n") + 1]
        # Blocks only end at a new line: until one arrives, the answer is the same as last time
        # (most frames of a long paragraph), and the parse below is skipped.
        if not complete_lines or complete_lines == self._checked_lines:
            return ()
        self._checked_lines = complete_lines
        starts = _top_level_starts(self._renderer.parse(complete_lines, self._scratch_env()))
        if len(starts) < 2:
            return ()
        line_offsets = [0] + [m.end() for m in _LINE_END.finditer(complete_lines)]
        done_text = complete_lines[: line_offsets[starts[-1]]]
        # Parse the completed part on its own with the shared env: it is final, so its reference
        # definitions may now serve later blocks; the code counter numbers copy links in order.
        tokens = self._renderer.parse(done_text, self._env)
        rendered = tuple(self._renderer.render_tokens(block, self._env) for block in _split_top_level(tokens))
        self._blocks.extend(rendered)
        self.blocks_rendered += len(rendered)
        self._committed += len(done_text)
        return rendered
