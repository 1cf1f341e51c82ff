"""PDF (text, pages without text, rendering), DOCX, XLSX, CSV and HTML, each from a file the
test writes itself, with the exact text expected."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from PIL import Image

from desktop_app.attachments import (
    AttachmentLimits,
    FileTooLargeError,
    UnreadableFileError,
    UnsupportedFileError,
    prepare_file,
    render_pdf_pages,
)
from desktop_app.core.attachments import DocumentPart, page_ranges
from tests.unit.attachments.files import make_docx, make_pdf


def document(path: Path) -> DocumentPart:
    part = prepare_file(path).part
    assert isinstance(part, DocumentPart)
    return part


# ---------------------------------------------------------------------------------------- PDF


def test_a_text_pdf_is_read_page_by_page(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "report.pdf", ["First page", "Second (page)", "Third page"])
    prepared = prepare_file(path)
    part = prepared.part
    assert isinstance(part, DocumentPart)
    assert (part.name, part.mime, part.pages) == ("report.pdf", "application/pdf", 3)
    assert part.text == "[page 1]\nFirst page\n\n[page 2]\nSecond (page)\n\n[page 3]\nThird page"
    assert part.notes == ()
    assert prepared.textless_pages == ()


def test_pages_without_text_are_counted_named_and_can_be_rendered(tmp_path: Path) -> None:
    pages = ["Intro", None, "Middle", None, None, "End", None]
    path = make_pdf(tmp_path / "scan.pdf", pages)
    prepared = prepare_file(path)
    part = prepared.part
    assert isinstance(part, DocumentPart)
    assert part.notes == ("4 of 7 pages have no text — scanned?", "Pages without text: 2, 4–5, 7.")
    assert prepared.textless_pages == (2, 4, 5, 7)
    assert part.text == "[page 1]\nIntro\n\n[page 3]\nMiddle\n\n[page 6]\nEnd"

    images = render_pdf_pages(path, prepared.textless_pages[:2], AttachmentLimits(max_image_side=400))
    assert [(i.name, i.mime, i.height) for i in images] == [
        ("scan — page 2.png", "image/png", 400),
        ("scan — page 4.png", "image/png", 400),
    ]
    with Image.open(io.BytesIO(images[0].data)) as rendered:
        assert rendered.format == "PNG"
        assert rendered.size == (images[0].width, images[0].height)
        assert images[0].width == pytest.approx(400 * 612 / 792, abs=1)
        # The red pixel of the 2×2 image, drawn 300 pt wide from (150, 250) pt on the page.
        red = rendered.convert("RGB").getpixel((round(200 * 400 / 792), round((792 - 500) * 400 / 792)))
        assert red == (255, 0, 0)


def test_rendering_stays_at_150_dpi_for_a_large_limit(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "one.pdf", [None])
    (image,) = render_pdf_pages(path, [1])
    assert (image.width, round(image.height, -1)) == (1275, 1650)  # letter at 150 dpi


def test_a_single_scanned_page_says_so_in_the_singular(tmp_path: Path) -> None:
    part = document(make_pdf(tmp_path / "scan.pdf", [None]))
    assert part.notes == ("1 of 1 page has no text — scanned?", "Pages without text: 1.")


def test_rendering_a_page_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "two.pdf", ["a", "b"])
    with pytest.raises(ValueError, match=r"^two\.pdf has 2 pages; there is no page 3$"):
        render_pdf_pages(path, [3])


def test_a_damaged_pdf_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n")
    with pytest.raises(UnreadableFileError, match=r"^broken\.pdf: could not be read as a PDF \("):
        prepare_file(path)


def test_page_ranges() -> None:
    assert page_ranges([9, 2, 5, 6, 7]) == "2, 5–7, 9"
    assert page_ranges([1]) == "1"


# --------------------------------------------------------------------------------------- DOCX

BODY = (
    '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Quarterly report</w:t></w:r></w:p>'
    '<w:p><w:r><w:t xml:space="preserve">Sales rose </w:t></w:r><w:r><w:rPr><w:b/></w:rPr>'
    "<w:t>12%</w:t></w:r><w:r><w:tab/><w:t>(est.)</w:t><w:br/><w:t>New line</w:t></w:r></w:p>"
    "<w:p><w:r><w:t>Kept </w:t></w:r><w:del><w:r><w:delText>deleted</w:delText></w:r></w:del>"
    '<w:ins><w:r><w:t>inserted</w:t></w:r></w:ins><w:hyperlink r:id="x" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<w:r><w:t> link</w:t></w:r></w:hyperlink></w:p>"
    '<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
    "<w:r><w:t>a list item</w:t></w:r></w:p>"
    "<w:p/>"
    "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Region</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>Total</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:p><w:r><w:t>North|East</w:t></w:r></w:p></w:tc>"
    "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p><w:p><w:r><w:t>200</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    "<w:sdt><w:sdtContent><w:p><w:r><w:t>In a content control</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    "<w:p><w:r><w:fldChar/><w:instrText>PAGE</w:instrText><w:t>The end</w:t></w:r></w:p>"
    "<w:sectPr/>"
)


def test_docx_paragraphs_headings_lists_tabs_breaks_and_tables(tmp_path: Path) -> None:
    part = document(make_docx(tmp_path / "report.docx", BODY))
    assert part.mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert part.text == (
        "# Quarterly report\n\n"
        "Sales rose 12%\t(est.)\nNew line\n\n"
        "Kept inserted link\n\n"
        "- a list item\n\n"
        "| Region | Total |\n| --- | --- |\n| North\\|East | 1 200 |\n\n"
        "In a content control\n\n"
        "The end"
    )


def test_a_docx_is_known_by_its_content_not_its_name(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "renamed.bin", "<w:p><w:r><w:t>hello</w:t></w:r></w:p>")
    assert document(path).text == "hello"


def test_a_docx_whose_text_unpacks_too_far_is_refused(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "bomb.docx", "<w:p><w:r><w:t>" + "a" * 200_000 + "</w:t></w:r></w:p>")
    with pytest.raises(
        FileTooLargeError, match=r"^bomb\.docx: its text unpacks to 200\.\d KB; the limit is 40 KB$"
    ):
        prepare_file(path, AttachmentLimits(max_file_bytes=2000))


def test_other_zip_files_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "stuff.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "x")
    with pytest.raises(
        UnsupportedFileError, match=r"^stuff\.zip: ZIP archives are not supported — unpack it"
    ):
        prepare_file(path)
    slides = tmp_path / "talk.pptx"
    with zipfile.ZipFile(slides, "w") as archive:
        archive.writestr("ppt/presentation.xml", "<p/>")
    with pytest.raises(UnsupportedFileError, match=r"^talk\.pptx: PowerPoint files are not supported"):
        prepare_file(slides)


# --------------------------------------------------------------------------------- XLSX and CSV


def test_xlsx_every_sheet_as_a_table_with_its_name(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Budget"
    first.append(["Item", "Cost", "Paid", "When"])
    first.append(["Rent", 1200.0, True, dt.datetime(2024, 3, 1)])
    first.append(["Food", 310.5, False, dt.datetime(2024, 3, 2, 18, 30)])
    first.append(["Formula", "=B2*2", None, None])
    first.append([None, None, None, None])
    workbook.create_sheet("Empty")
    notes = workbook.create_sheet("Notes")
    notes["A1"] = "Line one\nline two"
    notes["C3"] = "far"
    path = tmp_path / "budget.xlsx"
    workbook.save(path)

    part = document(path)
    assert part.mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert part.text == (
        "## Sheet: Budget\n"
        "| Item | Cost | Paid | When |\n| --- | --- | --- | --- |\n"
        "| Rent | 1200 | TRUE | 2024-03-01 |\n"
        "| Food | 310.5 | FALSE | 2024-03-02 18:30:00 |\n"
        "| Formula |  |  |  |\n\n"  # a formula never computed by a spreadsheet app has no value
        "## Sheet: Empty\n(empty)\n\n"
        "## Sheet: Notes\n"
        "| Line one line two |  |  |\n| --- | --- | --- |\n|  |  |  |\n|  |  | far |"
    )


def test_csv_with_a_sniffed_dialect_and_quoted_fields(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        'name;city;note\r\n"Smith; John";Berlin;"two\r\nlines"\r\nAnna;Wien;\r\n\r\n', encoding="utf-8"
    )
    part = document(path)
    assert part.mime == "text/csv"
    assert part.text == (
        "| name | city | note |\n| --- | --- | --- |\n"
        "| Smith; John | Berlin | two lines |\n| Anna | Wien |  |"
    )


def test_tsv_and_a_legacy_encoded_csv(tmp_path: Path) -> None:
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a\tb\n1\t2\n", encoding="utf-8")
    assert document(tsv).text == "| a | b |\n| --- | --- |\n| 1 | 2 |"
    legacy = tmp_path / "cafés.csv"
    legacy.write_bytes("plat,prix\ncrème brûlée,7\ncafé au lait,3\n".encode("cp1252") * 3)
    part = document(legacy)
    assert part.text.startswith("| plat | prix |\n| --- | --- |\n| crème brûlée | 7 |")
    assert part.notes == ("Not UTF-8: read as cp1252 (a guess from the bytes).",)


# --------------------------------------------------------------------------------------- HTML


def test_html_as_text_without_scripts_and_styles(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>The  Page</title><style>p{color:red}</style>"
        "<script>alert('x')</script></head><body><h1>Hello &amp; welcome</h1>"
        "<p>Some   <b>bold</b>\n text.<br>Next line</p><ul><li>one</li><li>two</li></ul>"
        "<pre>  keep\n    this</pre><table><tr><td>a</td><td>b</td></tr></table>"
        "<noscript>no</noscript></body></html>",
        encoding="utf-8",
    )
    part = document(path)
    assert part.mime == "text/html"
    assert part.text == (
        "# The Page\n\nHello & welcome\nSome bold text.\nNext line\n- one\n- two\n  keep\n    this\na | b"
    )


def test_html_declaring_its_charset_is_read_in_it(tmp_path: Path) -> None:
    path = tmp_path / "old.htm"
    path.write_bytes(
        '<html><head><meta charset="windows-1251"></head><body><p>Привет</p></body></html>'.encode("cp1251")
    )
    part = document(path)
    assert (part.text, part.notes) == ("Привет", ())
