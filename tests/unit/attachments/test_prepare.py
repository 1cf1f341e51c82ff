"""prepare_file's contract: limits refused in one line, progress reported, cancellation between
pages and rows, sizes and token estimates on the result, everything picklable for a process."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import openpyxl
import pytest

from desktop_app.attachments import (
    AttachmentCancelledError,
    AttachmentLimits,
    FileTooLargeError,
    PreparedFile,
    UnreadableFileError,
    UnsupportedFileError,
    estimate_tokens,
    format_size,
    prepare_file,
)
from desktop_app.core.attachments import DocumentPart
from tests.unit.attachments.files import make_pdf


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"x" * 2_500)
    with pytest.raises(FileTooLargeError) as caught:
        prepare_file(path, AttachmentLimits(max_file_bytes=2_000))
    assert str(caught.value) == (
        "huge.txt: is 2.5 KB; the limit for an attachment is 2 KB (Preferences → Models → Attachments)"
    )


def test_the_default_limits() -> None:
    limits = AttachmentLimits()
    assert (limits.max_file_bytes, limits.max_image_side) == (50_000_000, 2048)
    assert format_size(limits.max_file_bytes) == "50 MB"
    with pytest.raises(ValueError, match="max_file_bytes"):
        AttachmentLimits(max_file_bytes=0)


def test_missing_files_and_folders_are_named(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match=r"^gone\.txt: no such file$"):
        prepare_file(tmp_path / "gone.txt")
    (tmp_path / "dir").mkdir()
    with pytest.raises(UnreadableFileError, match=r"^dir: is a folder; attach the files in it$"):
        prepare_file(tmp_path / "dir")


def test_the_result_carries_size_tokens_and_notes(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("word " * 100, encoding="utf-8")
    prepared = prepare_file(str(path))
    assert prepared.file_bytes == 500
    assert isinstance(prepared.part, DocumentPart)
    assert prepared.tokens == estimate_tokens("[file: a.txt]\n" + "word " * 100) == 129
    assert prepared.notes == ()


def test_pdf_progress_counts_pages(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "five.pdf", [f"page {n}" for n in range(1, 6)])
    seen: list[tuple[int, int]] = []
    prepare_file(path, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_cancelling_stops_a_pdf_between_pages(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "long.pdf", [f"page {n}" for n in range(1, 11)])
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 3:
            cancel.set()

    with pytest.raises(AttachmentCancelledError) as caught:
        prepare_file(path, progress=progress, cancel=cancel)
    assert str(caught.value) == "long.pdf: preparing the attachment was cancelled"
    assert seen == [0, 1, 2, 3]


def test_cancelling_stops_a_spreadsheet_between_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in range(1, 1001):
        sheet.append([row, row * 2])
    path = tmp_path / "rows.xlsx"
    workbook.save(path)
    cancel = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        cancel.set()

    with pytest.raises(AttachmentCancelledError):
        prepare_file(path, progress=progress, cancel=cancel)
    assert seen == [(64, 1000)]  # the first report, then the next check stops it


def test_a_cancel_set_before_the_start_reads_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AttachmentCancelledError):
        prepare_file(path, cancel=cancel)


def test_results_and_errors_pickle_for_a_worker_process(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "p.pdf", ["text", None])
    prepared = prepare_file(path)
    assert pickle.loads(pickle.dumps(prepared)) == prepared
    assert isinstance(prepared, PreparedFile)
    for error in (
        UnsupportedFileError("x.bin", "binary files are not supported"),
        FileTooLargeError("y.pdf", "is 60 MB; the limit is 50 MB"),
        AttachmentCancelledError("z.txt"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), str(copy), copy.name) == (type(error), str(error), error.name)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (14_200, "14.2 KB"), (3_500_000, "3.5 MB")],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(size) == text
