"""Pages of on-site re-checks (现场复核) and removals (移出), mounted at /dynamic/rechecks/ and /dynamic/removals/,
started from a report, a re-check or an entry. Thin over selectors_dynamic and services_dynamic_checks."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from greenmfg.errors import refusal
from organizations.selectors import memberships_of

from . import selectors_dynamic as sel
from .forms_dynamic import RecheckForm, RecheckRecordForm, RemovalDecisionForm, RemovalForm, apply_service_errors
from .models import Recheck, Removal
from .selectors import listing_for
from .services import may_decide
from .services_dynamic_checks import recheck_decide, recheck_record, removal_decide, removal_propose
from .views_dynamic import PAGE_SIZE, _query, acting_authority


def _source(request, qs, listing, key: str):
    """A report or re-check named in ?report= / ?recheck= (or the POST), visible and of this entry, else None."""
    raw = request.POST.get(key) or request.GET.get(key) or ""
    return qs.filter(pk=int(raw), listing=listing).first() if raw.isdigit() else None


def _authority_for(request):
    authority = acting_authority(request)
    if authority is None or not may_decide(request.user, authority):
        raise Http404
    return authority


# ------------------------------------------------------------------------------------------------------- re-checks


@require_http_methods(["GET", "POST"])
def recheck_new(request, listing_id: int):
    listing = listing_for(request.user, listing_id)
    authority = _authority_for(request)
    report = _source(request, sel.dynamic_reports_visible_to(request.user), listing, "report")
    form = RecheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recheck = recheck_decide(
                actor=request.user,
                authority=authority,
                listing=listing,
                reason=form.cleaned_data["reason"],
                planned_on=form.cleaned_data["planned_on"],
                report=report,
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, f"已决定对{listing.display_name}现场复核，并通知了该单位。")
            return redirect("dynamic-recheck-detail", pk=recheck.pk)
    return render(
        request,
        "listings/dynamic/recheck_new.html",
        {"listing": listing, "authority": authority, "report": report, "form": form},
    )


@require_http_methods(["GET", "POST"])
def recheck_detail(request, pk: int):
    recheck = sel.recheck_for(request.user, pk)
    may_record = any(m.organization_id == recheck.authority_id for m in memberships_of(request.user))
    form = None
    if may_record:
        form = RecheckRecordForm(request.POST or None, initial=RecheckRecordForm.initial_from(recheck))
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                recheck = recheck_record(actor=request.user, recheck=recheck, request=request, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                messages.error(request, refusal(exc))
            else:
                messages.success(request, f"已记录复核结果：{recheck.get_conclusion_display()}。")
                return redirect("dynamic-recheck-detail", pk=recheck.pk)
    authority = acting_authority(request)
    return render(
        request,
        "listings/dynamic/recheck_detail.html",
        {
            "recheck": recheck,
            "listing": recheck.listing,
            "form": form,
            "may_propose": authority is not None
            and may_decide(request.user, authority)
            and recheck.listing.status == "active"
            and not Removal.objects.filter(listing=recheck.listing, status=Removal.Status.PROPOSED).exists(),
            "removals": list(sel.removals_visible_to(request.user).filter(recheck=recheck)),
        },
    )


@require_GET
def recheck_list(request):
    if sel.viewer(request.user).nothing:
        raise Http404
    qs = sel.filter_rechecks(sel.rechecks_visible_to(request.user), request.GET).order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "listings/dynamic/recheck_list.html",
        {
            "page": page,
            "query": _query(request),
            "conclusions": Recheck.Conclusion.choices,
            "conclusion": request.GET.get("conclusion", ""),
            "q": request.GET.get("q", ""),
        },
    )


# -------------------------------------------------------------------------------------------------------- removals


@require_http_methods(["GET", "POST"])
def removal_new(request, listing_id: int):
    listing = listing_for(request.user, listing_id)
    authority = _authority_for(request)
    report = _source(request, sel.dynamic_reports_visible_to(request.user), listing, "report")
    recheck = _source(request, sel.rechecks_visible_to(request.user), listing, "recheck")
    decides = listing.authority_id == authority.pk
    form = RemovalForm(request.POST or None, may_decide_now=decides)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            removal = removal_propose(
                actor=request.user,
                authority=authority,
                listing=listing,
                reason=data["reason"],
                report=report,
                recheck=recheck,
                decide_now=bool(data.get("decide_now")),
                effective_on=data.get("effective_on"),
                decision_note=data.get("decision_note", ""),
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, refusal(exc))
        else:
            if removal.status == Removal.Status.DECIDED:
                messages.success(request, f"已决定将{listing.display_name}移出名单。")
            else:
                messages.success(request, f"已提交移出提议，由{removal.deciding_authority.name}决定。")
            return redirect("dynamic-removal-detail", pk=removal.pk)
    return render(
        request,
        "listings/dynamic/removal_new.html",
        {
            "listing": listing,
            "authority": authority,
            "report": report,
            "recheck": recheck,
            "form": form,
            "decides": decides,
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
def removal_detail(request, pk: int):
    removal = sel.removal_for(request.user, pk)
    may = removal.status == Removal.Status.PROPOSED and may_decide(request.user, removal.deciding_authority)
    form = RemovalDecisionForm(request.POST or None) if may else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                removal = removal_decide(
                    actor=request.user,
                    removal=removal,
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                    effective_on=form.cleaned_data["effective_on"],
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                messages.error(request, refusal(exc))
            else:
                messages.success(request, f"{removal.listing.display_name}：{removal.get_status_display()}。")
                return redirect("dynamic-removal-detail", pk=removal.pk)
    return render(
        request,
        "listings/dynamic/removal_detail.html",
        {"removal": removal, "listing": removal.listing, "form": form},
    )


@require_GET
def removal_list(request):
    who = sel.viewer(request.user)
    if who.nothing:
        raise Http404
    deciding_ids = [a.pk for a in sel.deciding_memberships(request.user)]
    qs = sel.filter_removals(sel.removals_visible_to(request.user), request.GET, deciding_ids=deciding_ids)
    page = Paginator(qs.order_by("-proposed_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "listings/dynamic/removal_list.html",
        {
            "page": page,
            "query": _query(request),
            "statuses": [("to_decide", "待本单位决定"), *Removal.Status.choices],
            "status": request.GET.get("status", ""),
            "q": request.GET.get("q", ""),
        },
    )
