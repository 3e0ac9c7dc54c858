"""What every exported workbook shares: readable column widths, bold headers, atomic writes."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MAX_WIDTH = 30  # wider columns wrap: on screen, and so that a printed page fits them legibly
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")


def display_width(value: Any) -> int:
    """Column width in Excel units: CJK and full-width characters take about two."""
    if value is None:
        return 0
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def add_table(
    workbook: Workbook, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Worksheet:
    """One sheet: a bold frozen header row, wrapped cells, columns as wide as their content,
    and printed as staff hand it on: A4 landscape, all columns on one page's width, the
    header row repeated on every page."""
    sheet = workbook.create_sheet(title)
    set_printing(sheet)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    widths = [display_width(header) for header in headers]
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            cell.alignment = WRAP
        widths = [max(w, display_width(v)) for w, v in zip(widths, row, strict=False)]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, MAX_WIDTH)
    fit_row_heights(sheet)
    return sheet


LINE_HEIGHT = 15  # points per line of 11-point text


def fit_row_heights(sheet: Worksheet) -> None:
    """Rows as tall as their wrapped text: Excel and LibreOffice keep a file's heights, so
    without this a wrapped cell prints over the row below."""
    widths = {
        column: (dimension.width or 10) for column, dimension in sheet.column_dimensions.items()
    }
    for row in sheet.iter_rows(min_row=2):
        lines = 1
        for cell in row:
            if not cell.alignment.wrap_text:
                continue  # a group's label runs on across the row instead
            width = widths.get(cell.column_letter, 10)
            text = "" if cell.value is None else str(cell.value)
            needed = sum(
                -(-display_width(part) // max(int(width) - 1, 1)) or 1 for part in text.split("\n")
            )
            lines = max(lines, needed)
        if lines > 1:
            sheet.row_dimensions[row[0].row].height = lines * LINE_HEIGHT


def set_printing(sheet: Worksheet) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as the rows need
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True


def new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    return workbook


def to_bytes(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_atomically(out: Path, data: bytes) -> None:
    """Write aside and rename, so nobody ever picks up a half-written file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(data)
    partial.replace(out)
