"""The applicant's pages: list, start, edit the category data, declarations and commitment, materials, engagement.

Thin: parse the form, call a service, show its Chinese message; nothing is stored when a service refuses.
Reads go through applications.selectors; an application the user may not see is a 404, and so are the
applicant-only pages for anyone outside the applicant organization. The detail page with the workflow actions is
in reviews/views.py (applications never imports reviews).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from greenmfg.errors import refusal
from notices.models import Deadline, Notice, NoticeCategory
from notices.selectors import deadlines_for_notices, open_notices_for

from . import selectors, services
from .categories import CATEGORIES_FOR_KIND, FORMS
from .forms import (
    ApplicationFilterForm,
    ApplicationForm,
    CommitmentForm,
    DeclarationsForm,
    EngagementForm,
    StartForm,
    UploadForm,
    apply_service_errors,
)
from .models import Application, Engagement

PAGE_SIZE = 20


def applicant_org(request):
    """The applicant organization the user acts for, or None (authorities, assessors, ...)."""
    org = request.acting.organization
    return org if org is not None and org.is_applicant else None


def own_application(request, pk) -> Application:
    """An application the user may see AND works on as a member of its applicant; anyone else gets a 404."""
    application = selectors.application_for(request.user, pk)
    if not services.is_member(request.user, application.applicant):
        raise Http404
    return application


def not_editable(request, application: Application):
    messages.error(
        request, f"申报当前为“{application.get_state_display()}”，不能修改；退回修改或撤回后重新编辑方可修改。"
    )
    return redirect("application-detail", pk=application.pk)


def allowed_modes(notice_category: NoticeCategory | None) -> list[str]:
    if notice_category is None:
        return []
    modes = []
    if notice_category.self_evaluation_allowed:
        modes.append(Application.EvaluationMode.SELF)
    if notice_category.third_party_allowed:
        modes.append(Application.EvaluationMode.THIRD_PARTY)
    return modes


def display_value(field, value) -> str:
    """A category field's stored JSON value as the applicant entered it: 是/否, the choice label, the number."""
    if value is None or value == "":
        return ""
    if value is True or value is False:
        return "是" if value else "否"
    choices = getattr(field, "choices", None)
    if choices:
        for key, label in choices:
            if str(key) == str(value):
                return str(label)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def category_rows(application: Application) -> list[dict]:
    """The category data as (label, value) rows, labels from the category form, in its order."""
    form = FORMS[application.category]
    data = application.data or {}
    rows = [
        {
            "name": name,
            "label": field.label,
            "value": display_value(field, data.get(name)),
            "required": name in form.REQUIRED,
        }
        for name, field in form.base_fields.items()
    ]
    if data.get("third_party_score") is not None:
        rows.append(
            {
                "name": "third_party_score",
                "label": "第三方评价得分",
                "value": display_value(None, data["third_party_score"]),
                "required": False,
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------------------- list


@require_GET
def application_list(request):
    visible = selectors.applications_visible_to(request.user)
    years = visible.order_by("-notice__year").values_list("notice__year", flat=True).distinct()
    form = ApplicationFilterForm(request.GET, years=list(years))
    qs = form.filter(visible).order_by("-updated_at", "-id")
    applicant = applicant_org(request)
    if applicant is None:
        qs = qs.annotate(eligibility_blocked=_latest_eligibility())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "applications/list.html",
        {"form": form, "page": page, "query": query.urlencode(), "applicant": applicant},
    )


def _latest_eligibility() -> Subquery:
    """Whether the latest eligibility evaluation found a hard fail, within the list's own query (None: none yet).

    By the reverse relation: applications does not import the eligibility app built on it."""
    evaluations = Application.evaluations.rel.related_model.objects
    return Subquery(evaluations.filter(application=OuterRef("pk")).order_by("-created_at", "-id").values("blocked")[:1])


# --------------------------------------------------------------------------------------------------------- start


def _nearest(notices: list[Notice]) -> list[Notice]:
    """Of each forwarding chain, the notice nearest the applicant: a notice forwarded further down is superseded."""
    forwarded = {n.forwards_id for n in notices if n.forwards_id}
    return [n for n in notices if n.pk not in forwarded]


def _descend(notices: list[Notice], notice: Notice) -> Notice:
    """The nearest open notice forwarding `notice` (the applicant applies under its own authority's notice)."""
    by_forwards = {n.forwards_id: n for n in notices if n.forwards_id}
    seen = set()
    while notice.pk in by_forwards and notice.pk not in seen:
        seen.add(notice.pk)
        notice = by_forwards[notice.pk]
    return notice


def _offers(org, notices: list[Notice]) -> list[dict]:
    """Each open notice with the categories this applicant may apply for, its deadline and what it already began."""
    allowed = CATEGORIES_FOR_KIND.get(org.kind, ())
    opened: dict[int, list[NoticeCategory]] = {}
    for nc in NoticeCategory.objects.filter(notice__in=notices, category__in=allowed):
        opened.setdefault(nc.notice_id, []).append(nc)
    existing = {(a.notice_id, a.category): a for a in Application.objects.filter(applicant=org, notice__in=notices)}
    deadlines = deadlines_for_notices(notices, organization=org, stage=Deadline.Stage.APPLICANT)
    order = {code: i for i, code in enumerate(allowed)}
    return [
        {
            "notice": n,
            "deadline": deadlines.get(n.pk),
            "categories": [
                {"nc": nc, "modes": allowed_modes(nc), "existing": existing.get((n.pk, nc.category))}
                for nc in sorted(opened.get(n.pk, []), key=lambda c: order.get(c.category, 99))
            ],
        }
        for n in notices
    ]


def application_create(request):
    org = applicant_org(request)
    if org is None:
        return render(request, "applications/new.html", {"org": None, "offers": []})
    notices = open_notices_for(org)
    nearest = _nearest(notices)
    selected = None
    try:
        notice_id = int(request.GET.get("notice") or 0)
    except ValueError:
        notice_id = 0
    category = request.GET.get("category", "")
    requested = next((n for n in notices if n.pk == notice_id), None) if notice_id else None
    if notice_id and requested is None:
        messages.error(request, "该通知不存在、已结束或不适用于本单位所在地区，请从下列通知中选择。")
    elif requested is not None:
        requested = _descend(notices, requested)
        if requested not in nearest:
            nearest = [requested, *nearest]
    offers = _offers(org, nearest)
    if requested is not None and category:
        offer = next(o for o in offers if o["notice"].pk == requested.pk)
        choice = next((c for c in offer["categories"] if c["nc"].category == category), None)
        if choice is None:
            messages.error(request, f"该通知未向{org.get_kind_display()}开放此申报类别。")
        elif choice["existing"]:
            messages.info(request, "本单位已在该通知下申报过该类别，请继续办理。")
            return redirect("application-detail", pk=choice["existing"].pk)
        else:
            selected = {**choice, "notice": offer["notice"], "deadline": offer["deadline"]}
    form = None
    if selected:
        form = StartForm(request.POST or None, modes=selected["modes"])
        if request.method == "POST" and form.is_valid():
            try:
                application = services.application_create(
                    actor=request.user,
                    applicant=org,
                    notice=selected["notice"],
                    category=selected["nc"].category,
                    evaluation_mode=form.cleaned_data["evaluation_mode"],
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError):
                    apply_service_errors(form, exc)
                else:
                    form.add_error(None, refusal(exc))
            else:
                messages.success(request, f"已创建{application.get_category_display()}申报草稿。请填写申报信息。")
                return redirect("application-edit", pk=application.pk)
    elif request.method == "POST":
        messages.error(request, "请先选择通知和申报类别。")
    return render(request, "applications/new.html", {"org": org, "offers": offers, "selected": selected, "form": form})


# ---------------------------------------------------------------------------------------------------------- edit


def application_edit(request, pk: int):
    application = own_application(request, pk)
    if not application.is_editable:
        return not_editable(request, application)
    form = ApplicationForm(
        request.POST or None, application=application, modes=allowed_modes(selectors.notice_category_of(application))
    )
    saved = False
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            services.application_update(
                actor=request.user,
                application=application,
                data=form.category_data(),
                evaluation_mode=cd["evaluation_mode"],
                self_evaluation_org=cd["self_evaluation_org"],
                self_evaluation_person=cd["self_evaluation_person"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            missing = form.missing_required() if "check" in request.POST else []
            if not missing:
                if "check" in request.POST:
                    messages.success(request, "已保存，申报信息填写完整。")
                else:
                    messages.success(request, "已保存草稿。")
                return redirect("application-detail", pk=application.pk)
            saved = True
            for name in missing:
                form.add_error(name, "提交前须填写此项。")
            messages.warning(request, f"已保存草稿；还有{len(missing)}项提交前必须填写，已在下方标出。")
    return render(request, "applications/edit.html", {"application": application, "form": form, "saved": saved})


# -------------------------------------------------------------------------------------- declarations, commitment


def application_declarations(request, pk: int):
    application = own_application(request, pk)
    if not application.is_editable:
        return not_editable(request, application)
    step = request.POST.get("step") if request.method == "POST" else None
    declarations = list(application.declarations.all())
    form = DeclarationsForm(request.POST if step == "declarations" else None, declarations=declarations)
    commitment = CommitmentForm(
        request.POST if step == "commitment" else None,
        initial={"signer": application.commitment_signer or application.applicant.legal_representative},
    )
    if step == "declarations" and form.is_valid():
        try:
            saved = services.declarations_save(
                actor=request.user, application=application, answers=form.answers(), request=request
            )
        except ValidationError as exc:
            form.apply_service_errors(exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            occurred = sum(1 for d in saved if d.occurred)
            note = f"其中{occurred}项声明存在相关情形。" if occurred else "均声明近三年无相关情形。"
            messages.success(request, f"已保存负面清单声明（{len(saved)}项），{note}请签署承诺书。")
            return redirect(f"{request.path}#commitment")
    elif step == "commitment" and commitment.is_valid():
        try:
            services.commitment_sign(
                actor=request.user,
                application=application,
                signer=commitment.cleaned_data["signer"],
                request=request,
            )
        except ValidationError as exc:
            apply_service_errors(commitment, exc)
        except PermissionDenied as exc:
            commitment.add_error(None, refusal(exc))
        else:
            messages.success(request, "已签署承诺书。")
            return redirect("application-detail", pk=application.pk)
    return render(
        request,
        "applications/declarations.html",
        {
            "application": application,
            "form": form,
            "commitment": commitment,
            "answered": len(declarations),
            "total": len(form.rows()),
        },
    )


# ------------------------------------------------------------------------------------------------------- materials


def material_upload(request, pk: int, kind: str):
    application = own_application(request, pk)
    notice_category = selectors.notice_category_of(application)
    materials = list(notice_category.materials.all()) if notice_category else []
    material = next((m for m in materials if str(m.pk) == kind), None)
    if material is None:
        raise Http404
    if not application.is_editable:
        return not_editable(request, application)
    form = UploadForm(request.POST or None, request.FILES or None, types=material.types)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.material_upload(
                actor=request.user,
                application=application,
                kind=str(material.pk),
                upload=form.cleaned_data["file"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, f"已上传“{material.name}”第{record.version}版：{record.original_name}。")
            return redirect(f"/applications/{application.pk}/#materials")
    versions = list(application.files.filter(kind=str(material.pk)).select_related("uploaded_by").order_by("-version"))
    return render(
        request,
        "applications/upload.html",
        {"application": application, "material": material, "form": form, "versions": versions},
    )


@require_GET
def file_download(request, pk: int, file_id: int):
    record = selectors.file_for(request.user, pk, file_id)
    try:
        handle = record.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=record.original_name, content_type=record.content_type)


# ------------------------------------------------------------------------------------------------------ engagement


def application_engagement(request, pk: int):
    application = own_application(request, pk)
    engagements = list(application.engagements.select_related("assessor", "requested_by", "responded_by"))
    active = next((e for e in engagements if e.is_active), None)
    action = request.POST.get("do") if request.method == "POST" else None
    form = EngagementForm(request.POST if action == "request" else None)
    if action == "request" and form.is_valid():
        try:
            engagement = services.engagement_request(
                actor=request.user, application=application, assessor=form.cleaned_data["assessor"], request=request
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, f"已向“{engagement.assessor.name}”发出评价委托，等待其接受。")
            return redirect("application-engagement", pk=application.pk)
    elif action == "cancel":
        try:
            engagement_id = int(request.POST.get("engagement") or 0)
        except ValueError:
            engagement_id = 0
        target = next((e for e in engagements if e.pk == engagement_id), None)
        if target is None:
            messages.error(request, "该委托不存在或已结束。")
        else:
            try:
                services.engagement_cancel(actor=request.user, engagement=target, request=request)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, refusal(exc))
            else:
                messages.success(request, f"已撤销对“{target.assessor.name}”的委托。")
        return redirect("application-engagement", pk=application.pk)
    return render(
        request,
        "applications/engagement.html",
        {
            "application": application,
            "engagements": engagements,
            "active": active,
            "form": form,
            "third_party": application.evaluation_mode == Application.EvaluationMode.THIRD_PARTY,
            "can_request": application.is_editable and active is None,
            "Status": Engagement.Status,
        },
    )
