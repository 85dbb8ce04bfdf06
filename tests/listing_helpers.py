"""List entries for tests. Entries from the review chain come from reviews' final decision (tests/test_publicity*);
these are rows as a historical import leaves them, for tests of the lists themselves."""

import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from listings.models import Listing

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def listing(organization, authority, *, category="factory", level="city", year=2023, status="active", **fields):
    fields.setdefault("listed_on", date(year, 12, 31))
    if status == Listing.Status.REMOVED:
        fields.setdefault("removed_on", date(year + 1, 6, 30))
        fields.setdefault("removal_reason", "动态管理复核不合格")
        fields.setdefault("removal_authority", authority)
    return Listing.objects.create(
        organization=organization,
        name=organization.name,
        credit_code=organization.credit_code,
        category=category,
        level=level,
        year=year,
        authority=authority,
        status=status,
        source=Listing.Source.IMPORT,
        **fields,
    )


def xlsx_upload(rows, *, name="名单.xlsx", header=None):
    """An xlsx of the import layout: the header row, then `rows` (lists of cell values)."""
    from openpyxl import Workbook

    from listings.imports import COLUMNS

    book = Workbook()
    sheet = book.active
    sheet.append(header or [c.label for c in COLUMNS])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def read_xlsx(content: bytes) -> list[list]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]
