"""Import pages of historical lists, for the approvers and admins of city, province and ministry authorities (and
superusers); anyone else gets a 404. The upload is checked by content (xlsx only) and read by listings.imports; the
result page lists what loaded, what was skipped as already listed, and every row error with row number and column.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from greenmfg.errors import refusal
from organizations.models import Organization

from . import selectors as sel
from .forms import ImportForm
from .imports import (
    COLUMNS,
    can_import,
    levels_help,
    listings_import,
    row_errors,
    row_notes,
    template_xlsx,
)
from .views import xlsx_response

PAGE_SIZE = 20


def _importer_authority(request) -> Organization | None:
    """The acting authority when its approver or admin may import for it; None for a superuser, who picks one.
    Anyone else (also a member of an importing authority acting in another role) gets a 404."""
    acting = request.acting.organization
    if acting is not None and can_import(request.user, acting):
        return acting
    if request.user.is_superuser:
        return None
    raise Http404


def _error_rows(batch) -> int:
    return len({e["row"] for e in row_errors(batch)})


@require_http_methods(["GET", "POST"])
def import_page(request):
    authority = _importer_authority(request)
    form = ImportForm(request.POST or None, request.FILES or None, choose_authority=authority is None)
    if request.method == "POST" and form.is_valid():
        target = authority or form.cleaned_data["authority"]
        try:
            batch = listings_import(
                actor=request.user, authority=target, upload=form.cleaned_data["file"], request=request
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            text = f"已导入{batch.rows_loaded}条，已在名单中跳过{batch.rows_skipped}条"
            bad = _error_rows(batch)
            if bad:
                messages.warning(request, f"{text}，{bad}行有错误未导入，见下方列表。")
            else:
                messages.success(request, f"{text}。")
            return redirect("listing-import-detail", pk=batch.pk)
    qs = sel.imports_visible_to(request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for batch in page.object_list:
        batch.error_rows = _error_rows(batch)
    return render(
        request,
        "listings/import.html",
        {
            "form": form,
            "page": page,
            "authority": authority,
            "levels": levels_help(authority) if authority else "市级、省级、国家级",
            "columns": COLUMNS,
        },
        status=400 if form.errors else 200,
    )


@require_GET
def import_template(request):
    _importer_authority(request)
    return xlsx_response(template_xlsx(), "绿色制造名单导入模板.xlsx")


@require_GET
def import_detail(request, pk: int):
    batch = sel.import_for(request.user, pk)
    entries = batch.listings.select_related("organization").order_by("id")[:200]
    return render(
        request,
        "listings/import_detail.html",
        {
            "batch": batch,
            "row_errors": row_errors(batch),
            "row_notes": row_notes(batch),
            "error_rows": _error_rows(batch),
            "created": list(batch.created_organizations.order_by("name")),
            "entries": entries,
        },
    )
