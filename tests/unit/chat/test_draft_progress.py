"""A draft's progress reaches its chip at most every PROGRESS_INTERVAL_S, and always the last
report: a 300-page PDF must not redraw the composer 300 times."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.attachments import AttachmentLimits, PreparedFile, estimate_part_tokens
from desktop_app.chat import drafts as drafts_module
from desktop_app.chat.drafts import DraftAttachments, DraftState
from desktop_app.chat.tasks import OwnedTasks
from desktop_app.core.attachments import DocumentPart
from tests.support.qt import WAIT_MS, run

STEPS = 300


def test_many_progress_reports_make_few_changes(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def prepare(
        path: Path,
        limits: AttachmentLimits,
        *,
        progress: Callable[[int, int], None],
        cancel: threading.Event,
        **_: object,
    ) -> PreparedFile:
        for done in range(1, STEPS + 1):
            progress(done, STEPS)
        part = DocumentPart(path.name, "text/plain", "text", STEPS)
        return PreparedFile(part, 4, estimate_part_tokens(part))

    monkeypatch.setattr(drafts_module, "prepare_file", prepare)
    executor = ThreadPoolExecutor(max_workers=1)
    tasks = OwnedTasks()
    drafts = DraftAttachments(tasks, executor)
    seen: list[tuple[DraftState, int, int]] = []
    drafts.changed.connect(lambda: seen.extend((d.state, d.done, d.total) for d in drafts.drafts))
    path = tmp_path / "long.txt"
    path.write_text("text", encoding="ascii")
    try:
        drafts.add_files([path])
        qtbot.waitUntil(lambda: not drafts.is_busy(), timeout=WAIT_MS)
    finally:
        tasks.cancel_all()
        run(qtbot, qloop, tasks.wait_all())
        executor.shutdown()

    progress = [s for s in seen if s[0] is DraftState.PREPARING and s[2]]
    assert progress[-1] == (DraftState.PREPARING, STEPS, STEPS)  # the last report is shown
    assert len(progress) < 20  # not one change per page
    assert seen[-1][0] is DraftState.READY


def test_a_report_held_back_is_shown_when_the_interval_ends(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    drafts = DraftAttachments(OwnedTasks(), ThreadPoolExecutor(max_workers=1))
    key = 1
    drafts._drafts[key] = drafts_module.Draft(key, "a.pdf", DraftState.PREPARING)
    seen: list[int] = []
    drafts.changed.connect(lambda: seen.append(drafts.drafts[0].done))

    async def report() -> None:
        for done in (1, 2, 3):
            drafts._progress(key, done, 10)

    run(qtbot, qloop, report())
    assert seen == [1]  # the first at once, the others held back
    qtbot.waitUntil(lambda: seen == [1, 3], timeout=WAIT_MS)  # the latest, once the interval ends
