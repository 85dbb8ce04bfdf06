"""The third-party assessor's pages: its engagements, and for one engagement the answer and the report.

Thin: parse the form, call applications.services (engagement_respond, engagement_report), show its Chinese
message. An engagement that does not commission one of the user's assessor organizations is a 404.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from notices.forms import apply_service_errors
from notices.models import Deadline
from notices.selectors import deadline_for, deadlines_for_pairs
from organizations.models import Organization
from organizations.selectors import memberships_of

from . import services
from .categories import FORMS
from .models import THIRD_PARTY_REPORT, Engagement, MaterialFile
from .selectors import applications_visible_to, engagements_visible_to

PAGE_SIZE = 20

PENDING = Q(status=Engagement.Status.PENDING)
DUE = Q(status=Engagement.Status.ACCEPTED, report_submitted_at__isnull=True)
REPORTED = Q(status=Engagement.Status.ACCEPTED, report_submitted_at__isnull=False)
CLOSED = Q(status__in=[Engagement.Status.DECLINED, Engagement.Status.CANCELLED])
STATUS_FILTERS = {"pending": PENDING, "due": DUE, "reported": REPORTED, "closed": CLOSED}


def assessor_org_ids(user) -> list[int]:
    return [m.organization_id for m in memberships_of(user) if m.organization.kind == Organization.Kind.ASSESSOR]


def engagements_of(user) -> QuerySet[Engagement]:
    """The engagements the user answers for: the visible ones (selectors.engagements_visible_to) that commission
    an assessor it is a member of. The applicant also sees its engagements, but not on these pages."""
    visible = engagements_visible_to(user).select_related(
        "application__notice__issuer", "application__holder", "requested_by"
    )
    if user.is_superuser:
        return visible
    return visible.filter(assessor_id__in=assessor_org_ids(user))


class EngagementFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[
            ("", "全部状态"),
            ("pending", "待接受"),
            ("due", "报告待提交"),
            ("reported", "已提交报告"),
            ("closed", "已拒绝或撤销"),
        ],
    )
    q = forms.CharField(label="申报单位名称", required=False, max_length=100)

    def filter(self, qs: QuerySet[Engagement]) -> QuerySet[Engagement]:
        """Narrow an already visible queryset; invalid filters are ignored (and shown as errors)."""
        if not self.is_valid():
            return qs
        status = self.cleaned_data.get("status")
        if status:
            qs = qs.filter(STATUS_FILTERS[status])
        q = (self.cleaned_data.get("q") or "").strip()
        if q:
            qs = qs.filter(application__applicant__name__icontains=q)
        return qs


class AcceptForm(forms.Form):
    lead_assessor = forms.CharField(
        label="项目负责人",
        max_length=64,
        error_messages={"required": "请填写项目负责人姓名。"},
        help_text="本机构负责该评价项目的人员；不得为申报单位自评价报告的编制人。",
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="拒绝理由",
        required=False,  # the service says what is missing, in Chinese
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportForm(forms.Form):
    score = forms.CharField(
        label="第三方评价得分（0–100）",
        required=False,  # the service checks the range and says so
        max_length=16,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": "0.1", "inputmode": "decimal"}),
    )
    file = forms.FileField(
        label="第三方评价报告（PDF）",
        required=False,  # the service refuses a missing, empty, fake or oversized file
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=f"仅接受 PDF，最大 {services.REPORT_MAX_BYTES // 1048576} MB。再次上传将生成新版本，旧版本保留。",
    )

    def clean_score(self) -> str:
        # “NaN” parses as a Decimal but cannot be compared: refuse it with the service's own message.
        value = self.cleaned_data["score"]
        if value.lower().lstrip("+-").startswith(("nan", "snan")):
            raise ValidationError("请填写第三方评价得分（0–100）。")
        return value


def _ordered(qs: QuerySet[Engagement]) -> QuerySet[Engagement]:
    """What needs an answer first, then reports due, then the rest; newest first within each."""
    return qs.annotate(
        priority=Case(
            When(PENDING, then=Value(0)),
            When(DUE, then=Value(1)),
            When(REPORTED, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    ).order_by("priority", "-requested_at", "-id")


def _with_deadlines(engagements: list[Engagement]) -> list[Engagement]:
    """Each open engagement gets its applicant's deadline (the report must be in before it), in fixed queries."""
    open_ones = [e for e in engagements if e.is_active]
    resolved = deadlines_for_pairs(
        [(e.application.notice, e.application.applicant) for e in open_ones], stage=Deadline.Stage.APPLICANT
    )
    for e in engagements:
        e.applicant_deadline = resolved.get((e.application.notice_id, e.application.applicant_id))
    return engagements


