"""Token estimates (the same rule as chat's context window) and cutting a document to fit."""

from __future__ import annotations

import pytest

from desktop_app.attachments import (
    cut_to,
    cut_to_tokens,
    estimate_image_tokens,
    estimate_part_tokens,
    estimate_tokens,
)
from desktop_app.chat import context_window
from desktop_app.core.attachments import Cut, DocumentPart, ImagePart


@pytest.mark.parametrize(
    "text",
    ["", "hello world", "Привет, мир!", "東京タワー", "mixed Привет 東京 text\n" * 7, "é" * 13],
)
def test_the_estimate_is_the_one_chat_uses(text: str) -> None:
    assert estimate_tokens(text) == context_window.estimate_tokens(text)


def test_image_tokens_follow_the_tile_rule() -> None:
    assert estimate_image_tokens(512, 512) == 85 + 170 * 1
    assert estimate_image_tokens(2048, 1536) == 85 + 170 * 4  # shortest side to 768: 1024×768
    assert estimate_part_tokens(ImagePart("a.png", "image/png", b"", 100, 100)) == 255


def test_cut_to_keeps_whole_lines_and_says_how_much() -> None:
    text = "\n".join(f"line {n:02d}" for n in range(1, 11))  # 10 lines of 7 characters
    document = DocumentPart("log.txt", "text/plain", text)
    cut = cut_to(document, 33)  # the line break at 31 is within the last 10%
    assert cut.text == "line 01\nline 02\nline 03\nline 04"
    assert cut.cut == Cut(31, 79)
    assert (
        cut.as_text() == "[file: log.txt]\nline 01\nline 02\nline 03\nline 04\n[cut at 31 of 79 characters]"
    )
    assert cut_to(document, 1000) is document
    again = cut_to(cut, 8)
    assert (again.text, again.cut) == ("line 01", Cut(7, 79))


def test_cut_to_without_a_boundary_cuts_where_it_must() -> None:
    document = DocumentPart("dna.txt", "text/plain", "ACGT" * 10)
    assert cut_to(document, 6).text == "ACGTAC"
    with pytest.raises(ValueError, match="must not be negative"):
        cut_to(document, -1)


def test_cut_to_tokens_fits_the_estimate_with_the_header_and_the_note() -> None:
    document = DocumentPart("book.txt", "text/plain", "word " * 2000)
    fitted = cut_to_tokens(document, 300)
    assert fitted.cut is not None
    assert estimate_part_tokens(fitted) <= 300
    assert estimate_part_tokens(cut_to(document, len(fitted.text) + 10)) > 300
    assert cut_to_tokens(document, 10_000) is document
