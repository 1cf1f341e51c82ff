"""Spreadsheets and CSV files as Markdown tables: the first row is the header, "|" is escaped,
line breaks inside a cell become spaces, trailing empty rows and columns are dropped.

XLSX goes through openpyxl in read-only mode (rows stream from the zip; no whole-workbook
object model) with `data_only=True`, so a formula cell shows the value Excel last computed
(a file never opened in Excel has none: the cell is empty). CSV goes through the stdlib `csv`
module with the dialect sniffed from the first 64 KB.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from desktop_app.attachments.errors import UnreadableFileError
from desktop_app.attachments.limits import Steps

SNIFF_CHARS = 64 * 1024
ROWS_PER_CHECK = 64


def cell_text(value: object) -> str:
    """A cell as text: whole floats without ".0", dates without a midnight time, TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _escape(text: str) -> str:
    text = " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text
    return text.replace("|", "\\|").strip()


def markdown_table(rows: Iterable[Sequence[str]]) -> str:
    """Rows of cell texts → a Markdown table ("" when there is no non-empty cell)."""
    trimmed: list[list[str]] = []
    pending_empty = 0
    for row in rows:
        cells = [_escape(c) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            pending_empty += 1  # kept only if a non-empty row follows
            continue
        if trimmed:
            trimmed.extend([] for _ in range(pending_empty))
        pending_empty = 0
        trimmed.append(cells)
    if not trimmed:
        return ""
    width = max(len(r) for r in trimmed)
    lines = []
    for index, cells in enumerate(trimmed):
        padded = cells + [""] * (width - len(cells))
        lines.append("| " + " | ".join(padded) + " |")
        if index == 0:
            lines.append("|" + " --- |" * width)
    return "\n".join(lines)


def csv_table(text: str, *, tab_separated: bool, steps: Steps) -> str:
    """Decoded CSV (or TSV) text → a Markdown table."""
    dialect = _sniff(text[:SNIFF_CHARS], tab_separated=tab_separated)
    total = text.count("\n") + 1

    def rows() -> Iterator[list[str]]:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline=""), dialect), 1):
            if number % ROWS_PER_CHECK == 0:
                steps.step(number, total)
            yield row

    try:
        table = markdown_table(rows())
    except csv.Error as exc:
        raise UnreadableFileError.because(steps.name, "could not be read as CSV", exc) from exc
    steps.step(total, total)
    return table


def _sniff(sample: str, *, tab_separated: bool) -> type[csv.Dialect] | csv.Dialect:
    if "\n" in sample.rstrip("\n"):
        sample = sample[: sample.rstrip("\n").rfind("\n")]  # whole lines only
    try:
        return csv.Sniffer().sniff(sample, delimiters="\t" if tab_separated else ",;\t|")
    except csv.Error:
        return csv.excel_tab if tab_separated else csv.excel


def xlsx_tables(path: Path, *, steps: Steps) -> str:
    """Every worksheet of a workbook, each under "## Sheet: <name>"."""
    try:
        import openpyxl  # here: ~80 ms of imports only a workbook needs

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises anything from zipfile, KeyError to its own errors
        raise UnreadableFileError.because(steps.name, "could not be read as an Excel workbook", exc) from exc
    try:
        sheets = list(workbook.worksheets)
        total = sum((sheet.max_row or 0) for sheet in sheets) or 1
        counter = _Counter()
        sections: list[str] = []
        for sheet in sheets:
            try:
                table = markdown_table(_sheet_rows(sheet, counter, total, steps))
            except (OSError, ValueError, KeyError) as exc:
                raise UnreadableFileError.because(
                    steps.name, f"sheet {sheet.title!r} could not be read", exc
                ) from exc
            sections.append(f"## Sheet: {sheet.title}\n" + (table or "(empty)"))
        steps.step(max(total, counter.rows), max(total, counter.rows))
        return "\n\n".join(sections)
    finally:
        workbook.close()


class _Counter:
    rows = 0


def _sheet_rows(sheet: Any, counter: _Counter, total: int, steps: Steps) -> Iterator[list[str]]:
    for values in sheet.iter_rows(values_only=True):
        counter.rows += 1
        if counter.rows % ROWS_PER_CHECK == 0:
            steps.step(counter.rows, max(total, counter.rows))
        yield [cell_text(v) for v in values]
