"""The guard of `desktop_app/gui_thread.py`: a QObject finalised on a worker thread is reported
with its type and thread, in a unit test of the guard and in a whole pytest run (where it must
fail the test that did it)."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QTimer

from desktop_app.gui_thread import CollectionPolicy, OffThreadFinalisation, ThreadGuard

REPO = Path(__file__).resolve().parents[2]


class Marked(QObject):
    """A type whose name the report must show."""


def drop_on_a_worker(holder: list[object]) -> None:
    worker = threading.Thread(target=holder.clear, name="test-worker")
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()


@pytest.mark.off_thread_on_purpose
def test_an_object_released_on_a_worker_thread_is_reported_with_its_type_and_thread() -> None:
    found: list[OffThreadFinalisation] = []
    guard = ThreadGuard(found.append)
    marked = Marked()
    marked.setObjectName("the-one")
    guard.watch(marked)
    holder: list[object] = [marked]
    del marked
    drop_on_a_worker(holder)
    assert len(found) == 1
    assert "Marked" in found[0].what
    assert "the-one" in found[0].what
    assert found[0].thread == "test-worker"
    assert "threading.py" in found[0].stack  # where the worker was when it happened


def test_an_object_freed_on_the_gui_thread_is_not_reported() -> None:
    found: list[OffThreadFinalisation] = []
    guard = ThreadGuard(found.append)
    guard.watch(Marked())  # dies at once, here
    timer = QTimer()
    guard.watch(timer)
    del timer
    assert found == []


@pytest.mark.off_thread_on_purpose
def test_watch_all_finds_objects_nobody_registered() -> None:
    found: list[OffThreadFinalisation] = []
    guard = ThreadGuard(found.append)
    holder: list[object] = [Marked()]
    assert guard.watch_all() >= 1
    drop_on_a_worker(holder)
    assert [f.thread for f in found] == ["test-worker"]


@pytest.mark.off_thread_on_purpose
def test_a_cycle_collected_on_a_worker_is_reported_by_the_policy_and_the_guard() -> None:
    found: list[OffThreadFinalisation] = []
    policy = CollectionPolicy(found.append)
    guard = ThreadGuard(found.append)
    policy.install()
    try:
        cyclic = Marked()
        cyclic.me = cyclic  # type: ignore[attr-defined]
        guard.watch(cyclic)
        del cyclic
        collector = threading.Thread(target=gc.collect, name="collector")
        collector.start()
        collector.join(timeout=10)
    finally:
        policy.uninstall()
    assert [f.what for f in found][:1] == ["a cycle collection"]
    assert any("Marked" in f.what and f.thread == "collector" for f in found)


INNER_TEST = """
import threading
import pytest
from PySide6.QtCore import QObject

class Doomed(QObject):
    pass

def test_drops_a_qobject_on_a_worker() -> None:
    holder = [Doomed()]
    worker = threading.Thread(target=holder.clear, name="inner-worker")
    worker.start()
    worker.join(timeout=10)
"""


def test_a_test_that_finalises_a_qobject_on_a_worker_fails(tmp_path: Path) -> None:
    """The session-wide rule (tests/support/gui_thread.py), in a pytest run of its own."""
    inner = tmp_path / "test_inner.py"
    inner.write_text(INNER_TEST, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.support.gui_thread",
            "-q",
            "--no-header",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "-c",
            "/dev/null",
            str(inner),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Qt objects must die on the GUI thread" in output
    assert "Doomed" in output
    assert "inner-worker" in output
    assert "1 error" in output  # reported in the test's teardown, naming the test
    assert "test_drops_a_qobject_on_a_worker" in output
