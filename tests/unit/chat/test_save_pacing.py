"""`SavePacer`: when a growing answer is saved (the CLI's recorder and the window's controller both
use it). The due times are checked on the timer it arms, with a clock the test moves, so no test
here waits for real time except the one that lets a short timer fire."""

from __future__ import annotations

import asyncio

from desktop_app.chat.save_pacing import SavePacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def due_in(pacer: SavePacer) -> float:
    timer = pacer._timer
    assert timer is not None
    return timer.when() - asyncio.get_running_loop().time()


async def test_the_first_save_is_due_an_interval_after_the_start() -> None:
    clock, saves = Clock(), []
    pacer = SavePacer(lambda: saves.append(clock.now), interval=0.5, clock=clock)
    pacer.start()
    clock.now += 0.2
    pacer.changed()
    assert 0.25 <= due_in(pacer) <= 0.3  # 0.5 after the start, 0.2 of it gone
    pacer.cancel()


async def test_many_changes_arm_one_timer_and_a_late_change_is_saved_at_once() -> None:
    clock, saves = Clock(), []
    pacer = SavePacer(lambda: saves.append(clock.now), interval=0.5, clock=clock)
    pacer.start()
    pacer.changed()
    first = pacer._timer
    pacer.changed()
    pacer.changed()
    assert pacer._timer is first
    pacer.cancel()
    clock.now += 2.0  # a stalled stream: the next text is long overdue
    pacer.changed()
    assert due_in(pacer) <= 0.01
    pacer.cancel()


async def test_a_due_save_runs_once_and_only_when_something_changed() -> None:
    saved = asyncio.Event()
    saves: list[int] = []

    def save() -> None:
        saves.append(1)
        saved.set()

    pacer = SavePacer(save, interval=0.01)
    pacer.start()
    pacer.changed()
    pacer.changed()
    await asyncio.wait_for(saved.wait(), 5)
    assert saves == [1]
    assert not pacer.pending
    assert not pacer.unsaved


async def test_the_callers_final_save_cancels_what_was_due() -> None:
    clock, saves = Clock(), []
    pacer = SavePacer(lambda: saves.append(clock.now), interval=0.5, clock=clock)
    pacer.start()
    pacer.changed()
    assert pacer.pending
    pacer.saved()
    assert not pacer.pending
    assert not pacer.unsaved
    clock.now += 0.3
    pacer.changed()  # the next due time counts from that final save
    assert 0.15 <= due_in(pacer) <= 0.2
    pacer.cancel()
    assert saves == []