def engagement_list(request):
    if not request.user.is_superuser and not assessor_org_ids(request.user):
        raise Http404
    qs = engagements_of(request.user)
    acting = request.acting.organization
    if acting is not None and acting.kind == Organization.Kind.ASSESSOR:
        qs = qs.filter(assessor=acting)
    form = EngagementFilterForm(request.GET)
    page = Paginator(_ordered(form.filter(qs)), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _with_deadlines(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "applications/assessor_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode(), "organization": acting},
    )


def data_rows(application) -> list[tuple[str, str]]:
    """The category data as (label, shown value) pairs, in the form's order."""
    data = application.data or {}
    rows = []
    for name, field in FORMS[application.category].base_fields.items():
        value = data.get(name)
        if value in (None, ""):
            shown = "—"
        elif getattr(field, "choices", None):
            shown = str(dict(field.choices).get(value, value))
        elif isinstance(value, bool):
            shown = "是" if value else "否"
        else:
            shown = str(value)
        rows.append((str(field.label), shown))
    if "third_party_score" in data:
        rows.append(("第三方评价得分", str(data["third_party_score"])))
    return rows


def _detail(request, engagement: Engagement, *, accept_form=None, decline_form=None, report_form=None):
    application = engagement.application
    visible = applications_visible_to(request.user).filter(pk=application.pk).exists()
    deadline = deadline_for(
        notice=application.notice, organization=application.applicant, stage=Deadline.Stage.APPLICANT
    )
    reports = list(
        MaterialFile.objects.filter(
            application=application, kind=THIRD_PARTY_REPORT, uploaded_by_org=engagement.assessor
        ).select_related("uploaded_by")
    )
    materials = []
    if visible:
        materials = list(
            MaterialFile.objects.filter(application=application, is_current=True)
            .exclude(kind=THIRD_PARTY_REPORT)
            .select_related("material")
            .order_by("material__position", "kind")
        )
    is_pending = engagement.status == Engagement.Status.PENDING
    can_report = engagement.status == Engagement.Status.ACCEPTED and application.is_editable
    # A refused form that the page no longer offers (the engagement moved on) still says why, at the top.
    offered = ((accept_form, is_pending), (decline_form, is_pending), (report_form, can_report))
    refusals = [
        message
        for form, shown in offered
        if form is not None and not shown
        for messages_ in form.errors.values()
        for message in messages_
    ]
    return render(
        request,
        "applications/assessor_detail.html",
        {
            "engagement": engagement,
            "application": application,
            "applicant": application.applicant,
            "visible": visible,
            "deadline": deadline,
            "overdue": bool(deadline and deadline.is_past()),
            "data_rows": data_rows(application) if visible else [],
            "materials": materials,
            "reports": reports,
            "is_pending": is_pending,
            "can_report": can_report,
            "accept_form": (accept_form or AcceptForm()) if is_pending else None,
            "decline_form": (decline_form or DeclineForm()) if is_pending else None,
            "report_form": (report_form or ReportForm()) if can_report else None,
            "refusals": refusals,
        },
    )


def _engagement(request, pk: int) -> Engagement:
    return get_object_or_404(engagements_of(request.user), pk=pk)


def engagement_detail(request, pk: int):
    return _detail(request, _engagement(request, pk))


def _refuse(form, exc) -> None:
    if isinstance(exc, ValidationError):
        apply_service_errors(form, exc)
    else:
        form.add_error(None, str(exc) or "您无权办理此事项。")


@require_POST
def engagement_accept(request, pk: int):
    engagement = _engagement(request, pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_respond(
                actor=request.user,
                engagement=engagement,
                accept=True,
                lead_assessor=form.cleaned_data["lead_assessor"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request,
                f"已接受{engagement.application.applicant.name}的评价委托。请在申报截止前上传第三方评价报告和得分。",
            )
            return redirect("engagement-detail", pk=engagement.pk)
    engagement.refresh_from_db()
    return _detail(request, engagement, accept_form=form)


@require_POST
def engagement_decline(request, pk: int):
    engagement = _engagement(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.engagement_respond(
                actor=request.user,
                engagement=engagement,
                accept=False,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            _refuse(form, exc)
        else:
            messages.success(request, f"已拒绝{engagement.application.applicant.name}的评价委托，申报单位将收到通知。")
            return redirect("engagement-detail", pk=engagement.pk)
    engagement.refresh_from_db()
    return _detail(request, engagement, decline_form=form)


@require_POST
def engagement_report(request, pk: int):
    engagement = _engagement(request, pk)
    form = ReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            record = services.engagement_report(
                actor=request.user,
                engagement=engagement,
                score=form.cleaned_data["score"].strip(),
                upload=form.cleaned_data["file"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            _refuse(form, exc)
        else:
            engagement.refresh_from_db()
            messages.success(
                request,
                f"已上传第三方评价报告（第{record.version}版），得分 {engagement.score}。申报单位将收到通知。",
            )
            return redirect("engagement-detail", pk=engagement.pk)
    engagement.refresh_from_db()
    return _detail(request, engagement, report_form=form)
