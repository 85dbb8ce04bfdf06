"""The assessor's pages of the registry, mounted at /assessors/: its filings (备案) with provinces, the yearly work
report against a call's deadline, its blacklist entries and its cap use; and the filing and report pages a province
reviews. The province's lists (registry, calls, blacklist) are in views_registry_province.py.

Thin: reads through selectors_registry (not visible → 404), writes through services_registry, whose Chinese
refusals land on the form or as a message; nothing is stored on refusal.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from greenmfg.errors import refusal
from greenmfg.uploads import CONTENT_TYPES

from . import selectors_registry as sel
from . import services_registry as services
from .forms_registry import (
    PROOF_DEFAULT_KINDS,
    DecisionForm,
    ExperienceFormSet,
    FilingForm,
    ProofForm,
    ProofFormSet,
    ReasonForm,
    ReportForm,
    ReviewForm,
    apply_service_errors,
)
from .models import AssessorAnnualReport, AssessorBlacklist, AssessorFiling, Organization
from .registry_models import TEN_PROHIBITIONS
from .selectors import memberships_of

BLANK_EXPERIENCE_ROWS = 3


def acting_assessor(request) -> Organization | None:
    """The assessor the user acts for: the acting role's, else its first assessor membership."""
    org = request.acting.organization
    if org is not None and org.kind == Organization.Kind.ASSESSOR:
        return org
    return next(
        (m.organization for m in memberships_of(request.user) if m.organization.kind == Organization.Kind.ASSESSOR),
        None,
    )


def _require_assessor(request) -> Organization:
    assessor = acting_assessor(request)
    if assessor is None:
        raise Http404
    return assessor


def _download(field, name: str) -> FileResponse:
    extension = field.name.rsplit(".", 1)[-1].lower()
    return FileResponse(
        field.open("rb"),
        as_attachment=True,
        filename=name or f"附件.{extension}",
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )


# ------------------------------------------------------------------------------------------------ home


def calls_for_assessor(user, assessor: Organization):
    """The calls this assessor answers, newest first, each with its report (or None) as `.report`."""
    filed_with = AssessorFiling.objects.filter(
        assessor=assessor, status__in=[AssessorFiling.Status.APPROVED, AssessorFiling.Status.REVOKED]
    ).values("authority_id")
    reports = {r.call_id: r for r in AssessorAnnualReport.objects.filter(assessor=assessor)}
    calls = list(
        sel.calls_visible_to(user).filter(authority_id__in=filed_with).order_by("-year", "-due_at", "-id")[:50]
    )
    known = {c.pk for c in calls}
    calls += [
        r.call
        for r in AssessorAnnualReport.objects.filter(assessor=assessor).select_related("call__authority")
        if r.call_id not in known
    ]
    for call in calls:
        call.report = reports.get(call.pk)
    return calls


@require_GET
def assessor_home(request):
    assessor = acting_assessor(request)
    if assessor is None:
        if sel.is_registry_reader(request.user):
            return redirect("assessor-registry")
        raise Http404
    filings = list(
        sel.filings_visible_to(request.user).filter(assessor=assessor).order_by("authority__region_id", "-id")
    )
    latest, history = [], []
    seen = set()
    for f in filings:
        (history if f.authority_id in seen else latest).append(f)
        seen.add(f.authority_id)
    open_provinces = {f.authority_id for f in latest if f.status in AssessorFiling.OPEN}
    blacklist = list(AssessorBlacklist.objects.filter(assessor=assessor).select_related("authority"))
    return render(
        request,
        "organizations/registry/home.html",
        {
            "assessor": assessor,
            "latest": latest,
            "history": history,
            "can_file": sel.filing_provinces().exclude(pk__in=open_provinces).exists(),
            "calls": calls_for_assessor(request.user, assessor),
            "blacklist": blacklist,
            "cap_use": sel.cap_use_of(assessor),
            "today": timezone.localdate(),
        },
    )


# ------------------------------------------------------------------------------------------------ filing


def _experience_initial(filing: AssessorFiling | None) -> list[dict]:
    rows = list(filing.experience) if filing is not None else []
    return rows + [{}] * BLANK_EXPERIENCE_ROWS


def _proof_initial() -> list[dict]:
    return [{"kind": kind} for kind in PROOF_DEFAULT_KINDS] + [{"kind": "other"}]


