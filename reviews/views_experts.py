"""Expert review pages: the authority's panels (members, scoring form, assignment matrix, ranking with a bulk
decision) and the expert's own assignments (score form, decline with 回避).

Thin: forms parse, reviews.services.experts acts, reviews.selectors.experts reads. A panel or assignment the user
may not see is a 404; so is an authority page for the expert and an expert page for anyone but the expert.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from applications.models import Application
from greenmfg.errors import refusal
from greenmfg.validators import MAX_OBJECT_ID
from notices.models import Category, Notice
from organizations.models import ExpertProfile
from organizations.selectors import authority_ancestor_ids

from .models import Assignment, Panel, Score
from .selectors import experts as selectors
from .services import experts as services

PAGE_SIZE = 25
BLANK_CRITERIA = 3


# ----------------------------------------------------------------------------------------------------- forms


class PanelForm(forms.Form):
    authority = forms.ChoiceField(label="组织评审单位")
    notice = forms.ModelChoiceField(label="依据的通知", queryset=Notice.objects.none())
    category = forms.ChoiceField(label="申报类别", choices=Category.choices)
    name = forms.CharField(label="评审组名称", max_length=128)
    aggregate = forms.ChoiceField(label="汇总方式", choices=Panel.Aggregate.choices)
    experts_per_application = forms.IntegerField(label="每项申报评审专家数", min_value=1, max_value=15, initial=3)
    experts = forms.ModelMultipleChoiceField(
        label="评审专家（本单位专家库）",
        queryset=ExpertProfile.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, authorities, **kwargs):
        super().__init__(*args, **kwargs)
        self.authorities = {str(a.pk): a for a in authorities}
        self.fields["authority"].choices = [(pk, a.name) for pk, a in self.authorities.items()]
        issuers = set()
        for a in authorities:
            issuers.update(authority_ancestor_ids(a.pk))
        self.fields["notice"].queryset = Notice.objects.filter(
            issuer_id__in=issuers, status=Notice.Status.PUBLISHED
        ).order_by("-year", "-id")
        self.fields["notice"].label_from_instance = lambda n: f"{n.year}年度 · {n.title}"
        self.fields["experts"].queryset = (
            ExpertProfile.objects.filter(pool__in=authorities, is_active=True).select_related("user").order_by("id")
        )
        self.fields["experts"].label_from_instance = lambda e: f"{e}（{e.title or '—'}，{e.employer or '—'}）"


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        label="决定", choices=[("recommend", "推荐"), ("not_recommend", "不予推荐")], widget=forms.RadioSelect
    )
    opinion = forms.CharField(label="意见", widget=forms.Textarea(attrs={"rows": 3}))


class DeclineForm(forms.Form):
    reason = forms.CharField(label="拒绝理由", max_length=255, widget=forms.Textarea(attrs={"rows": 3}))
    conflict = forms.BooleanField(label="回避：本人与申报单位存在利益关系，今后不再评审该单位", required=False)


def _apply(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# ------------------------------------------------------------------------------------------------ authority


def _authority_panel(request, pk) -> Panel:
    """A panel the user may see as a member of its authority (experts get a 404 here)."""
    panel = selectors.panel_for(request.user, pk)
    if not services.is_panel_member(request.user, panel):
        raise Http404
    return panel


@require_GET
def panel_list(request):
    qs = selectors.panel_list(request.user).order_by("-notice__year", "category", "id")
    q = (request.GET.get("q") or "").strip()
    category = request.GET.get("category") or ""
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(notice__title__icontains=q))
    if category in Category.values:
        qs = qs.filter(category=category)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reviews/experts/panel_list.html",
        {
            "page": page,
            "query": query.urlencode(),
            "q": q,
            "category": category,
            "categories": Category.choices,
            "can_create": bool(services.panel_authorities(request.user)),
        },
    )


def _panel_form(request, panel: Panel | None):
    authorities = [panel.authority] if panel else services.panel_authorities(request.user)
    if not authorities:
        raise Http404
    initial = {}
    if panel is not None:
        initial = {
            "authority": str(panel.authority_id),
            "notice": panel.notice_id,
            "category": panel.category,
            "name": panel.name,
            "aggregate": panel.aggregate,
            "experts_per_application": panel.experts_per_application,
            "experts": list(panel.experts.values_list("pk", flat=True)),
        }
    form = PanelForm(request.POST or None, authorities=authorities, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            panel = services.panel_save(
                actor=request.user,
                authority=form.authorities[data["authority"]],
                notice=data["notice"],
                category=data["category"],
                name=data["name"],
                aggregate=data["aggregate"],
                experts_per_application=data["experts_per_application"],
                experts=list(data["experts"]),
                panel=panel,
                request=request,
            )
        except ValidationError as exc:
            _apply(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, f"已保存评审组“{panel.name}”。")
            return redirect("panel-detail", pk=panel.pk)
    return render(request, "reviews/experts/panel_form.html", {"form": form, "panel": panel})


def panel_create(request):
    return _panel_form(request, None)


def panel_edit(request, pk: int):
    return _panel_form(request, _authority_panel(request, pk))


@require_GET
def panel_detail(request, pk: int):
    panel = _authority_panel(request, pk)
    experts = list(panel.experts.select_related("user").order_by("id"))
    applications = list(services.candidate_applications(panel))
    criteria = list(panel.criteria.all())
    index = services.ConflictIndex(experts, applications)
    existing = {
        (a.application_id, a.expert_id): a
        for a in panel.assignments.filter(application__in=applications).order_by("id")
    }
    load = {e.pk: 0 for e in experts}
    for a in panel.assignments.filter(status__in=services.ACTIVE).only("expert_id"):
        if a.expert_id in load:
            load[a.expert_id] += 1
    matrix = []
    for application in applications:
        cells = []
        for expert in experts:
            assignment = existing.get((application.pk, expert.pk))
            cells.append(
                {
                    "expert": expert,
                    "assignment": assignment,
                    "conflicts": [] if assignment else index.reasons(expert, application),
                }
            )
        active = sum(1 for c in cells if c["assignment"] and c["assignment"].status in services.ACTIVE)
        matrix.append({"application": application, "cells": cells, "active": active})
    rows = [
        {"name": c.name, "description": c.description, "weight": c.weight, "max_score": c.max_score} for c in criteria
    ]
    rows += [{"name": "", "description": "", "weight": "", "max_score": ""}] * BLANK_CRITERIA
    locked = Score.objects.filter(assignment__panel=panel).exists()
    return render(
        request,
        "reviews/experts/panel_detail.html",
        {
            "panel": panel,
            "experts": [{"expert": e, "load": load[e.pk]} for e in experts],
            "criteria": criteria,
            "criteria_rows": rows,
            "criteria_locked": locked,
            "matrix": matrix,
            "total_weight": sum((c.weight for c in criteria), 0),
        },
    )


@require_POST
def panel_criteria(request, pk: int):
    panel = _authority_panel(request, pk)
    post = request.POST
    rows = [
        {"name": n, "description": d, "weight": w, "max_score": m}
        for n, d, w, m in zip(
            post.getlist("name"),
            post.getlist("description"),
            post.getlist("weight"),
            post.getlist("max_score"),
            strict=False,
        )
    ]
    try:
        saved = services.criteria_save(actor=request.user, panel=panel, rows=rows, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, f"评分表未保存：{refusal(exc)}")
    else:
        messages.success(request, f"评分表已保存，共{len(saved)}项。")
    return redirect("panel-detail", pk=panel.pk)


@require_POST
def panel_assign(request, pk: int):
    panel = _authority_panel(request, pk)
    application = get_object_or_404(Application, pk=request.POST.get("application") or 0)
    expert = get_object_or_404(panel.experts.select_related("user"), pk=request.POST.get("expert") or 0)
    try:
        services.assignment_create(
            actor=request.user, panel=panel, application=application, expert=expert, request=request
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, f"未能分配：{refusal(exc)}")
    else:
        messages.success(request, f"已将“{application.applicant.name}”分配给{expert}评审。")
    return redirect("panel-detail", pk=panel.pk)


@require_POST
def panel_auto_assign(request, pk: int):
    panel = _authority_panel(request, pk)
    try:
        unfilled = services.assignments_auto(actor=request.user, panel=panel, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, f"未能自动分配：{refusal(exc)}")
    else:
        if unfilled:
            names = "；".join(f"{u['application'].applicant.name}（缺{u['missing']}人）" for u in unfilled)
            messages.warning(request, f"自动分配完成，但以下申报可分配的专家不足：{names}")
        else:
            messages.success(request, "自动分配完成：每项申报均已分配足额专家。")
    return redirect("panel-detail", pk=panel.pk)


@require_POST
def assignment_remove(request, pk: int):
    assignment = selectors.assignment_for(request.user, pk)
    if not services.is_panel_member(request.user, assignment.panel):
        raise Http404
    try:
        services.assignment_remove(actor=request.user, assignment=assignment, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, f"已撤销{assignment.expert}对“{assignment.application.applicant.name}”的评审任务。")
    return redirect("panel-detail", pk=assignment.panel_id)


def panel_ranking(request, pk: int):
    panel = _authority_panel(request, pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        chosen = request.POST.getlist("applications")
        if form.is_valid():
            try:
                done, refused = services.ranking_decide(
                    actor=request.user,
                    panel=panel,
                    application_ids=[int(x) for x in chosen if x.isdigit() and int(x) <= MAX_OBJECT_ID],
                    action=form.cleaned_data["action"],
                    opinion=form.cleaned_data["opinion"],
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, refusal(exc))
            else:
                label = dict(form.fields["action"].choices)[form.cleaned_data["action"]]
                if done:
                    messages.success(request, f"已{label}{len(done)}项：" + "、".join(a.applicant.name for a in done))
                for application, reason in refused:
                    messages.error(request, f"{application.applicant.name}未能{label}：{reason}")
                return redirect("panel-ranking", pk=panel.pk)
    data = selectors.ranking(panel)
    return render(request, "reviews/experts/ranking.html", {"panel": panel, "ranking": data, "form": form})


# --------------------------------------------------------------------------------------------------- expert


@require_GET
def assignment_list(request):
    qs = selectors.my_assignments(request.user).order_by("status", "-assigned_at", "-id")
    status = request.GET.get("status") or ""
    q = (request.GET.get("q") or "").strip()
    if status in Assignment.Status.values:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(application__applicant__name__icontains=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reviews/experts/assignment_list.html",
        {"page": page, "query": query.urlencode(), "status": status, "q": q, "statuses": Assignment.Status.choices},
    )


def _own_assignment(request, pk) -> Assignment:
    assignment = selectors.assignment_for(request.user, pk)
    if assignment.expert.user_id != request.user.pk:
        raise Http404
    return assignment


def assignment_detail(request, pk: int):
    assignment = _own_assignment(request, pk)
    criteria = list(assignment.panel.criteria.all())
    given = {s.criterion_id: s.value for s in assignment.scores.all()}
    values = {str(c.pk): given.get(c.pk, "") for c in criteria}
    errors: dict[str, list[str]] = {}
    comment = assignment.comment
    decline = DeclineForm(prefix="decline")
    if request.method == "POST" and request.POST.get("do") == "score":
        values = {str(c.pk): request.POST.get(f"score-{c.pk}", "") for c in criteria}
        comment = request.POST.get("comment", "")
        try:
            assignment = services.score_submit(
                actor=request.user, assignment=assignment, values=values, comment=comment, request=request
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            messages.error(request, "评分未提交，请按提示修改。")
        except PermissionDenied as exc:
            messages.error(request, refusal(exc))
        else:
            messages.success(request, f"评分已提交，加权总分 {assignment.total}。")
            return redirect("assignment-detail", pk=assignment.pk)
    elif request.method == "POST" and request.POST.get("do") == "decline":
        decline = DeclineForm(request.POST, prefix="decline")
        if decline.is_valid():
            try:
                services.assignment_decline(
                    actor=request.user,
                    assignment=assignment,
                    reason=decline.cleaned_data["reason"],
                    conflict=decline.cleaned_data["conflict"],
                    request=request,
                )
            except ValidationError as exc:
                _apply(decline, exc)
            except PermissionDenied as exc:
                decline.add_error(None, refusal(exc))
            else:
                messages.success(request, "已拒绝该评审任务，组织评审单位会收到通知。")
                return redirect("assignment-list")
    rows = [{"criterion": c, "value": values.get(str(c.pk), ""), "errors": errors.get(str(c.pk), [])} for c in criteria]
    application = assignment.application
    open_for_scoring = (
        assignment.status != Assignment.Status.DECLINED
        and application.holder_id == assignment.panel.authority_id
        and application.state == "under_review"
    )
    return render(
        request,
        "reviews/experts/assignment_detail.html",
        {
            "assignment": assignment,
            "application": application,
            "rows": rows,
            "comment": comment,
            "form_errors": errors.get("__all__", []) + errors.get("scores", []),
            "decline": decline,
            "open_for_scoring": open_for_scoring,
            "declinable": assignment.status == Assignment.Status.ASSIGNED,
        },
    )
