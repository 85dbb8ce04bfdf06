"""The house style of the portal's spreadsheets: named styles (official faces, thin borders, wrapping), A4 print
set-up, and a write-only sheet that keeps count of its rows for merges and print titles.

Write-only mode streams rows instead of building a cell grid, which keeps a 2,000-row table close to the speed of
writing bare values; each cell reuses the style array of a named style instead of a new Font per cell. openpyxl is
imported inside the functions, so importing this module costs nothing where no spreadsheet is written.
"""

import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from documents.fonts import FAMILIES

BODY = FAMILIES["fangsong"]  # 仿宋_GB2312: Excel falls back itself where the face is missing
HEAD = FAMILIES["heiti"]  # 黑体
TITLE = FAMILIES["xiaobiaosong"]  # 方正小标宋简体, the face of 公文 titles

# name → (font face, size, bold, horizontal alignment, border: "" none / "thin" / "line" thin with a thick bottom)
STYLES = {
    "gm_title": (TITLE, 16, True, "center", ""),
    "gm_subtitle": (BODY, 12, False, "center", ""),
    "gm_meta": (BODY, 12, False, "left", ""),
    "gm_section": (HEAD, 12, False, "left", "thin"),
    "gm_header": (HEAD, 11, False, "center", "thin"),
    "gm_cell": (BODY, 11, False, "left", "thin"),
    "gm_center": (BODY, 11, False, "center", "thin"),
    "gm_cell_line": (BODY, 11, False, "left", "line"),
    "gm_center_line": (BODY, 11, False, "center", "line"),
    "gm_footer": (BODY, 14, False, "left", ""),
    "gm_footer_center": (BODY, 14, False, "center", ""),
}
BAD_TITLE_CHARS = re.compile(r"[\[\]:*?/\\]")


def date_text(value: date | None) -> str:
    """GB/T 9704 dates: Arabic numerals without padding, 2024年5月7日; none gives the blank 年 月 日 to fill in."""
    if value is None:
        return "年 月 日"
    return f"{value.year}年{value.month}月{value.day}日"


