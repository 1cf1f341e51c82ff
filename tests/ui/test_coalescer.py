"""StreamCoalescer: any number of deltas, at most one update per frame, nothing running when idle.
Also the typed qasync wrapper the coalescer's consumers run on."""

from __future__ import annotations

import asyncio

from PySide6.QtCore import QElapsedTimer, QObject, Signal
from pytestqt.qtbot import QtBot

from desktop_app.chat.coalescer import FRAME_MS, StreamCoalescer
from desktop_app.qt_async import async_slot

WAIT_MS = 15_000  # a limit for event waits, generous for a busy machine


class Recorder:
    def __init__(self, coalescer: StreamCoalescer) -> None:
        self.updates: list[tuple[str, str]] = []
        coalescer.updated.connect(lambda text, reasoning: self.updates.append((text, reasoning)))


def test_a_burst_of_deltas_becomes_one_update(qtbot: QtBot) -> None:
    coalescer = StreamCoalescer()
    seen = Recorder(coalescer)
    for i in range(2000):
        coalescer.add_text(f"{i} ")
    assert seen.updates == []  # nothing is rendered from inside the producer
    assert coalescer.is_scheduled()
    qtbot.waitUntil(lambda: bool(seen.updates), timeout=WAIT_MS)
    assert seen.updates == [("".join(f"{i} " for i in range(2000)), "")]
    assert not coalescer.is_scheduled()


def test_updates_never_come_faster_than_one_per_frame(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    coalescer = StreamCoalescer()
    seen = Recorder(coalescer)
    clock = QElapsedTimer()

    async def produce() -> int:
        clock.start()
        sent = 0
        # A delta on every loop turn, as a fast provider delivers them, for ~15 frames.
        while clock.elapsed() < 15 * FRAME_MS and sent < 1_000_000:
            coalescer.add_text(f"w{sent} ")
            coalescer.add_reasoning("r")
            sent += 1
            await asyncio.sleep(0)
        coalescer.finish()
        return sent

    task = qloop.create_task(produce())
    qtbot.waitUntil(task.done, timeout=WAIT_MS)
    sent = task.result()
    elapsed_ms = clock.elapsed()
    assert sent > 100
    assert len(seen.updates) >= 3
    # The first update comes at once, every later one at least a frame after the previous.
    assert len(seen.updates) <= 2 + elapsed_ms // FRAME_MS
    assert seen.updates[-1] == ("".join(f"w{i} " for i in range(sent)), "r" * sent)
    assert coalescer.emissions == len(seen.updates)
    assert not coalescer.is_scheduled()


def test_finish_flushes_at_once_and_stops_the_timer() -> None:
    coalescer = StreamCoalescer()
    seen = Recorder(coalescer)
    coalescer.add_text("Hello, ")
    coalescer.add_text("мир")
    coalescer.finish()
    assert seen.updates == [("Hello, мир", "")]
    assert not coalescer.is_scheduled()
    coalescer.finish()  # nothing pending: no second update
    assert len(seen.updates) == 1


def test_idle_coalescer_runs_no_timer_and_reset_forgets(qtbot: QtBot) -> None:
    coalescer = StreamCoalescer()
    seen = Recorder(coalescer)
    assert not coalescer.is_scheduled()
    coalescer.add_text("")  # empty deltas do not wake it
    assert not coalescer.is_scheduled()
    coalescer.add_text("partial")
    coalescer.reset()
    assert not coalescer.is_scheduled()
    assert coalescer.text == ""
    coalescer.add_text("next answer")
    qtbot.waitUntil(lambda: bool(seen.updates), timeout=WAIT_MS)
    assert seen.updates == [("next answer", "")]
    assert not coalescer.is_scheduled()


class _Button(QObject):
    clicked = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.done = asyncio.Event()
        self.seen: list[str] = []
        self.clicked.connect(self.on_clicked)

    @async_slot(str)
    async def on_clicked(self, label: str) -> None:
        await asyncio.sleep(0)
        self.seen.append(label)
        self.done.set()


def test_async_slot_runs_a_coroutine_from_a_signal(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> None:
    button = _Button()
    button.clicked.emit("send")
    qtbot.waitUntil(button.done.is_set, timeout=WAIT_MS)
    assert button.seen == ["send"]
