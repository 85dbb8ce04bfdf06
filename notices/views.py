"""Notice pages: list, detail, create, edit, and the publish / forward / close actions.

Thin: parse the form, call a service, show its Chinese message. Reads go through selectors; what the user may
not see is a 404. Configuration pages (categories, deadlines, extensions) are in views_config.py, attachments in
views_files.py.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from greenmfg.errors import refusal
from organizations.models import Organization

from . import selectors, services
from .forms import NoticeFilterForm, NoticeForm, apply_service_errors
from .models import Category, Deadline, Notice

PAGE_SIZE = 20


def issued_notice(request, pk: int) -> Notice:
    """A notice the user may see and act on as its issuer; anything else is a 404."""
    notice = selectors.notice_for(request.user, pk)
    if not selectors.can_issue(request.user, notice.issuer):
        raise Http404
    return notice


def ordered_categories(notice: Notice) -> list:
    """The notice's categories in the order of the catalogue (绿色工厂 first), whatever order they were opened in."""
    order = {code: i for i, code in enumerate(Category.values)}
    return sorted(notice.categories.all(), key=lambda c: order.get(c.category, len(order)))


def notice_list(request):
    visible = selectors.notices_visible_to(request.user)
    years = visible.order_by("-year").values_list("year", flat=True).distinct()
    form = NoticeFilterForm(request.GET, years=list(years))
    qs = form.filter(visible).order_by("-year", "-published_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notices/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": selectors.issuing_authorities(request.user).exists(),
        },
    )


def _own_deadline(request, notice: Notice):
    """本单位的截止时间 for the organization the user acts for, or None."""
    org = request.acting.organization
    if org is None or (org.pk == notice.issuer_id and not notice.forwards_id):
        return None  # an issuer answers to no one for a notice it did not receive
    if org.kind in (Organization.Kind.ENTERPRISE, Organization.Kind.PARK):
        stage, label = Deadline.Stage.APPLICANT, "本单位申报截止"
    elif org.kind == Organization.Kind.AUTHORITY and org.parent_id:
        stage, label = Deadline.Stage.AUTHORITY, "本单位向上级报送截止"
    else:
        return None
    effective = selectors.deadline_for(notice=notice, organization=org, stage=stage)
    if effective is None:
        return {"label": label, "organization": org, "effective": None}
    return {"label": label, "organization": org, "effective": effective, "overdue": effective.is_past()}


def _quota_table(categories):
    """Rows of (authority, [limit or None per category]) for the categories shown."""
    authorities = {}
    limits = {}
    for cat in categories:
        for quota in cat.quotas.all():
            authorities[quota.authority_id] = quota.authority
            limits[(cat.pk, quota.authority_id)] = quota.limit
    return [
        (authority, [limits.get((cat.pk, authority.pk)) for cat in categories])
        for authority in sorted(authorities.values(), key=lambda a: (a.name, a.pk))
    ]


def notice_detail(request, pk: int):
    notice = selectors.notice_detail(request.user, pk)
    visible = selectors.notices_visible_to(request.user)
    forwards = visible.filter(pk=notice.forwards_id).first() if notice.forwards_id else None
    categories = ordered_categories(notice)
    can_issue = selectors.can_issue(request.user, notice.issuer)
    return render(
        request,
        "notices/detail.html",
        {
            "notice": notice,
            "forwards": forwards,
            "forwarded_by": list(visible.filter(forwards=notice).order_by("issuer__name", "id")),
            "categories": categories,
            "quota_rows": _quota_table(categories),
            "deadlines": list(notice.deadlines.all()),
            "attachments": list(notice.attachments.all()),
            "own": _own_deadline(request, notice),
            "can_issue": can_issue,
            "forward_to": list(selectors.forwarding_authorities(request.user, notice)),
            "is_draft": notice.status == Notice.Status.DRAFT,
            "is_published": notice.status == Notice.Status.PUBLISHED,
        },
    )


def notice_create(request):
    issuers = selectors.issuing_authorities(request.user).order_by("name")
    if not issuers.exists():
        raise Http404
    form = NoticeForm(
        request.POST or None,
        issuers=issuers,
        initial={"categories": ["factory", "park", "supply_chain"], "year": _this_year()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_create(
                actor=request.user,
                issuer=form.cleaned_data["issuer"],
                categories=form.cleaned_data["categories"],
                request=request,
                **form.notice_fields(),
            )
        except (ValidationError, PermissionDenied) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"已创建通知草稿“{notice.title}”。请配置类别和截止时间后发布。")
            return redirect("notice-detail", pk=notice.pk)
    return render(request, "notices/form.html", {"form": form, "notice": None})


def notice_edit(request, pk: int):
    notice = issued_notice(request, pk)
    if notice.status != Notice.Status.DRAFT:
        messages.error(request, "通知已发布，不能再修改；截止时间需要调整的，请为相关单位办理延期。")
        return redirect("notice-detail", pk=notice.pk)
    form = NoticeForm(request.POST or None, initial=NoticeForm.initial_from(notice))
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_update(actor=request.user, notice=notice, request=request, **form.notice_fields())
        except (ValidationError, PermissionDenied) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "已保存通知。")
            return redirect("notice-detail", pk=notice.pk)
    return render(request, "notices/form.html", {"form": form, "notice": notice})


def _form_error(form, exc) -> None:
    if isinstance(exc, ValidationError):
        apply_service_errors(form, exc)
    else:
        form.add_error(None, refusal(exc))


def _this_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year


@require_POST
def notice_publish(request, pk: int):
    notice = issued_notice(request, pk)
    try:
        services.notice_publish(actor=request.user, notice=notice, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, "通知已发布，辖区内的单位将收到提醒。")
    return redirect("notice-detail", pk=notice.pk)


@require_POST
def notice_close(request, pk: int):
    notice = issued_notice(request, pk)
    try:
        services.notice_close(actor=request.user, notice=notice, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, "通知已结束。")
    return redirect("notice-detail", pk=notice.pk)


@require_POST
def notice_forward(request, pk: int):
    notice = selectors.notice_for(request.user, pk)
    candidates = {a.pk: a for a in selectors.forwarding_authorities(request.user, notice)}
    try:
        authority = candidates.get(int(request.POST.get("authority") or 0))
    except ValueError:
        authority = None
    if authority is None:
        if not candidates and notice.status == Notice.Status.PUBLISHED:
            messages.error(request, "您所在的单位不直接向发文机关报送，或已转发过该通知。")
        elif not candidates:
            messages.error(request, "只能转发已发布且未结束的通知。")
        else:
            messages.error(request, "请选择以哪个单位的名义转发。")
        return redirect("notice-detail", pk=notice.pk)
    try:
        copy = services.notice_forward(actor=request.user, notice=notice, authority=authority, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
        return redirect("notice-detail", pk=notice.pk)
    messages.success(request, "已生成转发通知草稿。请完善正文，设置本级截止时间（不得晚于上级规定）后发布。")
    return redirect("notice-detail", pk=copy.pk)
