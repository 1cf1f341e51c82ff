"""ChatView: streaming without re-rendering, safe links and images, copy buttons, following the
bottom, reasoning, errors and long histories. Links are clicked with the mouse, as a user would."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QElapsedTimer, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QGuiApplication, QTextCursor, QTextDocument
from pytestqt.qtbot import QtBot

from desktop_app.chat.coalescer import StreamCoalescer
from desktop_app.chat.frame_clock import FrameClock
from desktop_app.core.messages import MessageStatus, Role
from desktop_app.ui.chat_view import ChatEntry, ChatView
from desktop_app.ui.markdown import MarkdownRenderer
from tests.unit.test_markdown import ANSWER

WAIT_MS = 15_000  # a limit for event waits, generous for a busy machine
RATE = 20_000  # tokens per second: four times the fastest hosted API


@pytest.fixture(scope="module")
def renderer() -> MarkdownRenderer:
    return MarkdownRenderer()


@pytest.fixture
def opened() -> list[str]:
    return []


@pytest.fixture
def view(qtbot: QtBot, renderer: MarkdownRenderer, opened: list[str]) -> ChatView:
    chat = ChatView(renderer=renderer, open_url=lambda url: opened.append(url.toString()))
    qtbot.addWidget(chat)
    chat.resize(820, 600)
    chat.show()
    qtbot.waitExposed(chat)
    return chat


class LagProbe:
    """Lateness of a 5 ms timer: how long the event loop was unable to run it."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.lags: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)
        self._last = 0

    def start(self) -> None:
        self.clock.start()
        self._timer.start()

    def stop(self) -> int:
        self._timer.stop()
        return self.clock.elapsed()

    def p90(self) -> float:
        assert len(self.lags) >= 10
        return sorted(self.lags)[int(len(self.lags) * 0.9)]

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.lags.append((now - self._last) / 1e6 - 5)
        self._last = now


def fragments(doc: QTextDocument) -> Iterator[tuple[int, str, str]]:
    """(position, text, anchor href) of every text fragment, tables and frames included."""
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            yield fragment.position(), fragment.text(), fragment.charFormat().anchorHref()
            it += 1
        block = block.next()


def hrefs(view: ChatView) -> list[str]:
    return [href for _, _, href in fragments(view.browser.document()) if href]


