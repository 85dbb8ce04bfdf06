"""Configuring a notice: categories and their options, required materials, quotas, deadlines, extensions.

Each form posts to its own URL and calls one service; on a refusal the page is shown again with the service's
Chinese message on the form that was sent, and nothing is stored.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import (
    CategoryOptionsForm,
    DeadlineForm,
    ExtensionForm,
    MaterialForm,
    QuotaForm,
    apply_service_errors,
)
from .models import Category, Deadline, Notice, NoticeCategory, RequiredMaterial
from .views import issued_notice, ordered_categories, refusal


def _fail(form, exc, aliases=None) -> None:
    if isinstance(exc, ValidationError):
        apply_service_errors(form, exc, aliases)
    else:
        form.add_error(None, refusal(exc))


# Categories, materials and quotas: one page, several forms.


def _categories_url(notice, anchor: str = "") -> str:
    url = reverse("notice-categories", args=[notice.pk])
    return f"{url}#{anchor}" if anchor else url


def _quota_form(notice, categories, data=None):
    return QuotaForm(
        data,
        categories=categories,
        authorities=selectors.receiving_authorities(notice),
        initial={QuotaForm.key(c, q.authority): q.limit for c in categories for q in c.quotas.all()},
    )


def _categories_page(request, notice_pk: int, bound: dict | None = None, status: int = 200):
    """The page with every form; `bound` holds the form that was just sent back with its errors."""
    bound = bound or {}
    notice = issued_notice(request, notice_pk)
    notice = selectors.notice_detail(request.user, notice.pk)
    is_draft = notice.status == Notice.Status.DRAFT
    opened = {c.category: c for c in notice.categories.all()}
    parent_open = None
    if notice.forwards_id:
        parent_open = set(notice.forwards.categories.values_list("category", flat=True))
    editing = request.GET.get("material")
    sections = []
    for code, label in Category.choices:
        item = opened.get(code)
        materials = list(item.materials.all()) if item else []
        edit_material = next((m for m in materials if str(m.pk) == editing), None)
        material_form = bound.get(("material", code))
        if material_form is None and item is not None:
            if edit_material is not None:
                material_form = MaterialForm(initial=MaterialForm.initial_from(edit_material), prefix=f"m-{code}")
            else:
                material_form = MaterialForm(prefix=f"m-{code}")
        if ("material", code) in bound:
            edit_material = bound.get(("material-target", code))
        sections.append(
            {
                "code": code,
                "label": label,
                "item": item,
                "allowed": parent_open is None or code in parent_open,
                "options_form": bound.get(("options", code))
                or CategoryOptionsForm(initial=CategoryOptionsForm.initial_from(item), prefix=f"c-{code}"),
                "materials": materials,
                "material_form": material_form,
                "edit_material": edit_material,
            }
        )
    categories = ordered_categories(notice)
    return render(
        request,
        "notices/categories.html",
        {
            "notice": notice,
            "is_draft": is_draft,
            "sections": sections,
            "quota_form": bound.get("quotas") or _quota_form(notice, categories),
            "remove_form": bound.get("remove"),
        },
        status=status,
    )


def notice_categories(request, pk: int):
    return _categories_page(request, pk)


@require_POST
def category_set(request, pk: int, code: str):
    notice = issued_notice(request, pk)
    if code not in Category.values:
        raise Http404
    form = CategoryOptionsForm(request.POST, prefix=f"c-{code}")
    if form.is_valid():
        try:
            services.notice_category_set(
                actor=request.user, notice=notice, category=code, request=request, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as exc:
            _fail(form, exc)
        else:
            messages.success(request, f"已保存“{Category(code).label}”的设置。")
            return redirect(_categories_url(notice, f"cat-{code}"))
    return _categories_page(request, pk, {("options", code): form})


@require_POST
def category_remove(request, pk: int, code: str):
    notice = issued_notice(request, pk)
    item = get_object_or_404(NoticeCategory, notice=notice, category=code)
    try:
        services.notice_category_remove(actor=request.user, notice_category=item, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, f"已关闭“{item.get_category_display()}”，其材料要求和名额一并删除。")
    return redirect(_categories_url(notice, f"cat-{code}"))


@require_POST
def material_add(request, pk: int, code: str):
    notice = issued_notice(request, pk)
    item = get_object_or_404(NoticeCategory, notice=notice, category=code)
    return _material_save(request, notice, item, None)


@require_POST
def material_edit(request, pk: int, material_id: int):
    notice = issued_notice(request, pk)
    material = get_object_or_404(
        RequiredMaterial.objects.select_related("notice_category"), pk=material_id, notice_category__notice=notice
    )
    return _material_save(request, notice, material.notice_category, material)


def _material_save(request, notice, item, material):
    code = item.category
    form = MaterialForm(request.POST, prefix=f"m-{code}")
    if form.is_valid():
        try:
            saved = services.material_save(
                actor=request.user,
                notice_category=item,
                material=material,
                request=request,
                **form.material_fields(),
            )
        except (ValidationError, PermissionDenied) as exc:
            _fail(form, exc)
        else:
            messages.success(request, f"已保存材料要求“{saved.name}”。")
            return redirect(_categories_url(notice, f"cat-{code}"))
    return _categories_page(request, notice.pk, {("material", code): form, ("material-target", code): material})


@require_POST
def material_remove(request, pk: int, material_id: int):
    notice = issued_notice(request, pk)
    material = get_object_or_404(
        RequiredMaterial.objects.select_related("notice_category"), pk=material_id, notice_category__notice=notice
    )
    try:
        services.material_remove(actor=request.user, material=material, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, f"已删除材料要求“{material.name}”。")
    return redirect(_categories_url(notice, f"cat-{material.notice_category.category}"))


@require_POST
def quotas_save(request, pk: int):
    notice = issued_notice(request, pk)
    notice = selectors.notice_detail(request.user, notice.pk)
    categories = ordered_categories(notice)
    form = _quota_form(notice, categories, request.POST)
    if form.is_valid():
        current = {(c.pk, q.authority_id): q.limit for c in categories for q in c.quotas.all()}
        changed = 0
        try:
            # All or nothing: a refused quota leaves every quota as it was.
            with transaction.atomic():
                for item, authority, limit in form.changes(current):
                    services.quota_set(
                        actor=request.user, notice_category=item, authority=authority, limit=limit, request=request
                    )
                    changed += 1
        except (ValidationError, PermissionDenied) as exc:
            _fail(form, exc)
        else:
            messages.success(request, f"已保存推荐名额（{changed} 项有变动）。" if changed else "推荐名额没有变动。")
            return redirect(_categories_url(notice, "quotas"))
    return _categories_page(request, notice.pk, {"quotas": form})


# Deadlines.


def _deadline_form(notice, data=None, initial=None):
    return DeadlineForm(data, initial=initial, authorities=selectors.deadline_authorities(notice))


def _deadlines_page(request, notice, form=None, status=200):
    notice = selectors.notice_detail(request.user, notice.pk)
    is_draft = notice.status == Notice.Status.DRAFT
    if form is None and is_draft:
        deadlines = {str(d.pk): d for d in notice.deadlines.all()}
        editing = deadlines.get(request.GET.get("edit", ""))
        form = _deadline_form(notice, initial=DeadlineForm.initial_from(editing) if editing else None)
    return render(
        request,
        "notices/deadlines.html",
        {
            "notice": notice,
            "is_draft": is_draft,
            "is_published": notice.status == Notice.Status.PUBLISHED,
            "deadlines": list(notice.deadlines.all()),
            "upper": services.upper_deadline(notice),
            "form": form,
        },
        status=status,
    )


def notice_deadlines(request, pk: int):
    notice = issued_notice(request, pk)
    if request.method != "POST":
        return _deadlines_page(request, notice)
    form = _deadline_form(notice, request.POST)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            deadline = services.deadline_set(
                actor=request.user,
                notice=notice,
                stage=cd["stage"],
                authority=cd.get("authority"),
                due_at=form.moment("due_date", "due_time"),
                note=cd.get("note", "").strip(),
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            _fail(form, exc, DeadlineForm.ALIASES)
        else:
            messages.success(
                request, f"已设置截止时间：{deadline.get_stage_display()} {services.format_moment(deadline.due_at)}。"
            )
            return redirect("notice-deadlines", pk=notice.pk)
    return _deadlines_page(request, notice, form)


@require_POST
def deadline_remove(request, pk: int, deadline_id: int):
    notice = issued_notice(request, pk)
    deadline = get_object_or_404(Deadline, pk=deadline_id, notice=notice)
    try:
        services.deadline_remove(actor=request.user, deadline=deadline, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, refusal(exc))
    else:
        messages.success(request, "已删除该截止时间。")
    return redirect("notice-deadlines", pk=notice.pk)


# Extensions (延期).


def extension_add(request, pk: int):
    notice = issued_notice(request, pk)
    if notice.status != Notice.Status.PUBLISHED:
        messages.error(
            request,
            "通知尚未发布，请直接修改截止时间。"
            if notice.status == Notice.Status.DRAFT
            else "通知已结束，不能再批准延期。",
        )
        return redirect("notice-detail", pk=notice.pk)
    deadlines = Deadline.objects.filter(notice=notice).select_related("authority")
    form = ExtensionForm(
        request.POST or None,
        deadlines=deadlines,
        candidates=selectors.extension_candidates(notice),
        initial={"deadline": request.GET.get("deadline")},
    )
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            extension = services.extension_grant(
                actor=request.user,
                deadline=cd["deadline"],
                organization=cd["organization"],
                new_due_at=form.moment("new_date", "new_time"),
                reason=cd["reason"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            _fail(form, exc, ExtensionForm.ALIASES)
        else:
            messages.success(
                request,
                f"已批准“{extension.organization.name}”延期至{services.format_moment(extension.new_due_at)}，"
                "并已通知该单位。",
            )
            return redirect("notice-detail", pk=notice.pk)
    return render(request, "notices/extension_form.html", {"notice": notice, "form": form})
