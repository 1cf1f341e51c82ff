"""FrameClock: one wake-up per frame for every job, stages in order, after-paint jobs settled in
order, nothing running while idle. Real Qt timers on the test's event loop."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QElapsedTimer
from pytestqt.qtbot import QtBot

from desktop_app.chat.coalescer import StreamCoalescer
from desktop_app.chat.frame_clock import FRAME_MS, FrameClock, Stage
from tests.support.qt import WAIT_MS


class Log:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def job(self, name: str) -> JobOf:
        return JobOf(self, name)


class JobOf:
    """A named job; equal jobs are the same job to the clock (as bound methods are)."""

    def __init__(self, log: Log, name: str) -> None:
        self.log, self.name = log, name

    def __call__(self) -> None:
        self.log.seen.append(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JobOf) and (other.log, other.name) == (self.log, self.name)

    def __hash__(self) -> int:
        return hash(self.name)


def test_jobs_asked_for_before_a_frame_run_once_in_it_produce_before_render(qtbot: QtBot) -> None:
    clock, log = FrameClock(), Log()
    clock.request(log.job("view"), Stage.RENDER)
    clock.request(log.job("coalescer"), Stage.PRODUCE)
    clock.request(log.job("view"), Stage.RENDER)  # asked twice: still once

    assert log.seen == []  # never from inside the caller
    qtbot.waitUntil(clock.is_idle, timeout=WAIT_MS)

    assert log.seen == ["coalescer", "view"]
    assert clock.frames == 1


def test_a_render_asked_for_while_producing_runs_in_the_same_frame(qtbot: QtBot) -> None:
    clock, log = FrameClock(), Log()
    render = log.job("render")

    def produce() -> None:
        log.seen.append("produce")
        assert clock.in_frame(Stage.PRODUCE)
        clock.request(render)

    clock.request(produce, Stage.PRODUCE)
    qtbot.waitUntil(clock.is_idle, timeout=WAIT_MS)

    assert log.seen == ["produce", "render"]
    assert clock.frames == 1


def test_a_job_asking_again_runs_in_the_next_frame_at_least_a_frame_later(qtbot: QtBot) -> None:
    clock = FrameClock()
    started = QElapsedTimer()
    at: list[int] = []

    def catch_up() -> None:
        at.append(started.elapsed())
        if len(at) < 4:
            clock.request(catch_up)

    started.start()
    clock.request(catch_up)
    qtbot.waitUntil(lambda: len(at) == 4 and clock.is_idle(), timeout=WAIT_MS)

    assert clock.frames == 4
    gaps = [b - a for a, b in itertools.pairwise(at)]
    assert all(gap >= FRAME_MS - 1 for gap in gaps), gaps  # timers may round down by a millisecond


def test_cancel_forgets_a_job_and_an_idle_clock_runs_no_timer(qtbot: QtBot) -> None:
    clock, log = FrameClock(), Log()
    clock.request(log.job("gone"))
    clock.after_paint(log.job("gone"))
    assert not clock.is_idle()

    clock.cancel(log.job("gone"))

    assert clock.is_idle()
    assert not clock.is_due(log.job("gone"))
    clock.request(log.job("kept"))
    qtbot.waitUntil(clock.is_idle, timeout=WAIT_MS)
    assert log.seen == ["kept"]


def test_after_paint_jobs_run_after_the_frame_or_at_settle_in_order(qtbot: QtBot) -> None:
    clock, log = FrameClock(), Log()
    clock.after_paint(log.job("save"))
    clock.after_paint(log.job("announce"))
    clock.after_paint(log.job("save"))  # once

    clock.settle()  # an action comes first: everything waiting happens now

    assert log.seen == ["save", "announce"]
    assert clock.is_idle()
    clock.after_paint(log.job("later"))
    qtbot.waitUntil(clock.is_idle, timeout=WAIT_MS)
    assert log.seen == ["save", "announce", "later"]


def test_a_failing_job_does_not_starve_the_others_and_its_error_is_raised(qtbot: QtBot) -> None:
    clock, log = FrameClock(), Log()

    def broken() -> None:
        raise ValueError("broken job")

    clock.after_paint(broken)
    clock.after_paint(log.job("next"))

    with pytest.raises(ValueError, match="broken job"):
        clock.settle()
    assert log.seen == ["next"]


def test_two_coalescers_on_one_clock_share_each_frame(qtbot: QtBot) -> None:
    clock = FrameClock()
    first, second = StreamCoalescer(frames=clock), StreamCoalescer(frames=clock)
    updates: list[str] = []
    first.updated.connect(lambda text, _r: updates.append(f"1:{text}"))
    second.updated.connect(lambda text, _r: updates.append(f"2:{text}"))

    first.add_text("a")
    second.add_text("b")
    first.add_text("c")
    qtbot.waitUntil(clock.is_idle, timeout=WAIT_MS)

    assert updates == ["1:ac", "2:b"]
    assert clock.frames == 1
