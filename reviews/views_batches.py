"""Pages of recommendation batches: the list (own and incoming), a new batch, and the batch page with its ranked
items, findings, scan, deadline and the actions of the sender (reorder, submit) and the recipient (receive, return).

Thin: visibility through reviews.selectors.batches, every change through reviews.services.batches; a refusal is
shown as the service's Chinese message.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.models import Application, State
from applications.views import refusal
from notices.models import Notice
from organizations.models import Organization
from organizations.selectors import memberships_of

from .models import Batch
from .selectors.batches import batch_for, batches_visible_to, with_counts
from .services.batches import (
    DECIDING,
    ERROR,
    INFO,
    LEVEL_LABELS,
    WARNING,
    batch_create,
    batch_deadline,
    batch_delete,
    batch_findings,
    batch_items_set,
    batch_receive,
    batch_return,
    batch_scan_upload,
    batch_submit,
    family_ids,
)

PAGE_SIZE = 25


def acting_authority(request) -> Organization | None:
    org = request.acting.organization
    return org if org is not None and org.kind == Organization.Kind.AUTHORITY else None


def _role(user, org_id, roles=None) -> bool:
    return any(m.organization_id == org_id and (roles is None or m.role in roles) for m in memberships_of(user))


def held_recommended(org: Organization):
    return (
        Application.objects.filter(holder=org, state=State.RECOMMENDED)
        .select_related("applicant", "notice", "notice__issuer")
        .order_by("notice_id", "applicant__name", "id")
    )


class BatchFilterForm(forms.Form):
    q = forms.CharField(label="批次名称或单位", required=False)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")] + Batch.State.choices)
    notice = forms.TypedChoiceField(label="通知", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, notices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice"].choices = [("", "全部")] + [(n.pk, f"{n.year}年度 · {n.title}") for n in notices]

    def filter(self, qs):
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            qs = qs.filter(Q(title__icontains=q) | Q(authority__name__icontains=q) | Q(recipient__name__icontains=q))
        if data["state"]:
            qs = qs.filter(state=data["state"])
        if data["notice"]:
            qs = qs.filter(notice_id=data["notice"])
        return qs


@require_GET
def batch_list(request):
    visible = batches_visible_to(request.user)
    org = acting_authority(request)
    tab = "incoming" if request.GET.get("tab") == "incoming" else "own"
    if org is not None:
        qs = visible.filter(recipient=org) if tab == "incoming" else visible.filter(authority=org)
    else:
        qs = visible.exclude(state=Batch.State.DRAFT) if tab == "incoming" else visible
    notices = Notice.objects.filter(pk__in=visible.values("notice_id")).order_by("-year", "id")
    form = BatchFilterForm(request.GET, notices=notices)
    qs = with_counts(form.filter(qs)).order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filtered = any(request.GET.get(k) for k in ("q", "state", "notice"))
    return render(
        request,
        "reviews/batches/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "tab": tab,
            "org": org,
            "filtered": filtered,
            "can_create": org is not None and org.parent_id and _role(request.user, org.pk, DECIDING),
            "waiting": held_recommended(org).count() if org is not None else 0,
        },
    )


@require_http_methods(["GET", "POST"])
def batch_new(request):
    org = acting_authority(request)
    if org is None or not org.parent_id:
        raise Http404("只有有上级主管部门的主管部门可以报送推荐批次。")
    candidates = list(held_recommended(org))
    notices = sorted({a.notice for a in candidates}, key=lambda n: (-n.year, n.pk))
    source = request.POST if request.method == "POST" else request.GET
    chosen = list(
        dict.fromkeys(int(x) for v in source.getlist("applications") for x in v.split(",") if x.strip().isdigit())
    )
    errors = []
    if request.method == "POST":
        notice = next((n for n in notices if str(n.pk) == request.POST.get("notice")), None)
        if notice is None:
            errors.append("请选择报送依据的通知。")
        else:
            family = family_ids(notice)
            order = [a.pk for a in candidates if a.pk in chosen and a.notice_id in family]
            try:
                batch = batch_create(
                    actor=request.user,
                    authority=org,
                    notice=notice,
                    applications=order or chosen,
                    title=request.POST.get("title", ""),
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                errors.append(refusal(exc))
            else:
                messages.success(request, f"已新建《{batch.title}》，请调整推荐顺序并上传盖章扫描件。")
                return redirect("batch-detail", pk=batch.pk)
    return render(
        request,
        "reviews/batches/new.html",
        {
            "org": org,
            "candidates": candidates,
            "notices": notices,
            "chosen": set(chosen) if chosen else {a.pk for a in candidates},
            "selected_notice": request.POST.get("notice", str(notices[0].pk) if notices else ""),
            "title": request.POST.get("title", ""),
            "errors": errors,
            "can_create": _role(request.user, org.pk, DECIDING),
        },
    )


@require_GET
def batch_detail(request, pk: int):
    batch = batch_for(request.user, pk)
    items = list(batch.items.all())
    is_sender = _role(request.user, batch.authority_id)
    is_recipient = _role(request.user, batch.recipient_id)
    editable = batch.state == Batch.State.DRAFT and _role(request.user, batch.authority_id, DECIDING)
    findings = batch_findings(batch)
    in_batch = {i.application_id for i in items}
    family = family_ids(batch.notice)
    addable = (
        [a for a in held_recommended(batch.authority) if a.pk not in in_batch and a.notice_id in family]
        if editable
        else []
    )
    return render(
        request,
        "reviews/batches/detail.html",
        {
            "batch": batch,
            "items": items,
            "groups": [
                (level, LEVEL_LABELS[level], [f for f in findings if f.level == level])
                for level in (ERROR, WARNING, INFO)
            ],
            "blocked": any(f.level == ERROR for f in findings),
            "deadline": batch_deadline(batch),
            "is_sender": is_sender,
            "is_recipient": is_recipient,
            "editable": editable,
            "can_scan": batch.state == Batch.State.DRAFT and is_sender,
            "can_receive": batch.state == Batch.State.SUBMITTED and is_recipient,
            "can_return": batch.state in (Batch.State.SUBMITTED, Batch.State.RECEIVED)
            and _role(request.user, batch.recipient_id, DECIDING),
            "addable": addable,
        },
    )


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@require_POST
def batch_action(request, pk: int):
    batch = batch_for(request.user, pk)
    op = request.POST.get("op", "")
    version = _version(request)
    order = [i.application_id for i in batch.items.all()]
    done = {
        "up": "已调整推荐顺序。",
        "down": "已调整推荐顺序。",
        "remove": "已从批次中移出。",
        "add": "已加入批次。",
        "delete": "已删除草稿批次。",
        "submit": f"已报送至{batch.recipient.name}。",
        "receive": "已签收，批次中的申报已在本单位待审。",
        "return": f"已退回{batch.authority.name}。",
    }
    try:
        if op in ("up", "down", "remove", "add"):
            target = int(request.POST.get("application", "0") or 0)
            if op == "add":
                order.append(target)
            elif target in order:
                i = order.index(target)
                if op == "remove":
                    order.pop(i)
                else:
                    j = i - 1 if op == "up" else i + 1
                    if 0 <= j < len(order):
                        order[i], order[j] = order[j], order[i]
            batch_items_set(
                actor=request.user, batch=batch, applications=order, expected_version=version, request=request
            )
        elif op == "delete":
            batch_delete(actor=request.user, batch=batch, request=request)
            messages.success(request, done[op])
            return redirect("batch-list")
        elif op == "submit":
            batch_submit(actor=request.user, batch=batch, expected_version=version, request=request)
        elif op == "receive":
            batch_receive(actor=request.user, batch=batch, expected_version=version, request=request)
        elif op == "return":
            batch_return(
                actor=request.user,
                batch=batch,
                reason=request.POST.get("reason", ""),
                expected_version=version,
                request=request,
            )
        else:
            raise ValidationError(f"未知操作：{op}")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, done[op])
    return redirect("batch-detail", pk=pk)


@require_http_methods(["GET", "POST"])
def batch_scan(request, pk: int):
    batch = batch_for(request.user, pk)
    if request.method == "POST":
        try:
            batch_scan_upload(actor=request.user, batch=batch, upload=request.FILES.get("file"), request=request)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, f"未能上传：{refusal(exc)}")
        else:
            messages.success(request, "已上传盖章扫描件。")
        return redirect("batch-detail", pk=pk)
    if not batch.scan:
        raise Http404("尚未上传盖章扫描件。")
    try:
        handle = batch.scan.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=batch.scan_name or "扫描件")
