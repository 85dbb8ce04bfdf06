"""Pages of department consultations (征求意见), mounted at /reviews/consultations/.

Thin: reads through reviews.selectors.consultations (invisible → 404), writes through
reviews.services.consultations, whose Chinese refusals are shown as messages; nothing is stored on refusal.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.models import NegativeItem, State
from applications.selectors import applications_visible_to
from greenmfg.uploads import CONTENT_TYPES
from greenmfg.validators import MAX_OBJECT_ID
from organizations.models import Organization
from organizations.selectors import acting_org_ids, memberships_of

from .models import ConsultationReply
from .selectors import consultations as sel
from .services.consultations import consultation_send, reply_submit, reply_waive

PAGE_SIZE = 25
STATUS_CHOICES = [
    ("", "全部"),
    ("open", "待反馈（未到期）"),
    ("overdue", "逾期未反馈"),
    ("objection", "有异议"),
    ("done", "已全部反馈或已记录"),
]


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc) or "您无权办理此事项。"


def acting_authority(request) -> Organization | None:
    """The authority the user acts for: the acting role's, else the first authority membership."""
    org = request.acting.organization
    if org is not None and org.kind == Organization.Kind.AUTHORITY:
        return org
    return next(
        (m.organization for m in memberships_of(request.user) if m.organization.kind == Organization.Kind.AUTHORITY),
        None,
    )


class FilterForm(forms.Form):
    q = forms.CharField(label="申报单位", required=False, max_length=100)
    status = forms.ChoiceField(label="反馈情况", required=False, choices=STATUS_CHOICES)


@require_GET
def consultation_list(request):
    form = FilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    qs = sel.filter_consultations(
        sel.consultations_visible_to(request.user), q=(data.get("q") or "").strip(), status=data.get("status") or ""
    )
    qs = sel.with_progress(qs, request.user).order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    authority = acting_authority(request)
    return render(
        request,
        "reviews/consultations/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "my_ids": set(acting_org_ids(request.user)),
            "today": timezone.localdate(),
            "authority": authority,
        },
    )


# ------------------------------------------------------------------------------------------------------------ new


def _ids(request) -> list[int]:
    raw = request.POST.getlist("applications") if request.method == "POST" else request.GET.getlist("applications")
    ids = []
    for chunk in raw:
        for part in chunk.split(","):
            if part.strip().isdigit() and int(part) <= MAX_OBJECT_ID:  # larger overflows SQLite in pk__in
                ids.append(int(part))
    return list(dict.fromkeys(ids))


class SendForm(forms.Form):
    departments = forms.ModelMultipleChoiceField(
        label="征求意见的协同部门",
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个协同部门。"},
    )
    due_on = forms.DateField(
        label="反馈截止日期",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"required": "请填写反馈截止日期。", "invalid": "请按 2025-05-17 的格式填写日期。"},
    )
    message = forms.CharField(
        label="函告内容", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Organization.objects.filter(pk__in=[d.pk for d in departments]).order_by(
            "domain", "name", "id"
        )
        self.fields["departments"].label_from_instance = lambda d: f"{d.name}（{d.get_domain_display()}）"


@require_http_methods(["GET", "POST"])
def consultation_new(request):
    authority = acting_authority(request)
    if authority is None:
        raise Http404
    ids = _ids(request)
    held = (
        applications_visible_to(request.user)
        .filter(holder=authority, state=State.UNDER_REVIEW)
        .order_by("applicant__name", "id")
    )
    chosen = list(held.filter(pk__in=ids)) if ids else list(held[:200])
    refused = []
    if ids:
        found = {a.pk for a in chosen}
        refused = list(
            applications_visible_to(request.user).filter(pk__in=[i for i in ids if i not in found]).order_by("id")
        )
    departments = sel.authority_departments(authority)
    initial = {"departments": departments, "due_on": timezone.localdate() + timedelta(days=7)}
    form = SendForm(request.POST or None, departments=departments, initial=initial)
    checked = set(ids) if (ids or request.method == "POST") else set()
    if request.method == "POST" and form.is_valid():
        try:
            consultation = consultation_send(
                actor=request.user,
                authority=authority,
                applications=ids,
                departments=form.cleaned_data["departments"],
                due_on=form.cleaned_data["due_on"],
                message=form.cleaned_data["message"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, f"已向{form.cleaned_data['departments'].count()}个部门发出征求意见。")
            return redirect("consultation-detail", pk=consultation.pk)
    return render(
        request,
        "reviews/consultations/new.html",
        {
            "authority": authority,
            "form": form,
            "applications": chosen,
            "refused": refused,
            "checked": checked,
            "selected_only": bool(ids),
            "departments": departments,
        },
    )


# --------------------------------------------------------------------------------------------------------- detail


@require_GET
def consultation_detail(request, pk: int):
    consultation = sel.consultation_for(request.user, pk)
    matrix = sel.reply_matrix(consultation, request.user)
    today = timezone.localdate()
    return render(
        request,
        "reviews/consultations/detail.html",
        {
            "consultation": consultation,
            "matrix": matrix,
            "past_due": today > consultation.due_on,
            "negative_items": NegativeItem.choices,
            "opinions": [c for c in ConsultationReply.Opinion.choices if c[0] != "pending"],
        },
    )


def _back(reply) -> str:
    return reverse("consultation-detail", args=[reply.consultation_id]) + f"#reply-{reply.pk}"


@require_POST
def consultation_reply(request, pk: int, reply_id: int):
    reply = sel.reply_for(request.user, pk, reply_id)
    if reply.department_id not in acting_org_ids(request.user):
        raise Http404
    try:
        reply_submit(
            actor=request.user,
            reply=reply,
            opinion=request.POST.get("opinion", ""),
            reason=request.POST.get("reason", ""),
            negative_item=request.POST.get("negative_item", ""),
            proof=request.FILES.get("proof"),
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, f"{reply.application.applicant.name}：{_refusal(exc)}")
    else:
        messages.success(request, f"已反馈对{reply.application.applicant.name}的意见。")
    return redirect(_back(reply))


@require_POST
def consultation_waive(request, pk: int, reply_id: int):
    reply = sel.reply_for(request.user, pk, reply_id)
    try:
        reply_waive(actor=request.user, reply=reply, reason=request.POST.get("reason", ""), request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, f"{reply.department.name}（{reply.application.applicant.name}）：{_refusal(exc)}")
    else:
        messages.success(request, f"已记录{reply.department.name}逾期未反馈的原因。")
    return redirect(_back(reply))


@require_GET
def consultation_proof(request, pk: int, reply_id: int):
    reply = sel.reply_for(request.user, pk, reply_id)
    if not reply.proof:
        raise Http404
    extension = reply.proof.name.rsplit(".", 1)[-1].lower()
    return FileResponse(
        reply.proof.open("rb"),
        as_attachment=True,
        filename=reply.proof_name or f"证明材料.{extension}",
        content_type=CONTENT_TYPES.get(extension, "application/octet-stream"),
    )
