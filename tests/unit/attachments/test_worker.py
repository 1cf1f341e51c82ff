"""`ProcessPreparer`: heavy documents prepared in one warm worker process (spawned), progress and
cancellation across it, and a process that dies failing only the file it was preparing.

Every call runs on a thread of the test and is bounded (`result(timeout=...)`); the process is
closed (joined, killed if it must be) after each test."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from desktop_app.attachments import (
    AttachmentCancelledError,
    AttachmentLimits,
    UnreadableFileError,
    UnsupportedFileError,
    prepare_file,
)
from desktop_app.attachments.worker import ProcessPreparer, in_process
from tests.unit.attachments.files import make_pdf

TIMEOUT_S = 60  # a spawned process starts in well under a second; CI machines are slow


@pytest.fixture
def preparer() -> Iterator[ProcessPreparer]:
    made = ProcessPreparer()
    try:
        yield made
    finally:
        made.close()
        assert made.pid is None


@pytest.fixture
def thread() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1) as executor:
        yield executor


def long_pdf(path: Path, pages: int) -> Path:
    return make_pdf(path, [f"Page {n} says something worth reading." for n in range(1, pages + 1)])


def test_documents_go_to_the_process_and_images_and_small_text_do_not(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["hello"])
    picture = tmp_path / "a.png"
    Image.new("RGB", (4, 4)).save(picture)
    small = tmp_path / "a.txt"
    small.write_text("small", encoding="utf-8")
    big = tmp_path / "big.txt"
    big.write_text("x" * 1_000_000, encoding="ascii")
    assert in_process(pdf)
    assert not in_process(picture)
    assert not in_process(small)
    assert in_process(big)
    assert not in_process(tmp_path / "missing.pdf")  # prepare_file says why, on the thread


def test_a_pdf_is_prepared_in_a_warm_process_with_progress(
    preparer: ProcessPreparer, thread: ThreadPoolExecutor, tmp_path: Path
) -> None:
    pdf = long_pdf(tmp_path / "report.pdf", 5)
    reports: list[tuple[int, int]] = []

    prepared = thread.submit(
        preparer.prepare, pdf, AttachmentLimits(), progress=lambda d, t: reports.append((d, t))
    ).result(TIMEOUT_S)

    assert prepared == prepare_file(pdf)
    first = preparer.pid
    assert first is not None
    assert first != os.getpid()
    assert reports[-1] == (5, 5)
    again = thread.submit(preparer.prepare, pdf).result(TIMEOUT_S)
    assert again == prepared
    assert preparer.pid == first  # kept warm


def test_errors_come_back_as_they_are(
    preparer: ProcessPreparer, thread: ThreadPoolExecutor, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 100)
    with pytest.raises(UnreadableFileError, match=r"^broken\.pdf: "):
        thread.submit(preparer.prepare_in_process, broken, AttachmentLimits()).result(TIMEOUT_S)
    blob = tmp_path / "program.bin"
    blob.write_bytes(b"\x7fELF" + bytes(range(256)) * 8)
    with pytest.raises(UnsupportedFileError, match=r"^program\.bin: "):
        thread.submit(preparer.prepare_in_process, blob, AttachmentLimits()).result(TIMEOUT_S)


def test_the_callers_cancel_flag_stops_the_process(
    preparer: ProcessPreparer, thread: ThreadPoolExecutor, tmp_path: Path
) -> None:
    pdf = long_pdf(tmp_path / "long.pdf", 400)
    cancel = threading.Event()

    with pytest.raises(AttachmentCancelledError):
        thread.submit(
            preparer.prepare, pdf, AttachmentLimits(), progress=lambda d, t: cancel.set(), cancel=cancel
        ).result(TIMEOUT_S)

    small = make_pdf(tmp_path / "small.pdf", ["after"])
    assert "after" in thread.submit(preparer.prepare, small).result(TIMEOUT_S).part.text  # type: ignore[union-attr]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kills the process with SIGKILL")
def test_a_process_that_dies_fails_its_file_and_the_next_file_gets_a_new_one(
    preparer: ProcessPreparer, thread: ThreadPoolExecutor, tmp_path: Path
) -> None:
    pdf = long_pdf(tmp_path / "long.pdf", 400)
    killed: list[int] = []

    def kill(done: int, total: int) -> None:  # on the first report: the process is mid-file
        if not killed and preparer.pid is not None:
            killed.append(preparer.pid)
            os.kill(preparer.pid, signal.SIGKILL)

    with pytest.raises(UnreadableFileError) as failed:
        thread.submit(preparer.prepare, pdf, AttachmentLimits(), progress=kill).result(TIMEOUT_S)
    assert str(failed.value) == "long.pdf: could not be prepared: the worker process stopped (exit code -9)"

    small = make_pdf(tmp_path / "small.pdf", ["again"])
    assert thread.submit(preparer.prepare, small).result(TIMEOUT_S).part.pages == 1  # type: ignore[union-attr]
    assert preparer.pid not in (None, killed[0])


def test_a_process_that_died_while_idle_is_replaced_silently(
    preparer: ProcessPreparer, thread: ThreadPoolExecutor, tmp_path: Path
) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["one"])
    thread.submit(preparer.prepare, pdf).result(TIMEOUT_S)
    first = preparer.pid
    assert first is not None
    os.kill(first, signal.SIGTERM)
    process = preparer._process
    assert process is not None
    process.join(TIMEOUT_S)  # (dead before the next file comes)
    assert thread.submit(preparer.prepare, pdf).result(TIMEOUT_S).part.pages == 1  # type: ignore[union-attr]
    assert preparer.pid not in (None, first)


def test_after_close_nothing_starts(preparer: ProcessPreparer, tmp_path: Path) -> None:
    preparer.close()
    with pytest.raises(UnreadableFileError, match="Parley is closing"):
        preparer.prepare(make_pdf(tmp_path / "a.pdf", ["one"]))
