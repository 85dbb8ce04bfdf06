"""List pages: the public lists (no login), the authority's list with removed entries and its xlsx export, and the
page of one entry with its history and the manual rename form.

Thin: reads through listings.selectors (listings_visible_to, listings_public), writes through listings.services.
An entry the user may not see is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from applications.selectors import applications_visible_to
from greenmfg.errors import refusal
from organizations.models import Organization

from . import selectors as sel
from .forms import RenameForm
from .imports import can_import
from .models import Listing
from .services import listing_rename, renaming_authority

PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CATEGORY_CHOICES = Listing._meta.get_field("category").choices
PUBLIC_KEYS = ("level", "category", "year", "province", "city", "q")


def _params(request, keys) -> dict[str, str]:
    return {k: request.GET.get(k, "").strip()[:64] for k in keys}


def _query(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v})


def _filters(base, params: dict[str, str]) -> dict:
    """What the filter bar offers: years and provinces of the entries, cities of the chosen province."""
    return {
        "params": params,
        "query": _query(params),
        "levels": Listing.Level.choices,
        "categories": CATEGORY_CHOICES,
        "statuses": Listing.Status.choices,
        "sources": Listing.Source.choices,
        "years": sel.list_years(base),
        "provinces": sel.provinces_of(base),
        "cities": sel.cities_of(base, params.get("province", "")),
    }


def _rows(page) -> list[dict]:
    return [{"listing": entry, "regions": sel.region_names(entry)} for entry in page.object_list]


# ----------------------------------------------------------------------------------------------- public page


@login_not_required
@require_GET
def public_list(request):
    """The lists in effect (removed entries are not shown), with filters and counts; no credit codes."""
    base = sel.listings_public()
    params = _params(request, PUBLIC_KEYS)
    qs = sel.listings_filter(base, params).order_by("-year", "level", "category", "name", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _filters(base, params)
    context.update(page=page, rows=_rows(page), counts=sel.category_counts(qs))
    return render(request, "listings/public_list.html", context)


# ------------------------------------------------------------------------------------------- authority pages


LIST_KEYS = ("level", "category", "year", "province", "city", "status", "source", "q")


@require_GET
def listing_list(request):
    base = sel.listings_visible_to(request.user)
    params = _params(request, LIST_KEYS)
    qs = sel.listings_filter(base, params).order_by("-year", "level", "category", "name", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _filters(base, params)
    context.update(
        page=page,
        rows=_rows(page),
        counts=sel.category_counts(qs),
        can_import=request.user.is_superuser or _acting_can_import(request),
        is_authority=_acting_authority(request) is not None or request.user.is_superuser,
    )
    return render(request, "listings/list.html", context)


EXPORT_HEADER = (
    "序号",
    "单位名称",
    "入选时名称",
    "统一社会信用代码",
    "类别",
    "名单层级",
    "年度",
    "所在地区",
    "列入日期",
    "批次/文号",
    "决定单位",
    "来源",
    "状态",
    "移出日期",
    "移出原因",
    "移出决定单位",
)


@require_GET
def listing_export(request):
    """The filtered list as xlsx, every row the user may see (not only the page shown)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    params = _params(request, LIST_KEYS)
    qs = sel.listings_filter(sel.listings_visible_to(request.user), params).order_by(
        "-year", "level", "category", "name", "id"
    )
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = "绿色制造名单"
    sheet.append(EXPORT_HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, entry in enumerate(qs.iterator(chunk_size=2000), start=1):
        sheet.append(
            [
                number,
                entry.display_name,
                entry.name,
                entry.credit_code,
                entry.get_category_display(),
                entry.get_level_display(),
                entry.year,
                " ".join(sel.region_names(entry)),
                entry.listed_on,
                entry.reference,
                entry.authority.name,
                entry.get_source_display(),
                entry.get_status_display(),
                entry.removed_on,
                entry.removal_reason,
                entry.removal_authority.name if entry.removal_authority else "",
            ]
        )
    for column, width in zip(
        "ABCDEFGHIJKLMNOP", (6, 36, 36, 22, 20, 10, 8, 24, 12, 24, 24, 14, 8, 12, 36, 24), strict=True
    ):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for index in (8, 13):  # 列入日期, 移出日期
            row[index].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    return xlsx_response(book, f"绿色制造名单_{timezone.localtime():%Y%m%d-%H%M}.xlsx")


def xlsx_response(book_or_bytes, filename: str) -> FileResponse:
    """An xlsx download from an openpyxl workbook or the bytes of one."""
    from io import BytesIO

    if isinstance(book_or_bytes, bytes):
        buffer = BytesIO(book_or_bytes)
    else:
        buffer = BytesIO()
        book_or_bytes.save(buffer)
        buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=filename, content_type=XLSX)


def _acting_can_import(request) -> bool:
    acting = request.acting.organization
    return acting is not None and can_import(request.user, acting)


def _acting_authority(request) -> Organization | None:
    org = request.acting.organization
    return org if org is not None and org.kind == Organization.Kind.AUTHORITY else None


def _rename_authority(request, listing: Listing) -> Organization | None:
    """The acting authority when it may rename the entry; a superuser not acting for one renames for the list's."""
    acting = _acting_authority(request)
    if acting is None and not request.user.is_superuser:
        return None
    return renaming_authority(request.user, listing, acting)


def _detail_context(request, listing: Listing, form=None) -> dict:
    application_visible = bool(
        listing.application_id and applications_visible_to(request.user).filter(pk=listing.application_id).exists()
    )
    batch_visible = bool(
        listing.import_batch_id and sel.imports_visible_to(request.user).filter(pk=listing.import_batch_id).exists()
    )
    authority = _rename_authority(request, listing)
    if authority is not None and form is None:
        form = RenameForm()
    return {
        "listing": listing,
        "regions": sel.region_names(listing),
        "renames": list(listing.renames.all()),
        "application_visible": application_visible,
        "batch_visible": batch_visible,
        "rename_authority": authority,
        "form": form if authority is not None else None,
    }


@require_GET
def listing_detail(request, pk: int):
    listing = sel.listing_for(request.user, pk)
    return render(request, "listings/detail.html", _detail_context(request, listing))


@require_POST
def listing_rename_view(request, pk: int):
    listing = sel.listing_for(request.user, pk)
    authority = _rename_authority(request, listing)
    if authority is None:
        messages.error(request, "您无权变更该名单单位的名称：须以辖区主管部门审核人或管理员身份办理。")
        return redirect("listing-detail", pk=listing.pk)
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            listing_rename(
                actor=request.user, listing=listing, authority=authority, request=request, **form.cleaned_data
            )
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, f"已登记更名：{form.cleaned_data['new_name']}。")
            return redirect("listing-detail", pk=listing.pk)
    messages.error(request, "更名未能登记，请按提示修改。")
    listing = sel.listing_for(request.user, pk)
    return render(request, "listings/detail.html", _detail_context(request, listing, form), status=400)
