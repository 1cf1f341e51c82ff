"""The window part of history_scale.py: opening the long conversation, scrolling through it, and
the partial saves of a streaming answer, each next to its bare-Qt or empty-file baseline."""

from __future__ import annotations

import asyncio
import html
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from _qt_probes import Frame, FrameProbe, LagProbe, settle, wait_exposed, wait_until
from PySide6.QtWidgets import QAbstractSlider, QTextBrowser

FRAME_S = 1 / 60
SLOW_LAG_MS = 16.0 - 5.0  # a 5 ms timer this late means the loop was busy for over 16 ms


@dataclass
class SaveTimer:
    """Times `SqliteHistory.update_message` and `ChatView.load_earlier` (patched on the classes
    before the window exists, so the view's own timer calls the timed version)."""

    saves: list[tuple[int, int, str]] = field(default_factory=list)  # start, end ns, status
    loads: list[tuple[int, int]] = field(default_factory=list)
    recording: bool = False

    @classmethod
    def install(cls) -> SaveTimer:
        from desktop_app.storage.history import SqliteHistory
        from desktop_app.ui.chat_view import ChatView

        timer = cls()
        update, load = SqliteHistory.update_message, ChatView.load_earlier

        def update_message(self: SqliteHistory, message_id: int, content: str, **kwargs: Any) -> None:
            start = time.monotonic_ns()
            try:
                update(self, message_id, content, **kwargs)
            finally:
                if timer.recording:
                    status = kwargs.get("status")
                    timer.saves.append((start, time.monotonic_ns(), getattr(status, "value", str(status))))

        def load_earlier(self: ChatView) -> None:
            start = time.monotonic_ns()
            try:
                load(self)
            finally:
                timer.loads.append((start, time.monotonic_ns()))

        SqliteHistory.update_message = update_message  # type: ignore[method-assign]
        ChatView.load_earlier = load_earlier  # type: ignore[method-assign]
        return timer


async def next_frame(probe: FrameProbe, after_ns: int, timeout: float = 5.0) -> Frame:
    await wait_until(
        lambda: any(f.painted and f.start_ns >= after_ns for f in probe.frames[-3:]), timeout, 0.001
    )
    return next(f for f in probe.frames if f.painted and f.start_ns >= after_ns)


def select_conversation(window: Any, conversation_id: int) -> None:
    """What a click in the sidebar does: make that conversation the current row."""
    sidebar = window.sidebar
    row = sidebar.conversation_ids().index(conversation_id)
    sidebar.conversations.setCurrentRow(row)


async def scroll_frames(browser: QTextBrowser, probe: FrameProbe, steps: int, *, bounce: bool) -> list[float]:
    """ms from each page step (a click on the scroll bar's track, one per frame) to the end of the
    frame showing it. `bounce`: turn round at either end (a view that never grows)."""
    frames: list[float] = []
    bar = browser.verticalScrollBar()
    up = True
    for _ in range(steps):
        if bounce and (bar.value() == bar.minimum() if up else bar.value() == bar.maximum()):
            up = not up
        start = time.monotonic_ns()
        before = bar.value()
        bar.triggerAction(
            QAbstractSlider.SliderAction.SliderPageStepSub
            if up
            else QAbstractSlider.SliderAction.SliderPageStepAdd
        )
        if bar.value() != before:
            frames.append(((await next_frame(probe, start)).end_ns - start) / 1e6)
        await asyncio.sleep(max(0.0, FRAME_S - (time.monotonic_ns() - start) / 1e9))
    return frames


