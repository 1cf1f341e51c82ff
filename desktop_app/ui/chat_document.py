"""How a conversation is laid out in a QTextDocument, and edits that keep Qt's formats intact.

Two measured Qt quirks shape every edit here: `insertHtml` merges the fragment's first block
into the current one (a heading loses its format), so each fragment starts with a throwaway
line break that is deleted afterwards; and deleting across blocks gives the surviving block the
format of the last deleted one, so the survivor's format is put back.

Positions that must survive edits elsewhere are `marker`s: QTextCursors that Qt moves when text
before them changes, and that stay put when text is inserted exactly at them (the caller moves
them explicitly, because only it knows which side the new text belongs to).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextDocumentFragment,
    QTextFormat,
    QTextFrameFormat,
    QTextImageFormat,
)

from desktop_app.core.messages import MessageStatus, Role
from desktop_app.ui.attachment_items import ShownAttachment, thumbnail_image
from desktop_app.ui.code_style import ChatColors, CodeColorer, chat_colors
from desktop_app.ui.icons import tinted_icon
from desktop_app.ui.markdown import COPY_CODE_PREFIX, IncrementalMarkdown
from desktop_app.ui.transcript_text import TranscriptLabels

SCHEME = "parley"  # internal links: parley:<action>/<message key>[/<n>]
# Images only Parley puts in the document (thumbnails of the user's own attachments, icons):
# added as the document's resources, so the transcript never loads anything by this name.
ATTACHMENT_SCHEME = "parley-attachment"
_ICON_PX = 16
SPARE_BLOCK = QTextFormat.Property.UserProperty + 1  # an empty block the next message may reuse
_MERGE_GUARD = "<br/>"
_LINE_BREAK = "\u2028"
_END_OF_FRAME = "\ufdd1"
_SEPARATOR = "   "


@dataclass(eq=False)
class MessageRecord:
    """A message as the view holds it: its text, cached HTML and where its parts are."""

    key: int
    entry_id: int | None
    role: Role
    text: str
    html: str | None  # None until rendered (answers from history without cached HTML)
    status: MessageStatus
    reasoning: str = ""
    reasoning_open: bool = False
    attachments: tuple[ShownAttachment, ...] = ()  # a user message's images and documents
    thumbnails: dict[int, QImage] = field(default_factory=dict)  # by attachment index, once read
    # End of the header block and of the reasoning region (== header_end without reasoning).
    header_end: QTextCursor | None = None
    reasoning_end: QTextCursor | None = None


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """An error or notice line between messages (kept so a theme change can redraw it)."""

    text: str
    error: bool
    retry_key: int | None = None


def last_messages(messages: Sequence[MessageRecord], budget_chars: int) -> list[MessageRecord]:
    """The longest run of trailing messages within `budget_chars` of text (at least one)."""
    total, count = 0, 0
    for message in reversed(messages):
        total += len(message.text) + len(message.reasoning)
        if count and total > budget_chars:
            break
        count += 1
    return list(messages[len(messages) - count :])


def marker(document: QTextDocument, position: int) -> QTextCursor:
    cursor = QTextCursor(document)
    cursor.setPosition(position)
    cursor.setKeepPositionOnInsert(True)
    return cursor


def end_position(document: QTextDocument) -> int:
    return document.characterCount() - 1


def text_format(color: str, *, italic: bool = False, bold: bool = False, href: str = "") -> QTextCharFormat:
    char_format = QTextCharFormat()
    char_format.setForeground(QColor(color))
    char_format.setFontItalic(italic)
    if bold:
        char_format.setFontWeight(QFont.Weight.Bold)
    if href:
        char_format.setAnchor(True)
        char_format.setAnchorHref(href)
    return char_format


def bubble(background: str, *, left_margin: int, top_margin: int) -> QTextFrameFormat:
    frame_format = QTextFrameFormat()
    frame_format.setBackground(QColor(background))
    frame_format.setPadding(9)
    frame_format.setLeftMargin(left_margin)
    frame_format.setTopMargin(top_margin)
    frame_format.setBottomMargin(4)
    return frame_format


def insert_html(cursor: QTextCursor, html: str) -> None:
    """Insert block-level HTML at the end of a block, keeping the first block's own format."""
    html = html.strip()
    if not html:
        return
    start = cursor.position()
    cursor.insertHtml(_MERGE_GUARD + html)
    guard = QTextCursor(cursor.document())
    guard.setPosition(start)
    guard.setPosition(start + 1, QTextCursor.MoveMode.KeepAnchor)
    if guard.selectedText() == _LINE_BREAK:
        guard.removeSelectedText()


