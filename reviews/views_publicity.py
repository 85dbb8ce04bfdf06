"""公示 pages: the public list and page with the objection form (no login), and the deciding authority's pages
(list, new, detail with objections, publish and the final decision).

Thin: reads through reviews.selectors.publicity, writes through reviews.services.publicity. A 公示 the user may not
see is a 404; the public pages show no credit codes, opinions or objections.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from activity.services import client_ip
from applications.forms import apply_service_errors
from applications.models import Application, State
from greenmfg.errors import refusal
from notices.models import Notice
from notices.selectors import notice_family
from organizations.models import Organization

from .models import Objection, Publicity, PublicityEntry
from .selectors import publicity as sel
from .services import publicity as svc

PAGE_SIZE = 25
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# ------------------------------------------------------------------------------------------------------ forms


class ObjectionForm(forms.Form):
    entry = forms.TypedChoiceField(label="异议对象", coerce=int)
    name = forms.CharField(label="异议人姓名", max_length=64)
    organization_name = forms.CharField(label="所在单位", max_length=128, required=False)
    phone = forms.CharField(label="联系电话", max_length=32, help_text="7至20位数字，用于核实异议")
    email = forms.EmailField(label="电子邮箱", required=False, help_text="填写后可收到处理结果")
    content = forms.CharField(label="异议内容", widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [("", "请选择")] + [
            (e.pk, f"{e.position}. {e.application.applicant.name}（{e.application.get_category_display()}）")
            for e in entries
        ]


class PublicityForm(forms.Form):
    title = forms.CharField(label="公示标题", max_length=200)
    starts_on = forms.DateField(label="公示开始日期", widget=DATE_INPUT)
    ends_on = forms.DateField(label="公示结束日期", widget=DATE_INPUT)
    contact = forms.CharField(label="联系方式", max_length=200, required=False, help_text="受理异议的电话、地址等")
    body = forms.CharField(label="公示说明", widget=forms.Textarea(attrs={"rows": 4}), required=False)


class PublicityCreateForm(PublicityForm):
    notice = forms.ModelChoiceField(label="依据的年度通知", queryset=Notice.objects.none(), empty_label=None)
    applications = forms.TypedMultipleChoiceField(
        label="列入公示的申报", coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, notices=(), candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice"].queryset = Notice.objects.filter(pk__in=[n.pk for n in notices])
        self.fields["applications"].choices = [
            (a.pk, f"{a.applicant.name}（{a.get_category_display()}）") for a in candidates
        ]


class HandleForm(forms.Form):
    status = forms.ChoiceField(
        label="处理结果",
        choices=[(Objection.Status.UPHELD, "异议成立"), (Objection.Status.DISMISSED, "异议不成立")],
        widget=forms.RadioSelect,
    )
    response = forms.CharField(label="处理意见", widget=forms.Textarea(attrs={"rows": 3}))


# ----------------------------------------------------------------------------------------------- public pages


@login_not_required
@require_http_methods(["GET"])
def public_list(request):
    qs = sel.with_counts(sel.publicities_public()).order_by("-starts_on", "-id")
    q = request.GET.get("q", "").strip()[:64]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(authority__name__icontains=q))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reviews/publicity/public_list.html",
        {"page": page, "q": q, "query": f"q={q}" if q else "", "today": timezone.localdate()},
    )


def _public_rows(publicity: Publicity) -> list[dict]:
    return [{"entry": e, "regions": sel.region_names(e.application.applicant)} for e in publicity.entries.all()]


@login_not_required
@require_http_methods(["GET", "POST"])
def public_detail(request, pk: int):
    publicity = get_object_or_404(sel.with_public_entries(sel.publicities_public()), pk=pk)
    entries = list(publicity.entries.all())
    today = timezone.localdate()
    is_open = publicity.state == Publicity.State.PUBLISHED and publicity.starts_on <= today <= publicity.ends_on
    form = ObjectionForm(request.POST or None, entries=entries, initial={"entry": request.GET.get("entry")})
    if request.method == "POST":
        if form.is_valid():
            entry = next(e for e in entries if e.pk == form.cleaned_data["entry"])
            data = {k: v for k, v in form.cleaned_data.items() if k != "entry"}
            try:
                svc.objection_submit(publicity=publicity, entry=entry, ip=client_ip(request), **data)
            except svc.ObjectionRateLimited as exc:
                form.add_error(None, exc.messages)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "异议已提交。公示单位将核实处理，处理结果可通过您留下的联系方式告知。")
                return redirect("publicity-public-detail", pk=publicity.pk)
        messages.error(request, "异议未能提交，请按提示修改。")
    return render(
        request,
        "reviews/publicity/public_detail.html",
        {"publicity": publicity, "rows": _public_rows(publicity), "form": form, "is_open": is_open, "today": today},
    )


# -------------------------------------------------------------------------------------------- authority pages


def _acting_authority(request) -> Organization | None:
    org = request.acting.organization
    return org if org is not None and org.kind == Organization.Kind.AUTHORITY else None


@require_http_methods(["GET"])
def publicity_list(request):
    qs = sel.with_counts(sel.publicities_managed_by(request.user)).order_by("-created_at", "-id")
    q = request.GET.get("q", "").strip()[:64]
    state = request.GET.get("state", "")
    if q:
        qs = qs.filter(title__icontains=q)
    if state in Publicity.State.values:
        qs = qs.filter(state=state)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    authority = _acting_authority(request)
    return render(
        request,
        "reviews/publicity/list.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "states": Publicity.State.choices,
            "query": query.urlencode(),
            "can_create": authority is not None and svc.may_decide(request.user, authority),
        },
    )


def _round_notices(authority: Organization) -> list[Notice]:
    """The notices this authority decides lists for: its own that forward nothing."""
    return list(
        Notice.objects.filter(issuer=authority, forwards__isnull=True)
        .exclude(status=Notice.Status.DRAFT)
        .order_by("-year", "-id")
    )


def _candidates(authority: Organization, notices: list[Notice]) -> list[Application]:
    family_ids = {n.pk for notice in notices for n in notice_family(notice)}
    busy = PublicityEntry.objects.filter(
        publicity__state__in=[Publicity.State.DRAFT, Publicity.State.PUBLISHED]
    ).values("application_id")
    return list(
        Application.objects.filter(holder=authority, state=State.RECOMMENDED, notice_id__in=family_ids)
        .exclude(pk__in=busy)
        .select_related("applicant", "notice")
        .order_by("applicant__name", "id")
    )


@require_http_methods(["GET", "POST"])
def publicity_new(request):
    authority = _acting_authority(request)
    if authority is None or not svc.may_decide(request.user, authority):
        raise Http404
    notices = _round_notices(authority)
    candidates = _candidates(authority, notices)
    initial = {"notice": notices[0].pk if notices else None, "applications": [a.pk for a in candidates]}
    form = PublicityCreateForm(request.POST or None, notices=notices, candidates=candidates, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            publicity = svc.publicity_create(actor=request.user, authority=authority, request=request, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"公示草稿已保存，共{publicity.entries.count()}项。核对后请发布。")
            for warning in svc.publicity_warnings(publicity):
                messages.warning(request, warning)
            return redirect("publicity-detail", pk=publicity.pk)
    return render(
        request,
        "reviews/publicity/new.html",
        {"form": form, "authority": authority, "notices": notices, "candidates": candidates},
    )


def _detail_context(request, publicity: Publicity, **extra) -> dict:
    entries = list(
        publicity.entries.select_related(*sel.ENTRY_RELATED).prefetch_related(
            Prefetch("objections", queryset=sel.objections_visible_to(request.user).order_by("submitted_at", "id"))
        )
    )
    today = timezone.localdate()
    may = svc.may_decide(request.user, publicity.authority)
    objections = [o for e in entries for o in e.objections.all()]
    return {
        "publicity": publicity,
        "entries": [{"entry": e, "regions": sel.region_names(e.application.applicant)} for e in entries],
        "objections": objections,
        "open_objections": sum(1 for o in objections if o.status == Objection.Status.OPEN),
        "may_decide": may,
        "edit_form": PublicityForm(
            initial={f: getattr(publicity, f) for f in ("title", "starts_on", "ends_on", "contact", "body")}
        ),
        "can_finalize": may and publicity.state == Publicity.State.PUBLISHED and today > publicity.ends_on,
        "warnings": svc.publicity_warnings(publicity),
        "today": today,
        "outcomes": PublicityEntry.Outcome.choices[1:],
        **extra,
    }


@require_http_methods(["GET"])
def publicity_detail(request, pk: int):
    publicity = sel.publicity_managed(request.user, pk)
    return render(request, "reviews/publicity/detail.html", _detail_context(request, publicity))


def _act(request, pk, fn, done: str):
    publicity = sel.publicity_managed(request.user, pk)
    try:
        fn(publicity)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, done)
    return redirect("publicity-detail", pk=publicity.pk)


@require_POST
def publicity_edit(request, pk: int):
    publicity = sel.publicity_managed(request.user, pk)
    form = PublicityForm(request.POST)
    if form.is_valid():
        try:
            svc.publicity_update(actor=request.user, publicity=publicity, request=request, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, "公示已修改。")
            return redirect("publicity-detail", pk=publicity.pk)
    context = _detail_context(request, publicity, edit_form=form)
    return render(request, "reviews/publicity/detail.html", context, status=400)


@require_POST
def publicity_publish(request, pk: int):
    return _act(
        request,
        pk,
        lambda p: svc.publicity_publish(actor=request.user, publicity=p, request=request),
        "公示已发布，公众可在公示期内查看并提出异议。",
    )


@require_POST
def publicity_finalize(request, pk: int):
    def finalize(publicity):
        outcomes = {}
        for entry in publicity.entries.all():
            outcome = request.POST.get(f"outcome-{entry.pk}", "")
            note = request.POST.get(f"note-{entry.pk}", "")
            if outcome or note:
                outcomes[entry.pk] = (outcome, note)
        svc.publicity_finalize(actor=request.user, publicity=publicity, outcomes=outcomes, request=request)

    return _act(request, pk, finalize, "公示已定稿，最终名单已生成。")


@require_POST
def objection_handle(request, pk: int, objection_id: int):
    publicity = sel.publicity_managed(request.user, pk)
    objection = get_object_or_404(sel.objections_visible_to(request.user), pk=objection_id, publicity=publicity)
    form = HandleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择处理结果并填写处理意见。")
        return redirect("publicity-detail", pk=publicity.pk)
    return _act(
        request,
        pk,
        lambda p: svc.objection_handle(actor=request.user, objection=objection, request=request, **form.cleaned_data),
        "异议处理结果已记录。",
    )