def number(value):
    """A score kept as text in the data ("86.5") becomes a number cell, so it sorts and sums; "" stays empty."""
    if value in ("", None):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique sheet title: no []:*?/\\, at most 31 characters, numbered when taken."""
    base = BAD_TITLE_CHARS.sub("", name).strip("' ") or "Sheet"
    title, n = base[:31], 1
    while title in used:
        n += 1
        suffix = f"({n})"
        title = base[: 31 - len(suffix)] + suffix
    used.add(title)
    return title


class Book:
    """A write-only workbook with the house styles registered once."""

    def __init__(self):
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side

        self.wb = Workbook(write_only=True)
        thin = Side(style="thin", color="000000")
        thick = Side(style="medium", color="C00000")
        borders = {
            "": Border(),
            "thin": Border(left=thin, right=thin, top=thin, bottom=thin),
            "line": Border(left=thin, right=thin, top=thin, bottom=thick),
        }
        probe = SimpleNamespace(parent=self.wb)  # a cell only asks its sheet for the workbook
        self.arrays = {}
        for name, (face, size, bold, horizontal, border) in STYLES.items():
            style = NamedStyle(
                name=name,
                font=Font(name=face, size=size, bold=bold),
                # left-aligned table text keeps one character off the border
                alignment=Alignment(
                    horizontal=horizontal,
                    vertical="center",
                    wrap_text=True,
                    indent=int(bool(border) and horizontal == "left"),
                ),
                border=borders[border],
            )
            self.wb.add_named_style(style)
            cell = WriteOnlyCell(probe)
            cell.style = name
            self.arrays[name] = cell._style  # the named style's array, copied into each cell made with it
        self.titles: set[str] = set()

    def sheet(self, title: str, widths: list[float], *, freeze: str | None = None, landscape: bool = True):
        return Sheet(self, sheet_title(title, self.titles), widths, freeze=freeze, landscape=landscape)

    def save(self) -> bytes:
        out = io.BytesIO()
        self.wb.save(out)
        return out.getvalue()


class Sheet:
    """One worksheet written top to bottom. Column widths, frozen panes and print set-up are fixed before the
    first row (write-only mode writes them at the top of the sheet)."""

    def __init__(self, book: Book, title: str, widths: list[float], *, freeze=None, landscape=True):
        from openpyxl.cell import Cell
        from openpyxl.utils import get_column_letter

        self.book, self.ncols, self.rows, self.widths = book, len(widths), 0, list(widths)
        self._cell = Cell
        self.ws = ws = book.wb.create_sheet(title)
        if hasattr(ws, "_values_to_row"):
            ws._values_to_row = _placed  # rows of ready cells: skip openpyxl's per-value conversion attempt
        self.letters = [get_column_letter(i) for i in range(1, self.ncols + 1)]
        for letter, width in zip(self.letters, widths, strict=True):
            ws.column_dimensions[letter].width = width
        if freeze:
            ws.freeze_panes = freeze
        ws.sheet_format.defaultRowHeight = MIN_ROW
        ws.sheet_format.customHeight = True
        # A4 (paperSize 9), fitted to the page width, as many pages down as it takes, centred, page numbers
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.6
        ws.page_margins.top = ws.page_margins.bottom = 0.75
        ws.page_margins.header = ws.page_margins.footer = 0.3
        ws.HeaderFooter.oddFooter.center.text = "第 &P 页，共 &N 页"
        ws.HeaderFooter.oddFooter.center.font = BODY

    def cell(self, value, style: str):
        return self._cell(self.ws, row=1, column=1, value=value, style_array=self.book.arrays[style])

    def row(self, values, styles, *, height: float | None = None) -> int:
        """Append one row; `styles` is one style name for all cells or one per cell. Returns its number. Without
        a height, the row is made tall enough for its longest wrapped text (see fit_height)."""
        if isinstance(styles, str):
            styles = [styles] * len(values)
        self.rows += 1
        height = height or fit_height(values, self.widths)
        if height != MIN_ROW:  # the sheet's default row height (set below); most rows need no row element of their own
            self.ws.row_dimensions[self.rows].height = height
        arrays = self.book.arrays
        make, ws = self._cell, self.ws
        self.ws.append(
            [make(ws, row=1, column=1, value=v, style_array=arrays[s]) for v, s in zip(values, styles, strict=True)]
        )
        return self.rows

    def merged(self, text, style: str, *, first: int = 1, last: int | None = None, height=None) -> int:
        """A row whose cells first..last (1-based) are merged into one holding `text`; the covered cells carry
        the style too, so a bordered merge is bordered all round."""
        last = last or self.ncols
        cells = [None] * self.ncols
        for i in range(first - 1, last):
            cells[i] = self.cell(text if i == first - 1 else None, style)
        self.rows += 1
        if height:
            self.ws.row_dimensions[self.rows].height = height
        self.ws.append(cells)
        if last > first:
            self.ws.merged_cells.add(f"{self.letters[first - 1]}{self.rows}:{self.letters[last - 1]}{self.rows}")
        return self.rows

    def blank(self, height: float | None = None) -> int:
        self.rows += 1
        if height:
            self.ws.row_dimensions[self.rows].height = height
        self.ws.append([])
        return self.rows

    def repeat_rows(self, first: int, last: int) -> None:
        """Rows printed at the top of every page."""
        self.ws.print_title_rows = f"{first}:{last}"

    def autofilter(self, header_row: int) -> None:
        self.ws.auto_filter.ref = f"A{header_row}:{self.letters[-1]}{max(self.rows, header_row)}"


LINE = 15.0  # points a wrapped line of 11 pt text takes
MIN_ROW = 20.0  # body rows a little taller than Excel's default 15 pt: easier to read and to annotate by hand


def fit_height(values, widths) -> float:
    """Row height for the longest wrapped cell, written rather than left to the spreadsheet program: merged rows
    are never fitted, and a written height prints alike in Excel and LibreOffice. A CJK character of 11 pt is
    about 2.1 width units (14.7 px against 7 px a unit), anything else about 1.1; UTF-8 makes CJK three bytes, so
    the count needs no loop over characters. Erring tall is harmless, short would hide text."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if not isinstance(value, str) or ("\n" not in value and len(value) * 2.1 <= width - 1):
            continue
        count = 0
        for part in value.split("\n"):
            chars = len(part)
            wide = (len(part.encode("utf-8")) - chars) // 2
            count += max(1, -int(-(wide * 2.1 + (chars - wide) * 1.1) // (width - 1)))
        lines = max(lines, count)
    return max(MIN_ROW, lines * LINE + 5)


def _placed(cells, row_idx):
    """openpyxl's write-only append tries each value as a plain value first and takes a Cell only after that
    fails with an exception (one per cell, most of the render time); our rows are ready cells, so place them."""
    for col_idx, cell in enumerate(cells, 1):
        if cell is not None:
            cell.row, cell.column = row_idx, col_idx
            yield cell


def progress_every(progress, total: int, step: int = 500):
    """A callable(done) that reports progress(fraction) every `step` rows, or nothing when no progress is given."""
    if progress is None or total <= 0:
        return lambda done: None

    def report(done: int) -> None:
        if done % step == 0:
            progress(done / total)

    return report
