"""The conversation transcript: one read-only QTextBrowser document that a stream appends to cheaply.

Why one document with answers in its root frame: replacing the tail of a 30k-token answer costs
~2 ms when the answer sits in the root frame, ~7 ms inside a QTextFrame and ~250 ms inside a table
cell (Qt lays out the whole enclosing frame again). So answers live at the root; only user
messages and error lines (short, never edited) get a bubble frame. Finished messages go in once
from cached HTML; a streaming answer gets newly completed blocks appended and only its open tail
replaced (`IncrementalMarkdown`), at most once per frame (the coalescer's job). When text comes
faster than this machine renders it (a burst, a busy CPU), the view falls behind instead of
freezing: each frame takes only what fits in ~8 ms, completed blocks first, and the tail is
drawn once it has caught up. Qt imports HTML at
~3.5 ms per KB of markdown, so a long conversation shows its last messages first and inserts earlier
ones in small batches, one per frame, as the user scrolls towards the top (built in a scratch
document, inserted as one fragment). A finished answer's last frame is painted before the
bookkeeping that can wait (the Regenerate link, `answer_finished`): that runs right after the paint.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QGuiApplication,
    QPalette,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout, QWidget

from desktop_app.chat.frame_clock import FRAME_MS, FrameClock, Stage
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.ui.attachment_items import ShownAttachment
from desktop_app.ui.attachment_viewer import open_viewer
from desktop_app.ui.chat_document import (
    SCHEME,
    LiveAnswer,
    MessageRecord,
    TranscriptLine,
    TranscriptWriter,
    last_messages,
)
from desktop_app.ui.code_style import chat_colors, document_stylesheet
from desktop_app.ui.markdown import IncrementalMarkdown, MarkdownRenderer, is_safe_url
from desktop_app.ui.transcript_text import TranscriptText

_FOLLOW_SLACK_PX = 24  # "at the bottom" tolerance: a wheel notch away still follows
_FIRST_WINDOW_CHARS = 30_000  # markdown shown at once by set_messages (~150 ms of HTML import)
_BATCH_CHARS = 20_000  # markdown per batch of earlier messages asked for at once (link, search)
_SCROLL_BATCH_CHARS = 3_000  # per batch while the user scrolls up: it must fit in one frame
_PREFETCH_PAGES = 2  # earlier messages are inserted while the top is this many pages away
_FRAME_BUDGET_MS = 8.0  # rendering per frame while catching up with a burst
_MIN_STEP_CHARS = 1_500  # progress per frame however slow the measured rate


@dataclass(frozen=True, slots=True)
class ChatEntry:
    """One message to show. `text` is markdown (assistant) or plain text (user); `html` is the
    cached `render_message(text)` when the history has it; `message_id` is the history's id."""

    role: Role
    text: str
    html: str | None = None
    status: MessageStatus = MessageStatus.COMPLETE
    reasoning: str = ""
    message_id: int | None = None
    attachments: tuple[ShownAttachment, ...] = ()  # a user message's images and documents