def click_link(qtbot: QtBot, view: ChatView, href_pattern: str, which: int = 0) -> None:
    """Scroll a link matching `href_pattern` (the first, or `which`) into view and click it."""
    doc = view.browser.document()
    matches = [p for p, _, href in fragments(doc) if href and re.fullmatch(href_pattern, href)]
    position = matches[which]
    cursor = QTextCursor(doc)
    cursor.setPosition(position)
    view.browser.setTextCursor(cursor)
    view.browser.ensureCursorVisible()
    left = view.browser.cursorRect(cursor)
    cursor.setPosition(position + 1)
    right = view.browser.cursorRect(cursor)
    point = QPoint((left.left() + right.left()) // 2, left.center().y())
    qtbot.mouseClick(view.browser.viewport(), Qt.MouseButton.LeftButton, pos=point)


def normalized_html(view: ChatView) -> str:
    """The document as HTML, with the view's own message numbers taken out."""
    return re.sub(r"parley:([a-z-]+)/\d+", r"parley:\1/N", view.browser.document().toHtml())


def finish(qtbot: QtBot, view: ChatView, status: MessageStatus = MessageStatus.COMPLETE) -> str:
    """Finish the answer and return the HTML `answer_finished` reports once it is all shown."""
    with qtbot.waitSignal(view.answer_finished, timeout=WAIT_MS) as finished:
        view.finish_streaming(status)
    return str(finished.args[1])


def stream(qtbot: QtBot, view: ChatView, text: str, seed: int = 5, largest: int = 40) -> str:
    rng = random.Random(seed)
    view.begin_assistant_message()
    position = 0
    while position < len(text):
        position = min(len(text), position + rng.randint(1, largest))
        view.update_streaming(text[:position])
    return finish(qtbot, view)


# ----- streaming --------------------------------------------------------------------------------


def test_streaming_builds_the_same_document_as_the_finished_message(
    qtbot: QtBot, view: ChatView, renderer: MarkdownRenderer
) -> None:
    view.append_user_message("Как стримить ответы?")
    html = stream(qtbot, view, ANSWER)
    assert html == renderer.render_message(ANSWER)

    loaded = ChatView(renderer=renderer)
    qtbot.addWidget(loaded)
    loaded.resize(820, 600)
    loaded.set_messages(
        [ChatEntry(Role.USER, "Как стримить ответы?"), ChatEntry(Role.ASSISTANT, ANSWER, html)]
    )
    assert normalized_html(view) == normalized_html(loaded)
    assert "Последний абзац without a trailing newline" in view.browser.toPlainText()


def test_a_30k_token_answer_at_high_rate_renders_each_block_once_and_keeps_the_loop_responsive(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, view: ChatView, renderer: MarkdownRenderer
) -> None:
    text = (ANSWER + "\n\n") * 60  # ~130k characters, ~30k tokens, ~800 top-level blocks
    tokens = [text[i : i + 4] for i in range(0, len(text), 4)]
    coalescer = StreamCoalescer()
    view.begin_assistant_message()
    markdown = view.streaming_markdown()
    assert markdown is not None
    largest_tail = 0

    def on_update(answer: str, _reasoning: str) -> None:
        nonlocal largest_tail
        view.update_streaming(answer)
        largest_tail = max(largest_tail, markdown.tail_chars)

    coalescer.updated.connect(on_update)
    probe = LagProbe()

    async def produce() -> None:
        sent = 0
        while sent < len(tokens):  # paced at RATE; each pass ends before the next is due
            due = min(len(tokens), probe.clock.elapsed() * RATE // 1000 + 1)
            for token in tokens[sent:due]:
                coalescer.add_text(token)
            sent = max(sent, due)
            await asyncio.sleep(0.002)  # pacing a synthetic provider, not waiting for anything
        coalescer.finish()

    probe.start()
    task = qloop.create_task(produce())
    qtbot.waitUntil(task.done, timeout=30_000)
    task.result()
    html = finish(qtbot, view)
    elapsed_ms = probe.stop()

    top_level = [t for t in renderer.parse(text, {}) if t.level == 0 and t.nesting >= 0]
    assert markdown.completed_blocks >= len(top_level) - 2
    assert markdown.blocks_rendered == markdown.completed_blocks  # every block rendered once
    # At most one tail render per frame: per update from the coalescer (itself at most one per
    # frame), per catch-up frame (when the view had fallen behind) and the final one.
    assert coalescer.emissions <= 2 + elapsed_ms // 16
    assert markdown.tail_renders <= coalescer.emissions + 2 + elapsed_ms // 16
    assert largest_tail < 2_000  # only the open block is ever re-rendered, never the answer
    assert html == renderer.render_message(text)
    # Structure is what matters above; this bound only catches a return to whole re-renders
    # (which lag by seconds at this length), with ample room for a busy 2-core machine.
    assert probe.p90() < 200


def test_a_whole_answer_at_once_is_shown_over_several_frames(
    qtbot: QtBot, view: ChatView, renderer: MarkdownRenderer
) -> None:
    text = (ANSWER + "\n\n") * 50  # ~110k characters arriving in one piece
    view.begin_assistant_message()
    markdown = view.streaming_markdown()
    assert markdown is not None
    probe = LagProbe()
    probe.start()
    view.update_streaming(text)
    assert markdown.committed_chars + markdown.tail_chars < len(text) // 4  # not all in one frame
    with qtbot.waitSignal(view.answer_finished, timeout=30_000) as finished:
        view.finish_streaming()
    probe.stop()
    assert finished.args[1] == renderer.render_message(text)
    assert markdown.blocks_rendered == markdown.completed_blocks
    assert view.browser.toPlainText().endswith("Последний абзац without a trailing newline")
    assert probe.p90() < 200  # generous: one frame of catching up costs ~8 ms


def test_on_one_clock_each_frame_renders_once_in_the_frame_the_text_was_handed_on(
    qtbot: QtBot, view: ChatView, renderer: MarkdownRenderer
) -> None:
    clock = FrameClock()
    view.use_frame_clock(clock)
    coalescer = StreamCoalescer(frames=clock)
    coalescer.updated.connect(lambda text, _reasoning: view.update_streaming(text))
    view.begin_assistant_message()
    markdown = view.streaming_markdown()
    assert markdown is not None

    coalescer.add_text("Hello **wor")
    coalescer.add_text("ld**")
    qtbot.waitUntil(clock.is_idle, timeout=WAIT_MS)

    assert clock.frames == 1  # handed on and rendered in the same frame, not a frame later
    assert view.shown_chars() == len("Hello **world**")

    # A burst larger than a frame's budget: the view catches up a step per frame, and the text
    # arriving meanwhile joins the frame's one render instead of adding a second one.
    burst = (ANSWER + "\n\n") * 40
    coalescer.add_text(burst)
    frames_before, renders_before = clock.frames, markdown.tail_renders
    qtbot.waitUntil(lambda: clock.frames >= frames_before + 2, timeout=WAIT_MS)
    coalescer.add_text("Tail.")
    qtbot.waitUntil(clock.is_idle, timeout=30_000)
    total = len("Hello **world**") + len(burst) + len("Tail.")
    assert view.shown_chars() == total
    assert markdown.tail_renders - renders_before <= clock.frames - frames_before
    assert markdown.blocks_rendered == markdown.completed_blocks  # every block rendered once
    with qtbot.waitSignal(view.answer_finished, timeout=WAIT_MS) as finished:
        coalescer.finish()
        view.finish_streaming()
    assert finished.args[1] == renderer.render_message("Hello **world**" + burst + "Tail.")


# ----- model output is data ---------------------------------------------------------------------


def test_model_html_is_text_and_images_are_never_loaded(qtbot: QtBot, view: ChatView) -> None:
    answer = (
        "Look: <script>alert(1)</script> and <img src=x onerror=alert(1)>\n\n"
        "![diagram](http://127.0.0.1:9/diagram.png)\n\n"
        '<img src="http://127.0.0.1:9/raw.png">\n'
    )
    stream(qtbot, view, answer)
    doc = view.browser.document()
    plain = view.browser.toPlainText()
    assert "<script>alert(1)</script>" in plain
    assert "<img src=x onerror=alert(1)>" in plain
    assert "http://127.0.0.1:9/diagram.png" in hrefs(view)  # the image became a link
    view.browser.viewport().repaint()
    assert view.browser.refused_resources == 0  # nothing was ever asked for

    # The counter above does notice a real image: insert one behind markdown's back.
    cursor = QTextCursor(doc)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertHtml('<img src="http://127.0.0.1:9/sneaky.png">')
    view.browser.viewport().repaint()
    assert view.browser.refused_resources > 0


def test_only_http_links_are_anchors_and_only_they_open(
    qtbot: QtBot, view: ChatView, opened: list[str]
) -> None:
    stream(
        qtbot,
        view,
        "[ok](https://example.com/ok) [js](javascript:alert(1)) [file](file:///etc/passwd) <ftp://x.org>",
    )
    external = [h for h in hrefs(view) if not h.startswith("parley:")]
    assert external == ["https://example.com/ok"]
    click_link(qtbot, view, re.escape("https://example.com/ok"))
    assert opened == ["https://example.com/ok"]
    for url in ("file:///etc/passwd", "javascript:alert(1)", "ftp://x.org/"):
        view.browser.anchorClicked.emit(QUrl(url))
    assert opened == ["https://example.com/ok"]


# ----- copy, edit, regenerate, retry ------------------------------------------------------------


def test_copy_links_put_the_raw_code_and_markdown_on_the_clipboard(qtbot: QtBot, view: ChatView) -> None:
    answer = "Two blocks:\n\n```python\nprint('one')\n```\n\n- item\n\n  ```sh\n  echo two && ls\n  ```\n"
    view.set_messages([ChatEntry(Role.USER, "show code"), ChatEntry(Role.ASSISTANT, answer)])
    clipboard = QGuiApplication.clipboard()
    click_link(qtbot, view, r"parley:copy-code/\d+/1")
    assert clipboard.text() == "echo two && ls"
    click_link(qtbot, view, r"parley:copy-code/\d+/0")
    assert clipboard.text() == "print('one')"
    copies = [h for h in hrefs(view) if h.startswith("parley:copy-message/")]
    click_link(qtbot, view, re.escape(copies[1]))
    assert clipboard.text() == answer
    click_link(qtbot, view, re.escape(copies[0]))
    assert clipboard.text() == "show code"


def test_edit_and_regenerate_links(qtbot: QtBot, view: ChatView) -> None:
    view.set_messages([ChatEntry(Role.USER, "first", message_id=7), ChatEntry(Role.ASSISTANT, "answer")])
    assert len([h for h in hrefs(view) if h.startswith("parley:regenerate/")]) == 1
    with qtbot.waitSignal(view.edit_requested, timeout=WAIT_MS) as edit:
        click_link(qtbot, view, r"parley:edit/\d+")
    assert edit.args == [7, "first"]
    with qtbot.waitSignal(view.regenerate_requested, timeout=WAIT_MS):
        click_link(qtbot, view, r"parley:regenerate/\d+")
    view.append_user_message("second")
    assert not [h for h in hrefs(view) if h.startswith("parley:regenerate/")]
    stream(qtbot, view, "second answer")
    assert len([h for h in hrefs(view) if h.startswith("parley:regenerate/")]) == 1
    assert view.browser.toPlainText().endswith("second answer")


def test_error_line_retry_runs_once(qtbot: QtBot, view: ChatView) -> None:
    calls: list[int] = []
    view.begin_assistant_message()
    view.update_streaming("partial answer")
    view.show_error("Yqcloud: HTTP 500 Internal Server Error", lambda: calls.append(1))
    plain = view.browser.toPlainText()
    assert "partial answer" in plain
    assert "The answer ended with an error." in plain
    assert "⚠ Yqcloud: HTTP 500 Internal Server Error" in plain
    click_link(qtbot, view, r"parley:retry/\d+")
    click_link(qtbot, view, r"parley:retry/\d+")
    assert calls == [1]
    view.show_error("Connection refused")
    with qtbot.waitSignal(view.retry_requested, timeout=WAIT_MS):
        click_link(qtbot, view, r"parley:retry/\d+", which=-1)


def test_notices_wait_for_a_streaming_answer(qtbot: QtBot, view: ChatView) -> None:
    view.show_notice("Older messages were left out.")
    view.begin_assistant_message()
    view.update_streaming("growing")
    view.show_notice("Shown after the answer.")
    view.update_streaming("growing answer")
    finish(qtbot, view, MessageStatus.STOPPED)
    plain = view.browser.toPlainText()
    assert plain.index("Older messages") < plain.index("growing answer") < plain.index("Stopped.")
    assert plain.index("Stopped.") < plain.index("Shown after the answer.")


# ----- reasoning --------------------------------------------------------------------------------


def test_reasoning_is_collapsed_above_the_answer_and_expands(qtbot: QtBot, view: ChatView) -> None:
    view.begin_assistant_message()
    view.update_reasoning("Думаю: step one")
    view.update_streaming("# Answer\n\nwith **text**")
    plain = view.browser.toPlainText()
    assert "▸ Reasoning (3 words)" in plain
    assert "step one" not in plain
    click_link(qtbot, view, r"parley:toggle-reasoning/\d+")
    view.update_reasoning("Думаю: step one, step two")
    view.update_streaming("# Answer\n\nwith **text** and more")
    plain = view.browser.toPlainText()
    assert "▾ Reasoning" in plain
    assert plain.index("step two") < plain.index("Answer") < plain.index("with text and more")
    click_link(qtbot, view, r"parley:toggle-reasoning/\d+")
    assert "step two" not in view.browser.toPlainText()
    html = finish(qtbot, view)
    assert view.browser.toPlainText().endswith("with text and more")
    assert "step" not in html  # reasoning is never part of the answer's HTML


def test_reasoning_arriving_first_keeps_the_answer_after_it(view: ChatView) -> None:
    view.begin_assistant_message()
    view.update_streaming("Answer starts")
    view.update_reasoning("late thoughts")
    view.update_streaming("Answer starts and goes on")
    plain = view.browser.toPlainText()
    assert plain.index("Reasoning") < plain.index("Answer starts and goes on")
    assert plain.count("Answer starts") == 1


# ----- scrolling, long histories, appearance -----------------------------------------------------


def test_the_view_follows_the_bottom_only_while_the_user_is_there(qtbot: QtBot, view: ChatView) -> None:
    bar = view.browser.verticalScrollBar()
    paragraphs = [f"Paragraph {i}: " + "слово word " * 30 for i in range(200)]
    view.begin_assistant_message()
    view.update_streaming("\n\n".join(paragraphs[:60]))
    # Qt lays a long document out in pieces: wait until the range is more than a page (a busy
    # machine once gave a range of a few pixels here, within the "at the bottom" slack).
    qtbot.waitUntil(lambda: bar.maximum() > bar.pageStep() and bar.value() == bar.maximum(), timeout=WAIT_MS)

    bar.setValue(0)  # the user scrolls up to read
    assert not view.is_following()
    grown_from = bar.maximum()
    view.update_streaming("\n\n".join(paragraphs[:120]))
    qtbot.waitUntil(lambda: bar.maximum() > grown_from, timeout=WAIT_MS)
    assert bar.value() == 0

    bar.setValue(bar.maximum())  # back at the bottom: follow again
    assert view.is_following()
    grown_from = bar.maximum()
    view.update_streaming("\n\n".join(paragraphs))
    qtbot.waitUntil(lambda: bar.maximum() > grown_from and bar.value() == bar.maximum(), timeout=WAIT_MS)


def test_a_long_history_shows_the_end_first_and_loads_earlier_messages_in_place(
    qtbot: QtBot, view: ChatView, renderer: MarkdownRenderer
) -> None:
    entries = []
    for i in range(150):
        entries.append(ChatEntry(Role.USER, f"Question {i:03d}"))
        answer = f"Answer {i:03d}\n\n" + ANSWER
        entries.append(ChatEntry(Role.ASSISTANT, answer, renderer.render_message(answer)))
    view.set_messages(entries)
    plain = view.browser.toPlainText()
    assert "Question 149" in plain
    assert "Question 000" not in plain
    hidden = view.hidden_message_count()
    assert 0 < hidden < 290
    first_shown = re.search(r"Question (\d{3})", plain)
    assert first_shown is not None

    bar = view.browser.verticalScrollBar()
    bar.setValue(0)  # scrolling to the top asks for the earlier messages
    anchor = view.browser.document().find(first_shown.group(0))
    top_before = view.browser.cursorRect(anchor).top()
    qtbot.waitUntil(lambda: view.hidden_message_count() < hidden, timeout=WAIT_MS)
    anchor = view.browser.document().find(first_shown.group(0))
    assert abs(view.browser.cursorRect(anchor).top() - top_before) <= 2  # what was seen stays put
    assert f"Question {int(first_shown.group(1)) - 1:03d}" in view.browser.toPlainText()

    while view.hidden_message_count():  # bounded: each call inserts at least one message
        view.load_earlier()
    assert view.browser.toPlainText().count("Question ") == 150
    click_link(qtbot, view, r"parley:copy-message/\d+")
    assert QGuiApplication.clipboard().text() == "Question 000"


def test_font_size_scales_the_whole_transcript(qtbot: QtBot, view: ChatView) -> None:
    stream(qtbot, view, ANSWER)
    doc = view.browser.document()
    before = doc.size().height()
    view.set_font_point_size(doc.defaultFont().pointSizeF() * 2)
    assert doc.size().height() > before * 1.6


def test_switching_theme_mid_stream_keeps_the_answer(
    qtbot: QtBot, view: ChatView, renderer: MarkdownRenderer
) -> None:
    view.append_user_message("question")
    view.begin_assistant_message()
    view.update_reasoning("some thoughts")
    half = len(ANSWER) // 2
    view.update_streaming(ANSWER[:half])
    view.set_dark(True)
    assert view.browser.palette().base().color().lightness() < 64
    view.update_streaming(ANSWER)
    html = finish(qtbot, view)

    fresh = ChatView(renderer=renderer, dark=True)
    qtbot.addWidget(fresh)
    fresh.set_messages(
        [
            ChatEntry(Role.USER, "question"),
            ChatEntry(Role.ASSISTANT, ANSWER, html, reasoning="some thoughts"),
        ]
    )
    assert normalized_html(view) == normalized_html(fresh)


# -- the last frame first (append to tests/ui/test_chat_view.py) --


def regenerate_links(view: ChatView) -> int:
    return len([h for h in hrefs(view) if h.startswith("parley:regenerate/")])


def test_the_regenerate_link_and_answer_finished_follow_the_paint(qtbot: QtBot, view: ChatView) -> None:
    view.append_user_message("question")
    view.begin_assistant_message(7)
    view.update_streaming("the answer")
    finished: list[tuple[int, str]] = []
    view.answer_finished.connect(lambda *args: finished.append(args))
    view.finish_streaming()
    assert finished == []  # not before the frame is painted
    assert regenerate_links(view) == 0
    qtbot.waitUntil(lambda: finished != [], timeout=WAIT_MS)
    assert finished[0][0] == 7
    assert regenerate_links(view) == 1


def test_what_comes_next_announces_the_finished_answer_first(qtbot: QtBot, view: ChatView) -> None:
    order: list[str] = []
    view.answer_finished.connect(lambda *_args: order.append("finished"))
    view.begin_assistant_message()
    view.update_streaming("first answer")
    view.finish_streaming()
    view.append_user_message("next question")
    order.append("next")
    assert order == ["finished", "next"]
    assert regenerate_links(view) == 0  # the link went with the next question


def test_an_open_code_block_is_highlighted_when_the_answer_ends(
    qtbot: QtBot, view: ChatView, renderer: MarkdownRenderer
) -> None:
    text = "Code:\n\n```python\ndef f():\n    return 1\n"

    def keyword_colour() -> str:
        cursor = view.browser.document().find("def")
        cursor.setPosition(cursor.selectionStart() + 1)  # the format of the character before
        return cursor.charFormat().foreground().color().name()

    view.begin_assistant_message()
    view.update_streaming(text)
    plain = keyword_colour()
    with qtbot.waitSignal(view.answer_finished, timeout=WAIT_MS) as finished:
        view.finish_streaming()
    assert finished.args[1] == renderer.render_message(text)
    assert keyword_colour() != plain  # "def" got its colour when the answer ended


def test_shown_chars_follows_the_latest_answer(qtbot: QtBot, view: ChatView) -> None:
    assert view.shown_chars() == 0
    view.begin_assistant_message()
    view.update_streaming(ANSWER)
    assert 0 < view.shown_chars() <= len(ANSWER)
    with qtbot.waitSignal(view.answer_finished, timeout=WAIT_MS):
        view.finish_streaming()
    assert view.shown_chars() == len(ANSWER)
    view.append_user_message("another question")
    assert view.shown_chars() == 0


def test_scrolling_up_inserts_small_batches_and_the_link_a_big_one(
    qtbot: QtBot, view: ChatView, renderer: MarkdownRenderer
) -> None:
    entries = []
    for i in range(150):
        entries.append(ChatEntry(Role.USER, f"Question {i:03d}"))
        answer = f"Answer {i:03d}\n\n" + ANSWER
        entries.append(ChatEntry(Role.ASSISTANT, answer, renderer.render_message(answer)))
    view.set_messages(entries)
    hidden = view.hidden_message_count()
    view.browser.verticalScrollBar().setValue(0)
    qtbot.waitUntil(lambda: view.hidden_message_count() < hidden, timeout=WAIT_MS)
    # ANSWER is ~2,200 characters: a scrolling batch (3,000) holds its user message and answer.
    assert hidden - view.hidden_message_count() <= 4
    qtbot.waitUntil(lambda: not view._load_timer.isActive(), timeout=WAIT_MS)  # prefetch settled
    before = view.hidden_message_count()
    view.load_earlier()  # what the "Show N earlier messages" link does
    assert before - view.hidden_message_count() >= 10
