"""A statistics table as xlsx: a title row, the filters it was made with, Chinese headers, the rows and the total.

The table comes from stats.tables, the same object the page renders. openpyxl is imported inside the function
(through the portal's spreadsheet house style), so importing this module costs nothing.
"""

from datetime import datetime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_WIDTH = 30
FIGURE_WIDTH = 13
HEADER_ROW = 3  # title, filters, headers


def table_xlsx(table, filters_text: str, *, exporter: str, at: datetime) -> bytes:
    from documents.renderers.xlsx_style import Book

    widths = [TEXT_WIDTH if i < table.text_columns else FIGURE_WIDTH for i in range(len(table.headers))]
    book = Book()
    sheet = book.sheet(table.title, widths, freeze=f"A{HEADER_ROW + 1}")
    sheet.merged(table.title, "gm_title", height=30)
    exported = f"导出单位：{exporter}；导出时间：{at:%Y-%m-%d %H:%M}"
    sheet.merged(f"{filters_text}。{exported}", "gm_meta", height=36)
    sheet.row(table.headers, "gm_header")
    styles = ["gm_cell"] * table.text_columns + ["gm_center"] * (len(table.headers) - table.text_columns)
    for row in table.rows:
        sheet.row([_value(v) for v in row], styles)
    if table.total:
        sheet.row([_value(v) for v in table.total], ["gm_section"] * table.text_columns + styles[table.text_columns :])
    sheet.repeat_rows(HEADER_ROW, HEADER_ROW)
    return book.save()


def _value(value):
    """Figures stay numbers (they sort and sum in the spreadsheet); a missing rate is a dash as on the page."""
    return "—" if value is None else value
