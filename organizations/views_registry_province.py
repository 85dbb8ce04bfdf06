"""The province's (and the ministry's) pages of the assessor registry, mounted at /assessors/: the registry list with
its xlsx export, one assessor's record (filings, reports, blacklist, cap use), the annual report calls and their
tracking, and the blacklist. A user who is neither a province's nor the ministry's member gets 404.

Thin: reads through selectors_registry, writes through services_registry.
"""

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from greenmfg.errors import refusal

from . import selectors_registry as sel
from . import services_registry as services
from .forms_registry import (
    BlacklistFilterForm,
    BlacklistForm,
    CallForm,
    LiftForm,
    RegistryFilterForm,
    apply_service_errors,
)
from .models import AssessorAnnualReport, AssessorFiling, Organization

PAGE_SIZE = 20
STATUS_ORDER = Case(
    When(status=AssessorFiling.Status.SUBMITTED, then=Value(0)),
    When(status=AssessorFiling.Status.APPROVED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def _require_reader(request) -> None:
    if not sel.is_registry_reader(request.user):
        raise Http404


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# ------------------------------------------------------------------------------------------------ registry


def _registry_rows(request):
    everything = sel.reads_everything(request.user)
    form = RegistryFilterForm(request.GET, provinces=sel.filing_provinces() if everything else None)
    qs = sel.latest_filings(sel.filings_visible_to(request.user))
    qs = sel.with_registry_state(sel.filter_filings(qs, **form.values()))
    return form, qs.order_by(STATUS_ORDER, "-submitted_at", "-id")


@require_GET
def registry_list(request):
    _require_reader(request)
    form, qs = _registry_rows(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    waiting = sel.filings_visible_to(request.user).filter(status=AssessorFiling.Status.SUBMITTED).count()
    return render(
        request,
        "organizations/registry/list.html",
        {
            "form": form,
            "page": page,
            "query": _query(request),
            "waiting": waiting,
            "last_year": timezone.localdate().year - 1,
        },
    )


EXPORT_COLUMNS = [
    "序号",
    "评价机构",
    "统一社会信用代码",
    "法定代表人",
    "备案主管部门",
    "备案状态",
    "中级职称以上专职人员",
    "相关专业高级职称人员",
    "基本条件",
    "提交时间",
    "审核时间",
    "审核意见/撤销理由",
    "黑名单",
    "上年度工作情况",
]


@require_GET
def registry_export(request):
    """The registry as filtered, every row (not one page), as xlsx."""
    _require_reader(request)
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    _, qs = _registry_rows(request)
    wb = Workbook()
    ws = wb.active
    ws.title = "评价机构备案名录"
    ws.append(EXPORT_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for number, f in enumerate(qs.iterator(chunk_size=500), start=1):
        unmet = sel.unmet_conditions(f)
        ws.append(
            [
                number,
                f.assessor.name,
                f.assessor.credit_code,
                f.assessor.legal_representative,
                f.authority.name,
                f.get_status_display(),
                f.staff_mid_level,
                f.senior_in_fields,
                "满足" if not unmet else "不满足：" + "；".join(unmet),
                timezone.localtime(f.submitted_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(f.decided_at).strftime("%Y-%m-%d %H:%M") if f.decided_at else "",
                f.revoke_reason or f.decision_reason,
                "在黑名单期内" if f.blacklisted else "",
                "已填报" if f.reported_last_year else "未填报",
            ]
        )
    for column, width in zip("ABCDEFGHIJKLMN", (6, 36, 22, 10, 24, 10, 10, 10, 30, 17, 17, 30, 12, 12), strict=True):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    buffer = BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = quote(f"评价机构备案名录{timezone.localtime():%Y%m%d}.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


def _assessor_page(request, assessor: Organization, *, blacklist_form=None, lift_forms=None):
    user = request.user
    levels = (Organization.Level.PROVINCE, Organization.Level.MINISTRY)
    deciders = sel.deciding_authorities(user, levels=levels) if sel.is_registry_reader(user) else []
    entries = list(sel.blacklist_visible_to(user).filter(assessor=assessor))
    today = timezone.localdate()
    for entry in entries:
        entry.active = entry.is_active(today)
        entry.liftable = entry.lifted_on is None and entry.ends_on > today and sel.can_decide(user, entry.authority)
        entry.lift_form = (lift_forms or {}).get(entry.pk) or LiftForm(prefix=f"lift{entry.pk}")
    return render(
        request,
        "organizations/registry/assessor.html",
        {
            "assessor": assessor,
            "filings": list(sel.filings_visible_to(user).filter(assessor=assessor).order_by("-id")),
            "reports": list(sel.reports_visible_to(user).filter(assessor=assessor).order_by("-call__year", "-id")),
            "entries": entries,
            "cap_use": sel.cap_use_of(assessor),
            "blacklist_form": (blacklist_form or BlacklistForm(authorities=deciders)) if deciders else None,
            "today": today,
        },
    )


@require_GET
def registry_detail(request, pk: int):
    return _assessor_page(request, sel.registry_assessor_for(request.user, pk))


# ------------------------------------------------------------------------------------------------ blacklist


@require_POST
def blacklist_add(request, pk: int):
    assessor = sel.registry_assessor_for(request.user, pk)
    deciders = sel.deciding_authorities(request.user, levels=(Organization.Level.PROVINCE, Organization.Level.MINISTRY))
    if not deciders:
        raise Http404
    form = BlacklistForm(request.POST, authorities=deciders)
    if form.is_valid():
        try:
            entry = services.blacklist_add(
                actor=request.user,
                authority=form.cleaned_data["authority"],
                assessor=assessor,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data.get("ends_on"),
                reason=form.cleaned_data["reason"],
                notice_ref=form.cleaned_data["notice_ref"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(
                request,
                f"已将{assessor.name}列入黑名单，{entry.starts_on:%Y年%m月%d日}至{entry.ends_on:%Y年%m月%d日}（不含）"
                "期间不予采信其评价结果。",
            )
            return redirect("assessor-registry-detail", pk=assessor.pk)
    return _assessor_page(request, assessor, blacklist_form=form)


@require_POST
def blacklist_lift(request, pk: int):
    entry = sel.blacklist_entry_for(request.user, pk)
    form = LiftForm(request.POST, prefix=f"lift{entry.pk}")
    if form.is_valid():
        try:
            services.blacklist_lift(
                actor=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
                lifted_on=form.cleaned_data.get("lifted_on"),
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, f"已将{entry.assessor.name}移出黑名单。")
            return redirect("assessor-registry-detail", pk=entry.assessor_id)
    if not sel.registry_assessors_visible_to(request.user).filter(pk=entry.assessor_id).exists():
        raise Http404
    return _assessor_page(request, entry.assessor, lift_forms={entry.pk: form})


@require_GET
def blacklist_list(request):
    """Blacklist entries: every one for a province or the ministry (they are published), its own for an assessor."""
    qs = sel.blacklist_visible_to(request.user)
    if not sel.is_registry_reader(request.user) and not sel.assessor_ids(request.user):
        raise Http404
    form = BlacklistFilterForm(request.GET)
    today = timezone.localdate()
    if form.is_valid():
        q = (form.cleaned_data.get("q") or "").strip()
        if q:
            qs = qs.filter(Q(assessor__name__icontains=q) | Q(assessor__credit_code__icontains=q))
        active = sel.active_blacklist(today).values("pk")
        if form.cleaned_data.get("state") == "active":
            qs = qs.filter(pk__in=active)
        elif form.cleaned_data.get("state") == "ended":
            qs = qs.exclude(pk__in=active)
    page = Paginator(qs.order_by("-starts_on", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.active = entry.is_active(today)
    return render(
        request,
        "organizations/registry/blacklist.html",
        {
            "form": form,
            "page": page,
            "query": _query(request),
            "reader": sel.is_registry_reader(request.user),
            "today": today,
        },
    )


# ------------------------------------------------------------------------------------------------ calls


@require_http_methods(["GET", "POST"])
def call_list(request):
    """The annual report calls visible to the user; a province's deciders open one here."""
    if not sel.is_registry_reader(request.user):
        if sel.assessor_ids(request.user):
            return redirect("assessor-home")
        raise Http404
    deciders = sel.deciding_authorities(request.user)
    form = None
    if deciders:
        form = CallForm(request.POST or None, authorities=deciders, initial={"year": timezone.localdate().year - 1})
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                call = services.annual_call_open(
                    actor=request.user,
                    authority=form.cleaned_data["authority"],
                    year=form.cleaned_data["year"],
                    due_at=form.cleaned_data["due_on"],
                    note=form.cleaned_data["note"],
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, aliases={"due_at": "due_on"})
            except PermissionDenied as exc:
                form.add_error(None, refusal(exc))
            else:
                messages.success(request, f"已发布{call.year}年度工作情况填报通知，已备案的评价机构将收到通知。")
                return redirect("assessor-call-detail", pk=call.pk)
    qs = sel.calls_visible_to(request.user).order_by("-year", "-due_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/registry/calls.html",
        {"page": page, "query": _query(request), "form": form, "now": timezone.now()},
    )


TRACK_FILTERS = [
    ("", "全部"),
    ("on_time", "按时填报"),
    ("late", "逾期填报"),
    ("returned", "退回修改"),
    ("missing", "未填报"),
]


def tracking_rows(call) -> list[dict]:
    """Per filed assessor (approved with the call's province now, or already reported): on time, late, returned
    or missing (2 queries)."""
    reports = {r.assessor_id: r for r in AssessorAnnualReport.objects.filter(call=call).select_related("assessor")}
    filed = {
        f.assessor_id: f
        for f in AssessorFiling.objects.filter(authority_id=call.authority_id, status=AssessorFiling.Status.APPROVED)
        .select_related("assessor")
        .order_by("id")
    }
    past = timezone.now() > call.due_at
    rows = []
    for assessor_id in set(filed) | set(reports):
        report = reports.get(assessor_id)
        assessor = report.assessor if report else filed[assessor_id].assessor
        if report is None:
            state, label = "missing", "逾期未填报" if past else "待填报"
        elif report.status == AssessorAnnualReport.Status.RETURNED:
            state, label = "returned", "退回修改"
        elif report.late:
            state, label = "late", "逾期填报"
        else:
            state, label = "on_time", "按时填报"
        rows.append(
            {"assessor": assessor, "report": report, "filing": filed.get(assessor_id), "state": state, "label": label}
        )
    order = {"missing": 0, "returned": 1, "late": 2, "on_time": 3}
    return sorted(rows, key=lambda r: (order[r["state"]], r["assessor"].name, r["assessor"].pk))


@require_GET
def call_detail(request, pk: int):
    call = sel.call_for(request.user, pk)
    if not (sel.reads_everything(request.user) or call.authority_id in sel.province_ids(request.user)):
        # An assessor sees the call through its own report page.
        return redirect("assessor-report-new", pk=call.pk)
    rows = tracking_rows(call)
    counts = {key: sum(1 for r in rows if r["state"] == key) for key, _ in TRACK_FILTERS if key}
    state = request.GET.get("state", "")
    if state in counts:
        rows = [r for r in rows if r["state"] == state]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "organizations/registry/call_detail.html",
        {
            "call": call,
            "page": page,
            "query": _query(request),
            "counts": counts,
            "total": sum(counts.values()),
            "filters": TRACK_FILTERS,
            "state": state,
            "past_due": timezone.now() > call.due_at,
        },
    )