async def history_scenario(
    window: Any,
    server: Any,
    tap: Any,
    built: Any,
    timer: SaveTimer,
    answer: int,
    opens: int,
    scroll_steps: int,
) -> dict[str, Any]:
    from _answer import answer_text
    from _app_driver import type_and_send
    from _stream_server import StreamPlan

    await settle(0.5)
    view = window.chat_view
    probe = FrameProbe(window, view.browser.viewport(), lambda: 0)
    probe.recording = True
    out: dict[str, Any] = {"open_ms": []}
    for _ in range(opens):
        select_conversation(window, built.small_conversation)
        await settle(0.2)
        start = time.monotonic_ns()
        select_conversation(window, built.big_conversation)
        out["open_ms"].append(((await next_frame(probe, start)).end_ns - start) / 1e6)
        await settle(0.2)
    shown = built_count(built) - view.hidden_message_count()
    bare, bare_probe = await bare_view(view.browser.size())
    try:
        out["open_bare_ms"] = await bare_open(bare, bare_probe, built, shown)
        out["scroll_frame_bare_ms"] = await scroll_frames(bare, bare_probe, scroll_steps, bounce=True)
    finally:
        bare_probe.remove()
        bare.close()
        bare.deleteLater()
    timer.loads.clear()
    scroll_start = time.monotonic_ns()
    frames = await scroll_frames(view.browser, probe, scroll_steps, bounce=False)
    await settle(0.3)
    painted = [f for f in probe.frames if f.painted and f.start_ns >= scroll_start]
    for load_start, load_end in timer.loads:  # a batch inserted between notches is a frame too
        after = next((f for f in painted if f.start_ns >= load_end), None)
        frames.append(((after.end_ns if after else load_end) - load_start) / 1e6)
    out["scroll_frame_ms"] = frames
    out["load_earlier_ms"] = [(end - start) / 1e6 for start, end in timer.loads]
    out["scroll_steps"] = scroll_steps
    out["hidden_after_scroll"] = view.hidden_message_count()
    probe.remove()

    window.conversations.new_chat()
    await settle(0.3)
    expected = len(answer_text(answer))
    server.drain()
    server.plan(StreamPlan(tokens=answer, rate=5_000))
    tap.reset()
    lag = LagProbe()
    timer.saves.clear()
    timer.recording = True
    lag.start()
    type_and_send(window, "Write a long answer")
    await wait_until(lambda: tap.chars >= expected and not window.composer.streaming, answer / 5_000 * 3 + 30)
    await settle(0.2)
    lag.stop()
    timer.recording = False
    await server.next_record_async(10)
    partial = [(s, e) for s, e, status in timer.saves if status == "streaming"]
    final = [(e - s) / 1e6 for s, e, status in timer.saves if status != "streaming"]
    out["save_ms"] = [(e - s) / 1e6 for s, e in partial]
    out["final_save_ms"] = max(final) if final else float("nan")
    slow = [(t - (late + 5) * 1e6, t) for t, late in lag.samples if late > SLOW_LAG_MS]
    out["slow_frames"] = len(slow)
    out["slow_frames_with_save"] = sum(1 for a, b in slow if any(s < b and e > a for s, e in partial))
    return out


def built_count(built: Any) -> int:
    with sqlite3.connect(built.path) as conn:
        row = conn.execute(
            "SELECT count(*) FROM messages WHERE conversation_id = ?", (built.big_conversation,)
        )
        return int(row.fetchone()[0])


async def bare_view(size: Any) -> tuple[QTextBrowser, FrameProbe]:
    browser = QTextBrowser()
    browser.resize(size)
    browser.show()
    await wait_exposed(browser)
    probe = FrameProbe(browser, browser.viewport(), lambda: 0)
    probe.recording = True
    return browser, probe


async def bare_open(browser: QTextBrowser, probe: FrameProbe, built: Any, shown: int) -> float:
    """The floor of opening: one SELECT of the conversation and its shown messages' HTML set."""
    start = time.monotonic_ns()
    with sqlite3.connect(built.path) as conn:
        rows = conn.execute(
            "SELECT role, content, rendered_html FROM messages WHERE conversation_id = ? ORDER BY id",
            (built.big_conversation,),
        ).fetchall()
    parts = [cached or f"<p>{html.escape(content)}</p>" for _role, content, cached in rows[-max(1, shown) :]]
    browser.setHtml("".join(parts))
    browser.verticalScrollBar().setValue(browser.verticalScrollBar().maximum())
    return ((await next_frame(probe, start)).end_ns - start) / 1e6