def _previous(request, assessor: Organization) -> AssessorFiling | None:
    raw = request.POST.get("previous") or request.GET.get("from")
    if not raw or not str(raw).isdigit():
        return None
    previous = get_object_or_404(sel.filings_visible_to(request.user).filter(assessor=assessor), pk=int(raw))
    if previous.status not in (AssessorFiling.Status.REJECTED, AssessorFiling.Status.REVOKED):
        return None
    return previous


@require_http_methods(["GET", "POST"])
def filing_new(request):
    assessor = _require_assessor(request)
    previous = _previous(request, assessor)
    provinces = sel.filing_provinces()
    if request.method == "POST":
        form = FilingForm(request.POST, provinces=provinces)
        experience = ExperienceFormSet(request.POST, prefix="exp")
        proofs = ProofFormSet(request.POST, request.FILES, prefix="proofs")
        if form.is_valid() & experience.is_valid() & proofs.is_valid():
            data = form.data_for_service()
            data["experience"] = [f.cleaned_data for f in experience.forms if f.cleaned_data]
            uploads = [
                (f.cleaned_data.get("kind"), f.cleaned_data["file"]) for f in proofs.forms if f.cleaned_data.get("file")
            ]
            try:
                filing = services.filing_submit(
                    actor=request.user,
                    assessor=assessor,
                    authority=form.cleaned_data["authority"],
                    data=data,
                    proofs=uploads,
                    previous=previous,
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError):
                    apply_service_errors(form, exc)
                else:
                    form.add_error(None, refusal(exc))
            else:
                unmet = sel.unmet_conditions(filing)
                messages.success(request, f"已向{filing.authority.name}提交备案，等待审核。")
                if unmet:
                    messages.warning(
                        request, f"按填报信息，以下基本条件尚未满足，省级主管部门将不予备案：{'；'.join(unmet)}。"
                    )
                return redirect("assessor-filing-detail", pk=filing.pk)
    else:
        initial = FilingForm.initial_from(previous) if previous else {}
        if not previous and str(request.GET.get("authority", "")).isdigit():
            initial["authority"] = int(request.GET["authority"])
        if not previous:
            initial.update(contact_name=assessor.contact_name, contact_phone=assessor.contact_phone)
            initial.setdefault("office_address", assessor.address)
        form = FilingForm(initial=initial, provinces=provinces)
        experience = ExperienceFormSet(initial=_experience_initial(previous), prefix="exp")
        proofs = ProofFormSet(initial=_proof_initial(), prefix="proofs")
    return render(
        request,
        "organizations/registry/filing_form.html",
        {
            "assessor": assessor,
            "form": form,
            "experience": experience,
            "proofs": proofs,
            "previous": previous,
            "carried": list(previous.proofs.all()) if previous else [],
        },
    )


def _filing_page(request, filing: AssessorFiling, **forms):
    is_member = request.user.is_superuser or filing.assessor_id in sel.assessor_ids(request.user)
    can_decide = sel.can_decide(request.user, filing.authority)
    history = list(
        sel.filings_visible_to(request.user)
        .filter(assessor_id=filing.assessor_id, authority_id=filing.authority_id)
        .exclude(pk=filing.pk)
        .order_by("-id")
    )
    submitted = filing.status == AssessorFiling.Status.SUBMITTED
    approved = filing.status == AssessorFiling.Status.APPROVED
    refile = (
        is_member
        and filing.status in (AssessorFiling.Status.REJECTED, AssessorFiling.Status.REVOKED)
        and not AssessorFiling.objects.filter(
            assessor_id=filing.assessor_id, authority_id=filing.authority_id, status__in=AssessorFiling.OPEN
        ).exists()
    )
    return render(
        request,
        "organizations/registry/filing_detail.html",
        {
            "filing": filing,
            "checks": sel.filing_checks(filing),
            "proofs": list(filing.proofs.select_related("uploaded_by")),
            "history": history,
            "is_member": is_member,
            "can_refile": refile,
            "proof_form": (forms.get("proof_form") or ProofForm()) if is_member and submitted else None,
            "decision_form": (forms.get("decision_form") or DecisionForm()) if can_decide and submitted else None,
            "revoke_form": (forms.get("revoke_form") or ReasonForm()) if can_decide and approved else None,
        },
    )


