"""Every write to an application's content: data, declarations, commitment, materials, the assessor's part.

State changes (submit, withdraw, return, ...) are not here: they go through the one workflow entry point,
reviews.services.transition_perform, which reads the table in reviews/workflow.py.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from activity.services import audit_record, notification_send
from greenmfg.uploads import CONTENT_TYPES, check_upload, safe_name, store_upload
from notices.models import Notice, NoticeCategory, RequiredMaterial
from organizations.models import Organization
from organizations.selectors import memberships_of

from .categories import CATEGORIES_FOR_KIND, clean_category_data
from .models import (
    THIRD_PARTY_REPORT,
    Application,
    Declaration,
    Engagement,
    MaterialFile,
    NegativeItem,
)

# Called after commit with the ids of applications whose facts changed (eligibility registers itself here).
FACT_HOOKS: list = []


def facts_changed(application_ids) -> None:
    ids = list(application_ids)
    for hook in FACT_HOOKS:
        transaction.on_commit(lambda hook=hook: hook(ids))


REPORT_TYPES = ["pdf"]
REPORT_MAX_BYTES = 100 * 1024 * 1024


def is_member(user, organization: Organization) -> bool:
    return bool(user.is_superuser) or any(m.organization_id == organization.pk for m in memberships_of(user))


def members(organization: Organization) -> list:
    return [m.user for m in organization.memberships.filter(is_active=True).select_related("user")]


def grant_view(application: Application, organization: Organization) -> None:
    if organization.group_id:
        assign_perm("applications.view_application", organization.group, application)


def _require_applicant(actor, application: Application) -> None:
    if not is_member(actor, application.applicant):
        raise PermissionDenied("只有申报单位的人员可以办理此事项。")


def _require_editable(application: Application) -> None:
    if not application.is_editable:
        raise ValidationError(f"申报当前为“{application.get_state_display()}”，不能修改；退回修改后方可编辑。")


def _locked(application: Application) -> Application:
    # The row alone: see reviews.services.transition_perform on locking with joins.
    return Application.objects.select_for_update().get(pk=application.pk)


@transaction.atomic
def application_create(
    *,
    actor,
    applicant: Organization,
    notice: Notice,
    category: str,
    evaluation_mode: str = Application.EvaluationMode.SELF,
    data: dict | None = None,
    request=None,
) -> Application:
    if not is_member(actor, applicant):
        raise PermissionDenied("只能以本单位名义申报。")
    allowed = CATEGORIES_FOR_KIND.get(applicant.kind, ())
    if category not in allowed:
        raise ValidationError({"category": [f"{applicant.get_kind_display()}不能申报该类别。"]})
    if notice.status != Notice.Status.PUBLISHED:
        raise ValidationError({"notice": ["该通知未发布或已结束，不能申报。"]})
    notice_category = NoticeCategory.objects.filter(notice=notice, category=category).first()
    if notice_category is None:
        raise ValidationError({"category": ["该通知未开放此申报类别。"]})
    if evaluation_mode not in Application.EvaluationMode.values:
        raise ValidationError({"evaluation_mode": ["请选择评价方式（自评价或第三方评价）。"]})
    _check_mode(notice_category, evaluation_mode)
    from notices.selectors import open_notices_for

    if notice.pk not in {n.pk for n in open_notices_for(applicant)}:
        raise ValidationError({"notice": ["该通知不适用于本单位所在地区。"]})
    application = Application(
        notice=notice,
        category=category,
        applicant=applicant,
        holder=applicant,
        evaluation_mode=evaluation_mode,
        created_by=actor,
        data=clean_category_data(category, data or {}),
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:
        raise ValidationError("本单位已在该通知下申报过该类别，请在“我的申报”中继续办理。") from exc
    grant_view(application, applicant)
    audit_record(
        actor=actor,
        verb="application.create",
        target=application,
        organization=applicant,
        after=application.state,
        request=request,
    )
    return application


def _check_mode(notice_category: NoticeCategory, mode: str) -> None:
    if mode == Application.EvaluationMode.SELF and not notice_category.self_evaluation_allowed:
        raise ValidationError({"evaluation_mode": ["本通知该类别不允许自评价，请选择第三方评价。"]})
    if mode == Application.EvaluationMode.THIRD_PARTY and not notice_category.third_party_allowed:
        raise ValidationError({"evaluation_mode": ["本通知该类别不接受第三方评价。"]})


@transaction.atomic
def application_update(
    *,
    actor,
    application: Application,
    data: dict | None = None,
    evaluation_mode: str | None = None,
    self_evaluation_org: Organization | None = None,
    self_evaluation_person: str | None = None,
    request=None,
) -> Application:
    application = _locked(application)
    _require_applicant(actor, application)
    _require_editable(application)
    if data is not None:
        merged = {**(application.data or {}), **clean_category_data(application.category, data)}
        application.data = merged
    if evaluation_mode is not None and evaluation_mode != application.evaluation_mode:
        if evaluation_mode not in Application.EvaluationMode.values:
            raise ValidationError({"evaluation_mode": ["请选择评价方式（自评价或第三方评价）。"]})
        _check_mode(
            NoticeCategory.objects.get(notice=application.notice, category=application.category), evaluation_mode
        )
        engagement = application.engagements.filter(status__in=["pending", "accepted"]).first()
        if evaluation_mode == Application.EvaluationMode.SELF and engagement:
            raise ValidationError({"evaluation_mode": ["已委托第三方评价机构，请先撤销委托再改为自评价。"]})
        application.evaluation_mode = evaluation_mode
    if self_evaluation_person is not None:
        application.self_evaluation_person = self_evaluation_person.strip()[:64]
    if self_evaluation_org is not None or self_evaluation_person is not None:
        application.self_evaluation_org = self_evaluation_org
        _check_independence(application, application.engagements.filter(status__in=["pending", "accepted"]).first())
    application.save()
    facts_changed([application.pk])
    audit_record(
        actor=actor, verb="application.update", target=application, organization=application.applicant, request=request
    )
    return application


@transaction.atomic
def declarations_save(*, actor, application: Application, answers: dict, request=None) -> list[Declaration]:
    """answers: {item code: {"occurred": bool, "note": str}}; a declared situation needs an explanation."""
    application = _locked(application)
    _require_applicant(actor, application)
    _require_editable(application)
    errors = {}
    saved = []
    for code, answer in answers.items():
        if code not in NegativeItem.values:
            errors[code] = ["未知的负面清单事项。"]
            continue
        occurred = answer.get("occurred")
        if occurred not in (True, False):
            errors[code] = ["请选择“有”或“无”。"]
            continue
        note = (answer.get("note") or "").strip()
        if occurred and not note:
            errors[code] = ["存在该情形的，请说明具体情况。"]
            continue
        decl, _ = Declaration.objects.update_or_create(
            application=application, item=code, defaults={"occurred": occurred, "note": note, "answered_by": actor}
        )
        saved.append(decl)
    if errors:
        raise ValidationError(errors)
    facts_changed([application.pk])
    audit_record(
        actor=actor,
        verb="application.declare",
        target=application,
        organization=application.applicant,
        after=str(sum(1 for d in saved if d.occurred)),
        request=request,
    )
    return saved


@transaction.atomic
def commitment_sign(*, actor, application: Application, signer: str, request=None) -> Application:
    application = _locked(application)
    _require_applicant(actor, application)
    _require_editable(application)
    if not (signer or "").strip():
        raise ValidationError({"signer": ["请填写承诺人（法定代表人或授权代表）姓名。"]})
    if Declaration.objects.filter(application=application).count() < len(NegativeItem.values):
        raise ValidationError("请先逐项回答负面清单声明，再签署承诺书。")
    application.commitment_signer = signer.strip()[:64]
    application.commitment_signed_at = timezone.now()
    application.commitment_signed_by = actor
    application.save(update_fields=["commitment_signer", "commitment_signed_at", "commitment_signed_by", "updated_at"])
    audit_record(
        actor=actor, verb="application.commit", target=application, organization=application.applicant, request=request
    )
    return application


def _add_version(*, actor, application, kind, upload, accepted, max_bytes, material=None, organization=None):
    detected = check_upload(upload, accepted=accepted, max_bytes=max_bytes)
    name, sha = store_upload(upload, folder="applications", kind=detected)
    try:
        with transaction.atomic():
            latest = (
                MaterialFile.objects.select_for_update()
                .filter(application=application, kind=kind)
                .order_by("-version")
                .first()
            )
            MaterialFile.objects.filter(application=application, kind=kind, is_current=True).update(is_current=False)
            record = MaterialFile(
                application=application,
                material=material,
                kind=kind,
                version=(latest.version + 1) if latest else 1,
                original_name=safe_name(upload.name),
                content_type=CONTENT_TYPES[detected],
                size=upload.size,
                sha256=sha,
                uploaded_by=actor,
                uploaded_by_org=organization,
            )
            record.file.name = name
            record.save()
    except Exception:
        from django.core.files.storage import default_storage

        default_storage.delete(name)  # nothing stored half-way
        raise
    return record


@transaction.atomic
def material_upload(*, actor, application: Application, kind: str, upload, request=None) -> MaterialFile:
    """Upload one required material (kind = the material's id). A re-upload becomes a new version."""
    application = _locked(application)
    _require_applicant(actor, application)
    _require_editable(application)
    if kind == THIRD_PARTY_REPORT:
        raise PermissionDenied("第三方评价报告只能由受委托的评价机构上传。")
    material = RequiredMaterial.objects.filter(
        pk=int(kind) if str(kind).isdigit() else 0,
        notice_category__notice_id=application.notice_id,
        notice_category__category=application.category,
    ).first()
    if material is None:
        raise ValidationError({"kind": ["该通知对此申报类别没有这项材料要求。"]})
    record = _add_version(
        actor=actor,
        application=application,
        kind=str(material.pk),
        upload=upload,
        accepted=material.types,
        max_bytes=material.max_size_mb * 1024 * 1024,
        material=material,
        organization=application.applicant,
    )
    audit_record(
        actor=actor,
        verb="application.upload",
        target=application,
        organization=application.applicant,
        after=f"{material.pk}:v{record.version}",
        reason=material.name,
        request=request,
    )
    return record


def _check_independence(application: Application, engagement: Engagement | None) -> None:
    """002: an assessor must not have taken part in writing the applicant's self-evaluation."""
    if engagement is None:
        return
    if application.self_evaluation_org_id and application.self_evaluation_org_id == engagement.assessor_id:
        raise ValidationError(f"“{engagement.assessor.name}”编制了本单位的自评价报告，不能再作为第三方评价机构。")
    if (
        engagement.lead_assessor
        and application.self_evaluation_person
        and engagement.lead_assessor.strip() == application.self_evaluation_person.strip()
    ):
        raise ValidationError(f"“{engagement.lead_assessor}”编制了自评价报告，不能担任第三方评价项目负责人。")


@transaction.atomic
def engagement_request(*, actor, application: Application, assessor: Organization, request=None) -> Engagement:
    application = _locked(application)
    _require_applicant(actor, application)
    _require_editable(application)
    if application.evaluation_mode != Application.EvaluationMode.THIRD_PARTY:
        raise ValidationError("评价方式为自评价，无需委托第三方评价机构。")
    if assessor.kind != Organization.Kind.ASSESSOR or not assessor.is_active:
        raise ValidationError({"assessor": ["请选择登记在册的第三方评价机构。"]})
    if assessor.pk == application.applicant_id:
        raise ValidationError({"assessor": ["申报单位不能评价自己。"]})
    engagement = Engagement(application=application, assessor=assessor, requested_by=actor)
    _check_independence(application, engagement)
    try:
        with transaction.atomic():
            engagement.save()
    except IntegrityError as exc:
        raise ValidationError("已有待接受或已接受的委托，请先撤销原委托。") from exc
    grant_view(application, assessor)
    facts_changed([application.pk])
    audit_record(
        actor=actor,
        verb="engagement.request",
        target=application,
        organization=application.applicant,
        after=str(assessor.pk),
        request=request,
    )
    notification_send(
        recipients=members(assessor),
        organization=assessor,
        email=True,
        title=f"新的评价委托：{application.applicant.name}",
        body=f"{application.applicant.name}委托贵机构开展{application.get_category_display()}评价，请登录门户接受或拒绝。",
        url=f"/engagements/{engagement.pk}/",
    )
    return engagement


@transaction.atomic
def engagement_respond(
    *, actor, engagement: Engagement, accept: bool, reason: str = "", lead_assessor: str = "", request=None
) -> Engagement:
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    if not is_member(actor, engagement.assessor):
        raise PermissionDenied("只有受委托的评价机构可以答复。")
    if engagement.status != Engagement.Status.PENDING:
        raise ValidationError(f"该委托{engagement.get_status_display()}，不能再答复。")
    application = engagement.application
    if accept:
        engagement.lead_assessor = (lead_assessor or "").strip()[:64]
        _check_independence(application, engagement)
        engagement.status = Engagement.Status.ACCEPTED
    else:
        if not (reason or "").strip():
            raise ValidationError({"reason": ["请填写拒绝理由。"]})
        engagement.status = Engagement.Status.DECLINED
        engagement.decline_reason = reason.strip()
        if engagement.assessor.group_id:
            remove_perm("applications.view_application", engagement.assessor.group, application)
    engagement.responded_by = actor
    engagement.responded_at = timezone.now()
    engagement.save()
    facts_changed([application.pk])
    audit_record(
        actor=actor,
        verb="engagement.accept" if accept else "engagement.decline",
        target=application,
        organization=engagement.assessor,
        reason=engagement.decline_reason,
        request=request,
    )
    notification_send(
        recipients=members(application.applicant),
        organization=application.applicant,
        email=True,
        title=f"{engagement.assessor.name}已{'接受' if accept else '拒绝'}评价委托",
        body=engagement.decline_reason,
        url=f"/applications/{application.pk}/",
    )
    return engagement


@transaction.atomic
def engagement_cancel(*, actor, engagement: Engagement, request=None) -> Engagement:
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    application = engagement.application
    _require_applicant(actor, application)
    _require_editable(application)
    if not engagement.is_active:
        raise ValidationError("该委托已结束。")
    engagement.status = Engagement.Status.CANCELLED
    engagement.save(update_fields=["status"])
    if engagement.assessor.group_id:
        remove_perm("applications.view_application", engagement.assessor.group, application)
    facts_changed([application.pk])
    audit_record(
        actor=actor, verb="engagement.cancel", target=application, organization=application.applicant, request=request
    )
    return engagement


@transaction.atomic
def engagement_report(*, actor, engagement: Engagement, score, upload, request=None) -> MaterialFile:
    """Only the commissioned assessor uploads the third-party report and its score."""
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    if not is_member(actor, engagement.assessor):
        raise PermissionDenied("只有受委托的评价机构可以上传第三方评价报告。")
    if engagement.status != Engagement.Status.ACCEPTED:
        raise ValidationError("请先接受委托，再上传评价报告。")
    application = _locked(engagement.application)
    _require_editable(application)
    _check_independence(application, engagement)
    try:
        value = Decimal(str(score))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError({"score": ["请填写第三方评价得分（0–100）。"]}) from exc
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValidationError({"score": ["第三方评价得分应在 0 至 100 之间。"]})
    record = _add_version(
        actor=actor,
        application=application,
        kind=THIRD_PARTY_REPORT,
        upload=upload,
        accepted=REPORT_TYPES,
        max_bytes=REPORT_MAX_BYTES,
        organization=engagement.assessor,
    )
    engagement.score = value.quantize(Decimal("0.1"))
    engagement.report_submitted_at = timezone.now()
    engagement.save(update_fields=["score", "report_submitted_at"])
    application.data = {**(application.data or {}), "third_party_score": float(engagement.score)}
    application.save(update_fields=["data", "updated_at"])
    facts_changed([application.pk])
    audit_record(
        actor=actor,
        verb="engagement.report",
        target=application,
        organization=engagement.assessor,
        after=f"v{record.version}:{engagement.score}",
        request=request,
    )
    notification_send(
        recipients=members(application.applicant),
        organization=application.applicant,
        email=True,
        title=f"{engagement.assessor.name}已上传第三方评价报告",
        body=f"得分：{engagement.score}",
        url=f"/applications/{application.pk}/",
    )
    return record
