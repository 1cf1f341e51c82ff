"""Text files: encodings (BOMs, UTF-8, a guessed legacy code page, the lossy fallback), line
endings, source code, and refusals of binary files."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.attachments import UnsupportedFileError, prepare_file
from desktop_app.attachments import text as text_module
from desktop_app.attachments.text import decode_text
from desktop_app.core.attachments import DocumentPart

FRENCH = "Le café était très crémeux; à côté, une crème brûlée. Où est la façade? Noël à l'hôtel.\n"


def document(path: Path) -> DocumentPart:
    part = prepare_file(path).part
    assert isinstance(part, DocumentPart)
    return part


def test_utf8_text_is_read_as_it_is_with_crlf_made_lf(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Привет\r\nworld\rend\n".encode())
    part = document(path)
    assert (part.name, part.mime, part.text, part.notes) == (
        "notes.txt",
        "text/plain",
        "Привет\nworld\nend\n",
        (),
    )


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
    ],
)
def test_a_byte_order_mark_decides(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(bom + "Zürich — 東京\r\nline two".encode(encoding))
    part = document(path)
    assert part.text == "Zürich — 東京\nline two"
    assert part.notes == ()


def test_latin1_is_guessed_and_the_guess_is_said(tmp_path: Path) -> None:
    path = tmp_path / "menu.txt"
    path.write_bytes(FRENCH.encode("latin-1"))
    part = document(path)
    assert part.text == FRENCH
    assert part.notes == ("Not UTF-8: read as cp1252 (a guess from the bytes).",)


def test_cyrillic_windows_1251_is_guessed() -> None:
    decoded = decode_text("Привет, как дела? Всё хорошо.\n".encode("cp1251"))
    assert (decoded.text, decoded.encoding) == ("Привет, как дела? Всё хорошо.\n", "cp1251")


def test_the_fallback_replaces_and_says_how_much(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_module, "guess_encoding", lambda data: None)
    decoded = decode_text(b"ok \xff here \xc3( and a real \xef\xbf\xbd")
    assert decoded.text == "ok \ufffd here \ufffd( and a real \ufffd"
    assert decoded.notes == (
        "Not valid UTF-8 and no other encoding fitted: 2 byte sequences replaced with “\ufffd”.",
    )


def test_source_code_keeps_its_text_and_gets_its_mime(tmp_path: Path) -> None:
    path = tmp_path / "main.py"
    path.write_text('def f() -> str:\n\treturn "x"\n', encoding="utf-8")
    part = document(path)
    assert (part.mime, part.text) == ("text/x-python", 'def f() -> str:\n\treturn "x"\n')


def test_a_file_without_an_extension_is_text_when_it_reads_as_text(tmp_path: Path) -> None:
    path = tmp_path / "Makefile"
    path.write_text("all:\n\techo hi\n", encoding="utf-8")
    assert document(path).text == "all:\n\techo hi\n"


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    part = document(path)
    assert (part.text, part.notes) == ("", ("The file has no text.",))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "blob.dat",
            bytes(range(256)) * 4,
            "blob.dat: binary files are not supported — attach text, PDF, Word (.docx), Excel (.xlsx), "
            "CSV, HTML or an image",
        ),
        ("tool.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "tool.txt: programs are not supported"),
        (
            "old.doc",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            "old.doc: old Office files (.doc, .xls, .ppt) are not supported — save it as .docx or .xlsx",
        ),
        (
            "photo.heic",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
            "photo.heic: HEIC images are not supported — export it as JPEG or PNG",
        ),
        (
            "photo.avif",
            b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1",
            "photo.avif: AVIF images are not supported — export it as JPEG or PNG",
        ),
        ("fake.pdf", b"just words\n", "fake.pdf: does not look like a PDF file inside (damaged?)"),
    ],
)
def test_what_cannot_be_read_is_refused_by_name_in_one_line(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnsupportedFileError) as caught:
        prepare_file(path)
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_a_text_that_starts_like_a_bitmap_or_a_program_is_still_text(tmp_path: Path) -> None:
    path = tmp_path / "cars.txt"
    path.write_text("BMW and MZ are brands.\n", encoding="utf-8")
    assert document(path).text == "BMW and MZ are brands.\n"