@require_GET
def filing_detail(request, pk: int):
    return _filing_page(request, sel.filing_for(request.user, pk))


@require_GET
def filing_proof(request, pk: int, proof_id: int):
    filing = sel.filing_for(request.user, pk)
    proof = get_object_or_404(filing.proofs, pk=proof_id)
    return _download(proof.file, proof.original_name)


@require_POST
def filing_proof_add(request, pk: int):
    filing = sel.filing_for(request.user, pk)
    form = ProofForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            proof = services.filing_proof_add(
                actor=request.user,
                filing=filing,
                kind=form.cleaned_data.get("kind") or "other",
                upload=form.cleaned_data.get("file"),
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, f"已补充证明材料：{proof.original_name}。")
            return redirect("assessor-filing-detail", pk=filing.pk)
    return _filing_page(request, filing, proof_form=form)


@require_POST
def filing_decide(request, pk: int):
    filing = sel.filing_for(request.user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.filing_decide(
                actor=request.user, filing=filing, approve=approve, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            verdict = "予以备案" if approve else "不予备案"
            messages.success(request, f"已对{filing.assessor.name}{verdict}，评价机构将收到通知。")
            return redirect("assessor-filing-detail", pk=filing.pk)
    filing.refresh_from_db()
    return _filing_page(request, filing, decision_form=form)


@require_POST
def filing_revoke(request, pk: int):
    filing = sel.filing_for(request.user, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.filing_revoke(
                actor=request.user, filing=filing, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, f"已撤销{filing.assessor.name}的备案，评价机构将收到通知。")
            return redirect("assessor-filing-detail", pk=filing.pk)
    filing.refresh_from_db()
    return _filing_page(request, filing, revoke_form=form)


# ------------------------------------------------------------------------------------------------ annual report


@require_http_methods(["GET", "POST"])
def report_new(request, pk: int):
    """File (or file again, when returned) the work report against a call."""
    assessor = _require_assessor(request)
    call = sel.call_for(request.user, pk)
    existing = AssessorAnnualReport.objects.filter(assessor=assessor, call=call).first()
    if existing is not None and existing.status != AssessorAnnualReport.Status.RETURNED:
        messages.info(request, f"本机构已填报{call.year}年度工作情况。")
        return redirect("assessor-report-detail", pk=existing.pk)
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = services.annual_report_submit(
                    actor=request.user,
                    assessor=assessor,
                    call=call,
                    data=form.data_for_service(),
                    upload=form.cleaned_data.get("file"),
                    request=request,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, refusal(exc))
            else:
                messages.success(request, f"已填报{call.year}年度工作情况，{call.authority.name}将收到通知。")
                return redirect("assessor-report-detail", pk=report.pk)
    else:
        form = ReportForm(initial=ReportForm.initial_from(existing) if existing else {})
    return render(
        request,
        "organizations/registry/report_form.html",
        {
            "assessor": assessor,
            "call": call,
            "existing": existing,
            "form": form,
            "may_report": services.may_report(assessor, call),
            "past_due": timezone.now() > call.due_at,
        },
    )


def _report_page(request, report: AssessorAnnualReport, review_form=None):
    can_review = sel.can_decide(request.user, report.call.authority)
    is_member = report.assessor_id in sel.assessor_ids(request.user)
    checked = report.self_check or {}
    return render(
        request,
        "organizations/registry/report_detail.html",
        {
            "report": report,
            "call": report.call,
            "self_check": [(label, bool(checked.get(code))) for code, label in TEN_PROHIBITIONS],
            "is_member": is_member,
            "review_form": (review_form or ReviewForm())
            if can_review and report.status == AssessorAnnualReport.Status.SUBMITTED
            else None,
        },
    )


@require_GET
def report_detail(request, pk: int):
    return _report_page(request, sel.report_for(request.user, pk))


@require_GET
def report_download(request, pk: int):
    report = sel.report_for(request.user, pk)
    return _download(report.file, report.original_name)


@require_POST
def report_review(request, pk: int):
    report = sel.report_for(request.user, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            services.annual_report_review(
                actor=request.user, report=report, accept=accept, opinion=form.cleaned_data["opinion"], request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, "已审阅。" if accept else "已退回修改，评价机构将收到通知。")
            return redirect("assessor-report-detail", pk=report.pk)
    report.refresh_from_db()
    return _report_page(request, report, review_form=form)