def cut(document: QTextDocument, start: int, end: int) -> QTextCursor:
    """Delete [start, end) keeping the format of the block at `start`; returns a cursor there."""
    cursor = QTextCursor(document)
    cursor.setPosition(start)
    if end > start:
        block_format, char_format = cursor.blockFormat(), cursor.blockCharFormat()
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.setBlockFormat(block_format)
        cursor.setBlockCharFormat(char_format)
    return cursor


def new_block(document: QTextDocument, block: QTextBlockFormat, chars: QTextCharFormat) -> QTextCursor:
    """A cursor in a fresh block at the end, reusing an empty first, spare or after-frame block."""
    cursor = QTextCursor(document)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    last = document.lastBlock()
    spare = last.position() == 0 or last.blockFormat().boolProperty(SPARE_BLOCK)
    if last.length() == 1 and (spare or document.characterAt(last.position() - 1) == _END_OF_FRAME):
        cursor.setBlockFormat(block)
        cursor.setBlockCharFormat(chars)
        cursor.setCharFormat(chars)
    else:
        cursor.insertBlock(block, chars)
    return cursor


def _frame_all_but_block_0(document: QTextDocument) -> None:
    """Move everything after block 0 into one frame. When the next batch of earlier messages goes
    in above, Qt moves a frame below it as a whole, but loose blocks one by one: in a long
    conversation that halved the cost of each batch. The empty blocks Qt keeps on either side of
    a frame get no height."""
    first = document.firstBlock().next()
    block_format, char_format = first.blockFormat(), first.charFormat()
    cursor = QTextCursor(document)
    cursor.setPosition(first.position())
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    frame = cursor.insertFrame(QTextFrameFormat())
    inside = frame.firstCursorPosition()  # the first block moved in without its formats
    inside.setBlockFormat(block_format)
    inside.setBlockCharFormat(char_format)
    flat = QTextBlockFormat()
    flat.setLineHeight(0, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
    for position in (frame.firstPosition() - 1, frame.lastPosition() + 1):
        edge = QTextCursor(document)
        edge.setPosition(position)
        edge.setBlockFormat(flat)


class TranscriptWriter:
    """Writes messages, notes and links into a document in the colours of one theme and the
    words of one language (`labels`: change them only together with rewriting the document)."""

    def __init__(self, dark: bool, labels: TranscriptLabels | None = None) -> None:
        self.labels = labels or TranscriptLabels()
        self._icons: dict[tuple[str, str], QImage] = {}
        self._resources: list[tuple[str, QImage]] | None = None  # collected while in a scratch
        self.set_theme(dark)

    def set_theme(self, dark: bool) -> None:
        self.colors: ChatColors = chat_colors(dark)
        self._color_code = CodeColorer(dark)

    def prepare_html(self, message: MessageRecord, html: str) -> str:
        """Rendered markdown as this document shows it: code in theme colours, copy links
        pointing at this message (model text cannot contain `href="`, it is escaped)."""
        html = html.replace(f'href="{COPY_CODE_PREFIX}', f'href="{COPY_CODE_PREFIX}{message.key}/')
        return self._color_code(self.labels.localise_code_html(html))

    def append_message(self, document: QTextDocument, message: MessageRecord) -> None:
        colors = self.colors
        if message.role is not Role.ASSISTANT:
            cursor = QTextCursor(document)
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertFrame(bubble(colors.user_bubble, left_margin=48, top_margin=14))
            self._write_header(cursor, self.labels.you, message, (self.labels.edit, "edit"))
            if message.text or not message.attachments:
                cursor.insertBlock(QTextBlockFormat(), text_format(colors.text))
                cursor.insertText(message.text, text_format(colors.text))
            if message.attachments:
                self._write_attachments(cursor, message)
            return
        header = QTextBlockFormat()
        header.setTopMargin(14)
        cursor = new_block(document, header, QTextCharFormat())
        self._write_header(cursor, self.labels.assistant, message)
        message.header_end = marker(document, cursor.position())
        message.reasoning_end = marker(document, cursor.position())
        if message.reasoning:
            self.write_reasoning(message)
        if message.html:
            cursor.setPosition(message.reasoning_end.position())
            insert_html(cursor, self.prepare_html(message, message.html))
        if message.status is not MessageStatus.STREAMING:
            self.append_status_note(document, message)

    def insert_messages(
        self, document: QTextDocument, position: int, messages: Iterable[MessageRecord]
    ) -> None:
        """Insert messages at the end of a block in the middle of `document`: built in a scratch
        document by the same code as appended ones, then inserted as one fragment (one frame)."""
        scratch = QTextDocument()
        scratch.setDefaultStyleSheet(document.defaultStyleSheet())
        spare = QTextBlockFormat()
        spare.setProperty(SPARE_BLOCK, True)
        QTextCursor(scratch).insertBlock(spare)  # block 0 merges into the block at `position`
        batch = list(messages)
        self._resources = []
        try:
            for message in batch:
                self.append_message(scratch, message)
            resources = self._resources
        finally:
            self._resources = None
        for name, image in resources:  # a fragment carries no resources: the images go first
            self._add_image(document, name, image)
        _frame_all_but_block_0(scratch)
        cursor = QTextCursor(document)
        cursor.setPosition(position)
        cursor.insertFragment(QTextDocumentFragment(scratch))
        # Markers only where a region may be redrawn (the reasoning; an earlier message is never
        # the last answer): Qt moves every marker on each later insertion, and thousands of them
        # made each batch of a long conversation milliseconds slower.
        for message in batch:  # scratch position p is now position + p
            if message.reasoning and message.header_end is not None and message.reasoning_end is not None:
                message.header_end = marker(document, position + message.header_end.position())
                message.reasoning_end = marker(document, position + message.reasoning_end.position())
            else:
                message.header_end = message.reasoning_end = None

    def _write_attachments(self, cursor: QTextCursor, message: MessageRecord) -> None:
        """Images as thumbnails on one line, documents as one line each (an icon, the name, its
        pages); each opens in a viewer (`parley:open-attachment/<message key>/<index>`)."""
        document, colors = cursor.document(), self.colors
        thumbnails = [(i, self._thumbnail(message, i)) for i, a in enumerate(message.attachments) if a.image]
        shown = [(i, image) for i, image in thumbnails if not image.isNull()]
        block = QTextBlockFormat()
        block.setTopMargin(6)
        if shown:
            cursor.insertBlock(block, text_format(colors.text))
            for n, (index, image) in enumerate(shown):
                if n:
                    cursor.insertText("  ", text_format(colors.text))
                name = f"{ATTACHMENT_SCHEME}:{message.key}/{index}"
                self._add_image(document, name, image)
                picture = QTextImageFormat()
                picture.setName(name)
                picture.setWidth(image.width())
                picture.setHeight(image.height())
                picture.setAnchor(True)
                picture.setAnchorHref(f"{SCHEME}:open-attachment/{message.key}/{index}")
                picture.setToolTip(message.attachments[index].name)
                cursor.insertImage(picture)
        unseen = {i for i, image in thumbnails if image.isNull()}
        for index, attachment in enumerate(message.attachments):
            if attachment.image and index not in unseen:
                continue
            cursor.insertBlock(block, text_format(colors.text))
            kind = "image" if attachment.image else "document"
            icon = f"{ATTACHMENT_SCHEME}:icon/{kind}/{colors.link.lstrip('#')}"
            self._add_image(document, icon, self._icon(kind))
            href = f"{SCHEME}:open-attachment/{message.key}/{index}"
            symbol = QTextImageFormat()
            symbol.setName(icon)
            symbol.setWidth(_ICON_PX)
            symbol.setHeight(_ICON_PX)
            symbol.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignMiddle)
            symbol.setAnchor(True)
            symbol.setAnchorHref(href)
            cursor.insertImage(symbol)
            cursor.insertText(" ", text_format(colors.text))
            cursor.insertText(attachment.name, text_format(colors.link, href=href))
            if attachment.pages:
                cursor.insertText(f" · {self.labels.pages(attachment.pages)}", text_format(colors.muted))

    def _add_image(self, document: QTextDocument, name: str, image: QImage) -> None:
        """Give `document` the image `name` as its own resource (never loaded from anywhere)."""
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
        if self._resources is not None:  # a scratch document: the real one needs it too
            self._resources.append((name, image))

    def _icon(self, kind: str) -> QImage:
        key = (kind, self.colors.link)
        image = self._icons.get(key)
        if image is None:
            pixmap = tinted_icon(kind, QColor(self.colors.link)).pixmap(_ICON_PX, _ICON_PX)
            image = self._icons[key] = pixmap.toImage()
        return image

    @staticmethod
    def _thumbnail(message: MessageRecord, index: int) -> QImage:
        image = message.thumbnails.get(index)
        if image is None:
            image = message.thumbnails[index] = thumbnail_image(message.attachments[index].thumbnail())
        return image

    def _write_header(
        self, cursor: QTextCursor, role: str, message: MessageRecord, *extra: tuple[str, str]
    ) -> None:
        muted, link = self.colors.muted, self.colors.link
        cursor.insertText(role, text_format(muted, bold=True))
        for label, action in ((self.labels.copy, "copy-message"), *extra):
            cursor.insertText(_SEPARATOR, text_format(muted))
            cursor.insertText(label, text_format(link, href=f"{SCHEME}:{action}/{message.key}"))

    def set_regenerate_link(self, message: MessageRecord, shown: bool) -> None:
        """Add or remove "Regenerate" at the end of an answer's header."""
        if message.header_end is None or message.reasoning_end is None:
            return
        document = message.header_end.document()
        end = message.header_end.position()
        if not shown:
            cut(document, end - len(_SEPARATOR + self.labels.regenerate), end)
            return
        no_reasoning = message.reasoning_end.position() == end
        cursor = QTextCursor(document)
        cursor.setPosition(end)
        cursor.insertText(_SEPARATOR, text_format(self.colors.muted))
        cursor.insertText(
            self.labels.regenerate, text_format(self.colors.link, href=f"{SCHEME}:regenerate/{message.key}")
        )
        message.header_end.setPosition(cursor.position())
        if no_reasoning:
            message.reasoning_end.setPosition(cursor.position())

    def append_status_note(self, document: QTextDocument, message: MessageRecord) -> None:
        note = self.labels.status_note(message.status)
        if note:
            char_format = text_format(self.colors.muted, italic=True)
            new_block(document, QTextBlockFormat(), char_format).insertText(note, char_format)

    def write_reasoning(self, message: MessageRecord) -> None:
        """Replace the reasoning region (summary link, and the text when open) after the header."""
        assert message.header_end is not None
        assert message.reasoning_end is not None
        end = message.reasoning_end
        muted = self.colors.muted
        cursor = cut(end.document(), message.header_end.position(), end.position())
        if message.reasoning:
            arrow = "▾" if message.reasoning_open else "▸"
            summary = f"{arrow} {self.labels.reasoning(len(message.reasoning.split()))}"
            cursor.insertBlock(QTextBlockFormat(), text_format(muted))
            cursor.insertText(summary, text_format(muted, href=f"{SCHEME}:toggle-reasoning/{message.key}"))
            if message.reasoning_open:
                body = QTextBlockFormat()
                body.setLeftMargin(14)
                cursor.insertBlock(body, text_format(muted))
                cursor.insertText(message.reasoning, text_format(muted))
        end.setPosition(cursor.position())

    def append_reasoning_text(self, message: MessageRecord, delta: str) -> None:
        """Grow an open reasoning section without redrawing it."""
        assert message.reasoning_end is not None
        cursor = QTextCursor(message.reasoning_end.document())
        cursor.setPosition(message.reasoning_end.position())
        cursor.insertText(delta, text_format(self.colors.muted))
        message.reasoning_end.setPosition(cursor.position())

    def write_earlier_link(self, document: QTextDocument, hidden: int) -> None:
        """Block 0 offers the earlier messages not shown yet (and is empty when there are none)."""
        cursor = QTextCursor(document)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        block_format = QTextBlockFormat()
        if not hidden:  # no blank line above a first bubble
            block_format.setLineHeight(0, QTextBlockFormat.LineHeightTypes.FixedHeight.value)
            cursor.setBlockFormat(block_format)
            return
        block_format.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        cursor.setBlockFormat(block_format)
        label = self.labels.earlier(hidden)
        cursor.insertText(label, text_format(self.colors.link, href=f"{SCHEME}:load-earlier/0"))

    def append_error(self, document: QTextDocument, line: str, retry_href: str | None) -> None:
        colors = self.colors
        cursor = QTextCursor(document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertFrame(bubble(colors.error_background, left_margin=0, top_margin=8))
        cursor.insertText(f"⚠ {line}", text_format(colors.error_text))
        if retry_href is not None:
            cursor.insertText(_SEPARATOR, text_format(colors.error_text))
            cursor.insertText(self.labels.retry, text_format(colors.link, href=retry_href))

    def append_notice(self, document: QTextDocument, text: str) -> None:
        block_format = QTextBlockFormat()
        block_format.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        block_format.setTopMargin(8)
        block_format.setBottomMargin(8)
        char_format = text_format(self.colors.muted, italic=True)
        new_block(document, block_format, char_format).insertText(text, char_format)


class LiveAnswer:
    """The answer being streamed: how much of its text the document shows, and the edits that
    show more. The tail is everything after the `tail` marker (the end of the last completed
    block); only it is ever replaced."""

    def __init__(
        self, message: MessageRecord, markdown: IncrementalMarkdown, writer: TranscriptWriter
    ) -> None:
        assert message.reasoning_end is not None
        self.message = message
        self.markdown = markdown
        self._writer = writer
        self._document = message.reasoning_end.document()
        self.tail = marker(self._document, message.reasoning_end.position())
        self.target = ""  # the latest text; the document may still be catching up with it
        self.shown = 0  # how much of `target` the document shows
        self.stepped_target = 0  # len(target) at the view's last step
        self.finish_status: MessageStatus | None = None  # applied once the document has caught up
        self.held_notices: list[str] = []

    def restart(self) -> None:
        """The message was written afresh (a rebuilt document): show the text from scratch."""
        assert self.message.reasoning_end is not None
        self._document = self.message.reasoning_end.document()
        self.tail = marker(self._document, self.message.reasoning_end.position())
        self.markdown.reset()
        self.shown = self.stepped_target = 0

    def advance(self, step: int | None) -> bool:
        """Show up to `step` more characters (all of them when None or when the rest fits);
        the tail only once caught up. Returns whether the document is caught up."""
        caught_up = step is None or len(self.target) - self.shown <= step
        text = self.target if caught_up or step is None else self.target[: self.shown + step]
        update = self.markdown.update(text, render_tail=caught_up, growing=self.finish_status is None)
        self.shown = len(text)
        if update.restarted:
            assert self.message.reasoning_end is not None
            self.tail.setPosition(self.message.reasoning_end.position())
        elif not update.tail_changed:
            return caught_up
        cursor = cut(self._document, self.tail.position(), end_position(self._document))
        if update.completed:
            insert_html(cursor, self._writer.prepare_html(self.message, "".join(update.completed)))
            self.tail.setPosition(cursor.position())
        insert_html(cursor, self._writer.prepare_html(self.message, update.tail))
        return caught_up

    def edit_reasoning(self, edit: Callable[[], None]) -> None:
        """Run an edit of this answer's reasoning. With no completed block yet, the answer starts
        right after the reasoning, so its tail moves along."""
        end = self.message.reasoning_end
        follows = end is not None and self.tail.position() == end.position()
        edit()
        if follows and end is not None:
            self.tail.setPosition(end.position())
