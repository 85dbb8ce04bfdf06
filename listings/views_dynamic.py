"""Pages of dynamic management (动态管理), mounted at /dynamic/: the units' rounds and tables, the authorities'
rounds, the round page with its export, the report page with its review.

Thin: reads through listings.selectors_dynamic (invisible → 404), writes through listings.services_dynamic, whose
Chinese refusals are shown as messages or on the form. Re-checks and removals: views_dynamic_checks.py.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from greenmfg.errors import refusal
from organizations.models import Organization
from organizations.selectors import memberships_of

from . import selectors_dynamic as sel
from .exports_dynamic import round_xlsx
from .forms_dynamic import ExtendForm, ReportForm, ReviewForm, RoundFilterForm, RoundForm, apply_service_errors
from .indicators import change_text, changes_for, display_value, flag_text, indicators_for
from .models import DynamicReport
from .selectors import listings_visible_to
from .services import may_decide
from .services_dynamic import (
    EDITABLE,
    dynamic_report_accept,
    dynamic_report_return,
    dynamic_report_save,
    dynamic_report_start,
    dynamic_report_submit,
    dynamic_round_extend,
    dynamic_round_open,
)

PAGE_SIZE = 25
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def acting_authority(request) -> Organization | None:
    """The authority the user acts for: the acting role's, else the first authority membership."""
    org = request.acting.organization
    if org is not None and org.kind == Organization.Kind.AUTHORITY:
        return org
    return next(
        (m.organization for m in memberships_of(request.user) if m.organization.kind == Organization.Kind.AUTHORITY),
        None,
    )


def acting_unit(request) -> Organization | None:
    org = request.acting.organization
    if org is not None and org.is_applicant:
        return org
    if acting_authority(request) is not None:
        return None
    return next((m.organization for m in memberships_of(request.user) if m.organization.is_applicant), None)


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# ------------------------------------------------------------------------------------------------------------ home


@require_GET
def dynamic_home(request):
    """A unit: its entries' tables, round by round. An authority: the rounds it opened or may read."""
    unit = acting_unit(request)
    now = timezone.now()
    if unit is not None:
        rows = sel.unit_rounds(unit)
        return render(request, "listings/dynamic/home_unit.html", {"unit": unit, "rows": rows, "now": now})
    authority = acting_authority(request)
    if authority is None and not request.user.is_superuser:
        raise Http404
    qs = sel.with_report_counts(sel.dynamic_rounds_visible_to(request.user)).order_by("-year", "-due_at", "-id")
    year = (request.GET.get("year") or "").strip()
    if year.isdigit():
        qs = qs.filter(year=int(year))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "listings/dynamic/home_authority.html",
        {
            "authority": authority,
            "page": page,
            "query": _query(request),
            "year": year,
            "now": now,
            "may_open": authority is not None
            and authority.level in sel.ROUND_LEVELS
            and may_decide(request.user, authority),
        },
    )


# ---------------------------------------------------------------------------------------------------------- rounds


@require_http_methods(["GET", "POST"])
def round_new(request):
    authority = acting_authority(request)
    if authority is None:
        raise Http404
    allowed = authority.level in sel.ROUND_LEVELS and may_decide(request.user, authority)
    initial = {"year": timezone.localdate().year - 1}
    form = RoundForm(request.POST or None, initial=initial)
    if request.method == "POST" and allowed and form.is_valid():
        try:
            round_ = dynamic_round_open(
                actor=request.user,
                authority=authority,
                year=form.cleaned_data["year"],
                due_at=form.moment("due_date", "due_time"),
                title=form.cleaned_data["title"],
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, RoundForm.ALIASES)
        except PermissionDenied as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, f"已组织《{round_.title}》，并通知了名单单位。")
            return redirect("dynamic-round-detail", pk=round_.pk)
    return render(
        request, "listings/dynamic/round_new.html", {"authority": authority, "form": form, "allowed": allowed}
    )


@require_GET
def round_detail(request, pk: int):
    round_ = sel.round_for(request.user, pk)
    now = timezone.now()
    rows = sel.round_rows(round_, request.user)
    whole = sel.sees_whole_round(request.user, round_)
    cities = sel.round_cities(rows) if whole and round_.authority.level != Organization.Level.CITY else []
    form = RoundFilterForm(request.GET, cities=cities)
    form.is_valid()
    filtered = sel.filter_round_rows(rows, round_, getattr(form, "cleaned_data", {}) or {}, now=now)
    page = Paginator(filtered, PAGE_SIZE).get_page(request.GET.get("page"))
    past_due = now > round_.due_at
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.status_code = sel.row_status(row)
        row.status_label = sel.ROW_STATUS[row.status_code]
        row.overdue = past_due and row.status_code in ("none", "draft")
    may_manage = may_decide(request.user, round_.authority)
    return render(
        request,
        "listings/dynamic/round_detail.html",
        {
            "round": round_,
            "page": page,
            "form": form,
            "query": _query(request),
            "counts": sel.round_counts(rows, round_, now=now),
            "past_due": past_due,
            "closed": now > round_.effective_due_at,
            "whole": whole,
            "may_manage": may_manage,
            "extend_form": ExtendForm() if may_manage else None,
        },
    )