class _Transcript(QTextBrowser):
    """A QTextBrowser that never loads a resource: no remote images, no local files."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.refused_resources = 0

    def loadResource(self, type: int, name: QUrl | str) -> Any:  # noqa: N802 - Qt's name
        self.refused_resources += 1
        return None


class ChatView(QWidget):
    """Shows one conversation and streams an answer into it without re-rendering what is done."""

    retry_requested = Signal()  # the Retry link of an error line shown without its own callback
    regenerate_requested = Signal()  # "Regenerate" on the last answer
    edit_requested = Signal(int, str)  # "Edit" on a user message: its history id (-1 if none), text
    # A streamed answer is complete in the document: its history id (-1 if none) and its HTML
    # (equal to `renderer.render_message(text)`), for the history's cache.
    answer_finished = Signal(int, str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        renderer: MarkdownRenderer | None = None,
        dark: bool = False,
        open_url: Callable[[QUrl], object] = QDesktopServices.openUrl,
        frames: FrameClock | None = None,
    ) -> None:
        super().__init__(parent)
        self._frames = frames if frames is not None else FrameClock(self)
        self.renderer = renderer or MarkdownRenderer()
        self._open_url = open_url
        self._dark = dark
        self._text = TranscriptText(self)
        self._writer = TranscriptWriter(dark, self._text.labels())
        self._keys = itertools.count(1)
        self._messages: dict[int, MessageRecord] = {}  # shown ones, by key
        self._items: list[MessageRecord | TranscriptLine] = []  # what the document shows, in order
        self._hidden: list[MessageRecord] = []  # earlier messages not inserted yet, oldest first
        self._retry: dict[int, Callable[[], None] | None] = {}
        self._stream: LiveAnswer | None = None
        self._last_answer: MessageRecord | None = None  # carries the "Regenerate" link
        self._follow = True
        self._scrolling = False
        self.browser = _Transcript(self)
        self.browser.setOpenLinks(False)
        self.browser.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.browser.anchorClicked.connect(self._on_anchor)
        self._doc = self.browser.document()
        self._doc.setUndoRedoEnabled(False)  # an undo stack would keep every replaced tail
        self._doc.setDocumentMargin(14)
        self._doc.setIndentWidth(22)  # Qt's 40 px per list level wastes a narrow window
        bar = self.browser.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_scrolled)
        self._load_timer = QTimer(self)  # the next batch of earlier messages, one per frame
        self._load_timer.setSingleShot(True)
        self._load_timer.timeout.connect(self._load_while_scrolling)
        self._batch_chars = _BATCH_CHARS
        self._finished: MessageRecord | None = None  # an answer shown complete, not yet announced
        self._last_streamed_chars = 0
        self._chars_per_ms = _MIN_STEP_CHARS / _FRAME_BUDGET_MS  # measured as answers render
        self.viewer: QDialog | None = None  # the attachment viewer opened last (tests look)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self._apply_theme()

    # ----- conversation -----------------------------------------------------------------------

    def set_messages(self, entries: Sequence[ChatEntry]) -> None:
        """Replace the conversation. The last messages are shown now, earlier ones on scrolling up."""
        messages = [
            self._record(e.role, e.text, e.message_id, e.status, e.html, e.reasoning, e.attachments)
            for e in entries
        ]
        self._announce_finished()
        self._stream, self._last_answer = None, None
        self._last_streamed_chars = 0
        self._retry.clear()
        self._doc.clear()
        shown = last_messages(messages, _FIRST_WINDOW_CHARS)
        self._messages = {m.key: m for m in shown}
        self._items = list(shown)
        self._hidden = messages[: len(messages) - len(shown)]
        self._writer.write_earlier_link(self._doc, len(self._hidden))
        for message in shown:
            self._writer.append_message(self._doc, self._with_html(message))
        if shown and shown[-1].role is Role.ASSISTANT:
            self._set_last_answer(shown[-1])
        self._follow = True
        self._scroll_to(self.browser.verticalScrollBar().maximum())

    def append_user_message(
        self, text: str, message_id: int | None = None, attachments: tuple[ShownAttachment, ...] = ()
    ) -> None:
        self._finish_active(MessageStatus.STOPPED)
        self._announce_finished()
        self._last_streamed_chars = 0
        self._set_last_answer(None)
        message = self._record(
            Role.USER, text, message_id, MessageStatus.COMPLETE, html="", attachments=attachments
        )
        self._messages[message.key] = message
        self._items.append(message)
        self._writer.append_message(self._doc, message)

    def begin_assistant_message(self, message_id: int | None = None) -> None:
        self._finish_active(MessageStatus.STOPPED)
        self._announce_finished()
        self._set_last_answer(None)
        message = self._record(Role.ASSISTANT, "", message_id, MessageStatus.STREAMING, html="")
        self._messages[message.key] = message
        self._items.append(message)
        self._writer.append_message(self._doc, message)
        self._stream = LiveAnswer(message, IncrementalMarkdown(self.renderer), self._writer)
        self._last_streamed_chars = 0

    def update_streaming(self, text: str) -> None:
        """Show the answer so far: append newly completed blocks, replace only the open tail."""
        stream = self._stream
        if stream is None or stream.finish_status is not None:
            return
        stream.target = stream.message.text = text
        if self._frames.in_frame(Stage.PRODUCE):
            self._frames.request(self._advance)  # in this frame's render stage, once
        else:
            self._advance()

    def update_reasoning(self, text: str) -> None:
        """Show the reasoning so far, collapsed above the answer unless the user opened it."""
        stream = self._stream
        if stream is None or text == stream.message.reasoning:
            return
        message, old = stream.message, stream.message.reasoning
        message.reasoning = text
        if old and message.reasoning_open and text.startswith(old):
            self._edit_reasoning(
                message, lambda: self._writer.append_reasoning_text(message, text[len(old) :])
            )
        else:
            self._edit_reasoning(message, lambda: self._writer.write_reasoning(message))

    def finish_streaming(self, status: MessageStatus = MessageStatus.COMPLETE) -> None:
        """End the answer. `answer_finished` follows once the document shows all of it (right
        after that frame's paint, unless the view is still catching up with a burst)."""
        stream = self._stream
        if stream is not None and stream.finish_status is None:
            stream.finish_status = status
            self._advance()

    def show_error(
        self, line: str, retry: Callable[[], None] | None = None, *, retryable: bool = True
    ) -> None:
        """An inline error line with a Retry link: calls `retry`, else emits `retry_requested`; once."""
        self._finish_active(MessageStatus.ERROR)
        self._announce_finished()
        key = next(self._keys) if retryable else None
        if key is not None:
            self._retry[key] = retry
        error_line = TranscriptLine(line, error=True, retry_key=key)
        self._items.append(error_line)
        self._write_line(error_line)

    def show_notice(self, text: str) -> None:
        """A muted, centred line such as "Older messages were left out of the request"."""
        if self._stream is not None:
            self._stream.held_notices.append(text)  # never interleave with a growing answer
        else:
            notice = TranscriptLine(text, error=False)
            self._items.append(notice)
            self._write_line(notice)

    def load_earlier(self) -> None:
        """Insert the next batch of earlier messages above, keeping what the user sees in place."""
        self._load_timer.stop()
        if not self._hidden:
            return
        batch = last_messages(self._hidden, self._batch_chars)
        del self._hidden[len(self._hidden) - len(batch) :]
        first_shown = self._doc.firstBlock().next()
        offset = self.browser.verticalScrollBar().value() - self._block_top(first_shown.position())
        # After the "earlier messages" line, which stays block 0.
        link_end = self._doc.firstBlock().length() - 1
        # One edit block: Qt re-scans the document's frames and moves everything below an edit
        # at the top once per edit (~7 ms in a long conversation), not once per insertion.
        edit = QTextCursor(self._doc)
        edit.beginEditBlock()
        self._writer.insert_messages(self._doc, link_end, map(self._with_html, batch))
        self._messages.update((m.key, m) for m in batch)
        self._items[:0] = batch
        self._writer.write_earlier_link(self._doc, len(self._hidden))
        edit.endEditBlock()
        self._scroll_to(self._block_top(first_shown.position()) + offset)
        self._prefetch_earlier(FRAME_MS)  # still near the top: the next batch in the next frame

    def use_frame_clock(self, frames: FrameClock) -> None:
        """Show streams on `frames` (the workspace's clock, shared with the controllers), so the
        text handed on in a frame is rendered in that same frame."""
        if frames is not self._frames:
            self._frames.settle()
            self._frames.cancel(self._advance)
            self._frames = frames
            if self._stream is not None:
                self._advance()

    # ----- appearance -------------------------------------------------------------------------

    def set_dark(self, dark: bool) -> None:
        """Switch palettes; the document is rebuilt because Qt applies CSS while importing HTML."""
        if dark != self._dark:
            self._dark = dark
            self._apply_theme()
            self._rebuild()

    def retranslate(self) -> None:
        """The transcript's own words in the UI's language now (the messages stay as written)."""
        labels = self._text.labels()
        if labels != self._writer.labels:
            self._writer.labels = labels
            self._rebuild()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_font_point_size(self, points: float) -> None:
        font = QFont(self.browser.font())
        font.setPointSizeF(points)
        self.browser.setFont(font)
        self._doc.setDefaultFont(font)

    # ----- state, for the window and tests ----------------------------------------------------

    def is_following(self) -> bool:
        return self._follow

    def hidden_message_count(self) -> int:
        return len(self._hidden)

    def find_first(self, word: str) -> bool:
        """Select the first place of `word` (loading earlier messages until it shows up)."""
        for _ in range(1000):  # bounded: each round inserts a batch of earlier messages
            cursor = self._doc.find(word, 0, QTextDocument.FindFlag(0))
            if not cursor.isNull():
                self.browser.setTextCursor(cursor)
                self.browser.ensureCursorVisible()
                return True
            if not self._hidden:
                return False
            self.load_earlier()
        return False

    def streaming_markdown(self) -> IncrementalMarkdown | None:
        return self._stream.markdown if self._stream is not None else None

    def shown_chars(self) -> int:
        """Characters of the latest streamed answer the document shows: while it streams, how far
        the view has caught up with the text it was given; once finished, all of it (0 again
        after a new question or conversation)."""
        return self._stream.shown if self._stream is not None else self._last_streamed_chars

    # ----- internals --------------------------------------------------------------------------

    def _record(
        self,
        role: Role,
        text: str,
        entry_id: int | None,
        status: MessageStatus,
        html: str | None = None,
        reasoning: str = "",
        attachments: tuple[ShownAttachment, ...] = (),
    ) -> MessageRecord:
        return MessageRecord(
            next(self._keys), entry_id, role, text, html, status, reasoning, attachments=attachments
        )

    def _with_html(self, message: MessageRecord) -> MessageRecord:
        """Render an answer the history had no cached HTML for, when it is about to be shown."""
        if message.html is None and message.role is Role.ASSISTANT:
            message.html = self.renderer.render_message(message.text)
        return message

    def _edit_reasoning(self, message: MessageRecord, edit: Callable[[], None]) -> None:
        if self._stream is not None and self._stream.message is message:
            self._stream.edit_reasoning(edit)
        else:
            edit()

    def _set_last_answer(self, message: MessageRecord | None) -> None:
        if self._last_answer is not None:
            self._writer.set_regenerate_link(self._last_answer, shown=False)
        self._last_answer = message
        if message is not None:
            self._writer.set_regenerate_link(message, shown=True)

    def _write_line(self, line: TranscriptLine) -> None:
        if not line.error:
            self._writer.append_notice(self._doc, line.text)
        else:  # a used Retry is not offered again
            live = line.retry_key is not None and line.retry_key in self._retry
            href = f"{SCHEME}:retry/{line.retry_key}" if live else None
            self._writer.append_error(self._doc, line.text, href)

    def _finish_active(self, status: MessageStatus) -> None:
        """Something else comes next: end a live answer and show all of it now."""
        stream = self._stream
        if stream is not None:
            stream.finish_status = stream.finish_status or status
            self._advance(all_of_it=True)

    def _advance(self, *, all_of_it: bool = False) -> None:
        """Bring the document closer to the stream's text: all of it when that fits in a frame's
        budget, else the next step without the tail (tried again next frame)."""
        stream = self._stream
        if stream is None:
            return
        self._frames.cancel(self._advance)
        step = None if all_of_it else self._step(stream)
        shown_before, started = stream.shown, time.perf_counter()
        with self._one_scroll():
            caught_up = stream.advance(step)
        elapsed_ms, new_chars = (time.perf_counter() - started) * 1000, stream.shown - shown_before
        if new_chars > 200 and elapsed_ms > 0.5:
            self._chars_per_ms = 0.7 * self._chars_per_ms + 0.3 * new_chars / elapsed_ms
        if not caught_up:
            self._frames.request(self._advance)  # the next step in the next frame
        elif stream.finish_status is not None:
            self._complete(stream)

    def _step(self, stream: LiveAnswer) -> int:
        """How much to show in this frame: what fits the frame's budget at the measured rendering
        rate, and at least what arrived since the last step (up to twice that), so a fast stream
        never leaves the view further behind — its last frame comes right after its last chunk."""
        budget = max(_MIN_STEP_CHARS, int(self._chars_per_ms * _FRAME_BUDGET_MS))
        arrived, stream.stepped_target = len(stream.target) - stream.stepped_target, len(stream.target)
        return max(budget, min(arrived, 2 * budget))

    def _complete(self, stream: LiveAnswer) -> None:
        """The document shows all of the answer. What the user does not need to see in this
        frame (the Regenerate link, the HTML for the history's cache) follows after its paint."""
        self._stream = None
        self._last_streamed_chars = stream.shown
        message = stream.message
        message.status = stream.finish_status or MessageStatus.COMPLETE
        message.html = stream.markdown.html
        self._writer.append_status_note(self._doc, message)
        for notice in stream.held_notices:
            self.show_notice(notice)
        self._announce_finished()  # an earlier answer's announcement comes first
        self._finished = message
        self._frames.after_paint(self._announce_finished)

    def _announce_finished(self) -> None:
        """Give the finished answer its Regenerate link and emit `answer_finished` (after the
        paint; at once when anything else is about to change the transcript)."""
        message, self._finished = self._finished, None
        self._frames.cancel(self._announce_finished)
        if message is None:
            return
        self._set_last_answer(message)
        assert message.html is not None
        self.answer_finished.emit(-1 if message.entry_id is None else message.entry_id, message.html)

    def _rebuild(self) -> None:
        """Re-create the document from the messages (theme or language change); a live stream
        carries on."""
        self._announce_finished()
        stream, self._stream = self._stream, None
        last_answer, self._last_answer = self._last_answer, None
        self._doc.clear()
        self._writer.write_earlier_link(self._doc, len(self._hidden))
        for message in self._items:
            if isinstance(message, TranscriptLine):
                self._write_line(message)
                continue
            self._writer.append_message(self._doc, message)
            if stream is not None and message is stream.message:
                stream.restart()
                self._stream = stream
                self._advance()
        self._set_last_answer(last_answer)

    def _apply_theme(self) -> None:
        colors = chat_colors(self._dark)
        self._writer.set_theme(self._dark)
        palette = self.browser.palette()
        palette.setColor(QPalette.ColorRole.Base, QColor(colors.background))
        palette.setColor(QPalette.ColorRole.Text, QColor(colors.text))
        palette.setColor(QPalette.ColorRole.Link, QColor(colors.link))
        self.browser.setPalette(palette)
        self._doc.setDefaultStyleSheet(document_stylesheet(self._dark))

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == SCHEME:
            action, *args = url.path().split("/")
            self._on_action(action, [int(a) for a in args if a.isdigit()])
        elif is_safe_url(url.toString()):
            self._open_url(url)

    def _on_action(self, action: str, args: list[int]) -> None:
        message = self._messages.get(args[0]) if args else None
        if action == "copy-message" and message is not None:
            QGuiApplication.clipboard().setText(message.text)
        elif action == "copy-code" and message is not None and len(args) == 2:
            blocks = self.renderer.code_blocks(message.text)
            if args[1] < len(blocks):
                QGuiApplication.clipboard().setText(blocks[args[1]])
        elif action == "toggle-reasoning" and message is not None:
            message.reasoning_open = not message.reasoning_open
            self._edit_reasoning(message, lambda: self._writer.write_reasoning(message))
        elif action == "edit" and message is not None:
            self.edit_requested.emit(-1 if message.entry_id is None else message.entry_id, message.text)
        elif action == "regenerate":
            self.regenerate_requested.emit()
        elif action == "load-earlier":
            self.load_earlier()
        elif action == "open-attachment" and message is not None and len(args) == 2:
            self.open_attachment(message.key, args[1])
        elif action == "retry" and args and args[0] in self._retry:
            callback = self._retry.pop(args[0])
            if callback is not None:
                callback()
            else:
                self.retry_requested.emit()

    def open_attachment(self, message_key: int, index: int) -> QDialog | None:
        """Show a sent message's attachment in a viewer: an image at full size, a document's
        extracted text (a line in the transcript when the history cannot give it)."""
        message = self._messages.get(message_key)
        if message is None or not 0 <= index < len(message.attachments):
            return None
        part = message.attachments[index].part()
        if part is None:
            self.show_notice(self._writer.labels.unreadable_attachment)
            return None
        self.viewer = open_viewer(part, self)
        return self.viewer

    def attachment_links(self) -> list[str]:
        """The `open-attachment` links the transcript shows, in order (for tests and checks)."""
        links: list[str] = []
        block = self._doc.begin()
        while block.isValid():
            iterator = block.begin()
            while not iterator.atEnd():
                href = iterator.fragment().charFormat().anchorHref()
                if href.startswith(f"{SCHEME}:open-attachment/") and (not links or links[-1] != href):
                    links.append(href)
                iterator += 1
            block = block.next()
        return links

    def _block_top(self, position: int) -> int:
        """The y of the block at `position` (lays the document out that far)."""
        block = self._doc.findBlock(position)
        return round(self._doc.documentLayout().blockBoundingRect(block).top())

    @contextlib.contextmanager
    def _one_scroll(self) -> Iterator[None]:
        """Edits shrink and grow the scroll range several times; follow the bottom once, after."""
        self._scrolling = True
        try:
            yield
        finally:
            self._scrolling = False
        if self._follow:
            self._scroll_to(self.browser.verticalScrollBar().maximum())

    def _on_scrolled(self, value: int) -> None:
        if self._scrolling:
            return
        bar = self.browser.verticalScrollBar()
        self._follow = value >= bar.maximum() - _FOLLOW_SLACK_PX
        self._prefetch_earlier(0)  # not from inside the scroll signal: after this frame's paint

    def _load_while_scrolling(self) -> None:
        """`load_earlier` with a batch small enough to leave the frame time to paint."""
        self._batch_chars = _SCROLL_BATCH_CHARS
        try:
            self.load_earlier()
        finally:
            self._batch_chars = _BATCH_CHARS

    def _prefetch_earlier(self, delay_ms: int) -> None:
        """Insert the next batch of earlier messages in `delay_ms` while the top is near, so a
        user scrolling up finds them there instead of waiting for one big batch at the top."""
        bar = self.browser.verticalScrollBar()
        near_top = bar.value() < bar.pageStep() * _PREFETCH_PAGES
        if self._hidden and near_top and not self._load_timer.isActive():
            self._load_timer.start(delay_ms)

    def _on_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow and not self._scrolling:
            self._scroll_to(maximum)

    def _scroll_to(self, value: int) -> None:
        self._scrolling = True
        try:
            self.browser.verticalScrollBar().setValue(value)
        finally:
            self._scrolling = False