@require_GET
def round_export(request, pk: int):
    round_ = sel.round_for(request.user, pk)
    rows = sel.round_rows(round_, request.user, with_values=True)
    rows = sel.filter_round_rows(rows, round_, request.GET)
    content = round_xlsx(round_, list(rows), now=timezone.now())
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"{round_.title}.xlsx")
    return response


@require_POST
def round_extend(request, pk: int):
    round_ = sel.round_for(request.user, pk)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("dynamic-round-detail", pk=round_.pk)
    try:
        round_ = dynamic_round_extend(
            actor=request.user,
            round=round_,
            until=form.moment("until_date", "until_time"),
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, f"已延期至{timezone.localtime(round_.extended_until):%Y年%m月%d日 %H:%M:%S}。")
    return redirect("dynamic-round-detail", pk=round_.pk)


@require_POST
def report_start(request, pk: int, listing_id: int):
    round_ = sel.round_for(request.user, pk)
    listing = get_object_or_404(listings_visible_to(request.user), pk=listing_id)
    try:
        report = dynamic_report_start(actor=request.user, round=round_, listing=listing, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
        return redirect("dynamic-home")
    return redirect("dynamic-report-detail", pk=report.pk)


# --------------------------------------------------------------------------------------------------------- reports


def indicator_table(report: DynamicReport, previous: DynamicReport | None) -> list[dict]:
    flagged = {f.get("code"): f for f in report.flags or []}
    rows = []
    for ind in indicators_for(report.listing.category):
        rows.append(
            {
                "definition": ind,
                "value": display_value(ind, (report.indicators or {}).get(ind.code)),
                "previous": display_value(ind, (previous.indicators or {}).get(ind.code)) if previous else "",
                "flag": flagged.get(ind.code),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def report_detail(request, pk: int):
    report = sel.report_for(request.user, pk)
    listing = report.listing
    is_unit = any(m.organization_id == listing.organization_id for m in memberships_of(request.user))
    editable = is_unit and report.status in EDITABLE
    form = None
    if editable:
        form = ReportForm(request.POST or None, category=listing.category, initial=ReportForm.initial_from(report))
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            submit = request.POST.get("action") == "submit"
            try:
                report = dynamic_report_save(
                    actor=request.user,
                    report=report,
                    indicators=form.indicators(),
                    changes=form.changes(),
                    note=form.cleaned_data["note"],
                    request=request,
                )
            except ValidationError as exc:
                form.apply(exc)
                messages.error(request, "未保存：请按提示修改。")
            except PermissionDenied as exc:
                messages.error(request, refusal(exc))
            else:
                if not submit:
                    messages.success(request, "已保存草稿。")
                    return redirect("dynamic-report-detail", pk=report.pk)
                try:
                    report = dynamic_report_submit(actor=request.user, report=report, request=request)
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        form.apply(exc)
                    messages.error(request, f"已保存草稿，但未能提交：{refusal(exc)}")
                except PermissionDenied as exc:
                    messages.error(request, refusal(exc))
                else:
                    messages.success(
                        request,
                        "已提交动态管理表。" + ("（逾期提交）" if report.late else ""),
                    )
                    return redirect("dynamic-report-detail", pk=report.pk)
    previous = sel.previous_report(report)
    round_ = report.round
    may_review = may_decide(request.user, round_.authority)
    return render(
        request,
        "listings/dynamic/report_detail.html",
        {
            "report": report,
            "round": round_,
            "listing": listing,
            "form": form,
            "is_unit": is_unit,
            "previous": previous,
            "table": indicator_table(report, previous),
            "flags": [flag_text(f) for f in report.flags or []],
            "changes": _changes(report),
            "review_form": ReviewForm() if may_review and report.status == DynamicReport.Status.SUBMITTED else None,
            "may_act": _authority_may_act(request),
            "closed": timezone.now() > round_.effective_due_at,
            "dynamic": sel.listing_dynamic(listing, request.user),
        },
    )


def _authority_may_act(request) -> bool:
    authority = acting_authority(request)
    return authority is not None and may_decide(request.user, authority)


def _changes(report: DynamicReport) -> list[tuple]:
    return [(c, change_text((report.changes or {}).get(c.code))) for c in changes_for(report.listing.category)]


@require_POST
def report_review(request, pk: int):
    report = sel.report_for(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("dynamic-report-detail", pk=report.pk)
    service = dynamic_report_accept if form.cleaned_data["decision"] == "accept" else dynamic_report_return
    try:
        report = service(actor=request.user, report=report, opinion=form.cleaned_data["opinion"], request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, f"{report.listing.display_name}：{report.get_status_display()}。")
    return redirect("dynamic-report-detail", pk=report.pk)
