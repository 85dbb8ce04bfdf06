"""Every write to notices, their categories, materials, quotas, deadlines and extensions."""

import uuid
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from activity.services import audit_record, notification_send
from greenmfg.uploads import CONTENT_TYPES, check_upload, safe_name
from organizations.models import Organization
from organizations.selectors import authority_subtree_ids

from .models import (
    Category,
    Deadline,
    Extension,
    Notice,
    NoticeAttachment,
    NoticeCategory,
    Quota,
    RequiredMaterial,
)
from .selectors import can_issue, deadline_for

NOTICE_FIELDS = ("year", "title", "doc_number", "list_level", "body", "issued_on")
CATEGORY_OPTIONS = ("self_evaluation_allowed", "third_party_allowed", "assessor_cap", "cap_basis", "cap_period")
MATERIAL_FIELDS = ("name", "description", "required", "accepted_types", "max_size_mb", "position")
ATTACHMENT_TYPES = ["pdf", "docx", "xlsx", "jpg", "png"]
ATTACHMENT_MAX_BYTES = 50 * 1024 * 1024


class DeadlinePassed(ValidationError):
    """A late action: refused, with the deadline named."""


def format_moment(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"


def _require_issuer(actor, authority: Organization) -> None:
    if not can_issue(actor, authority):
        raise PermissionDenied(f"您无权以“{authority.name}”的名义办理通知。")


def _require_draft(notice: Notice) -> None:
    if notice.status != Notice.Status.DRAFT:
        raise ValidationError("通知已发布，不能再修改；截止时间需要调整的，请为相关单位办理延期。")


def _locked(notice: Notice) -> Notice:
    return Notice.objects.select_for_update(of=("self",)).select_related("issuer", "forwards").get(pk=notice.pk)


@transaction.atomic
def notice_create(*, actor, issuer: Organization, categories=(), request=None, **fields) -> Notice:
    _require_issuer(actor, issuer)
    if issuer.kind != Organization.Kind.AUTHORITY:
        raise ValidationError({"issuer": ["发文机关必须是工业和信息化主管部门。"]})
    notice = Notice(
        issuer=issuer,
        created_by=actor if getattr(actor, "pk", None) else None,
        **{k: v for k, v in fields.items() if k in NOTICE_FIELDS},
    )
    _validate_notice(notice)
    notice.save()
    for category in categories:
        NoticeCategory.objects.create(notice=notice, category=category)
    audit_record(
        actor=actor, verb="notice.create", target=notice, organization=issuer, after=notice.status, request=request
    )
    return notice


def _validate_notice(notice: Notice) -> None:
    errors = {}
    if not notice.title or not notice.title.strip():
        errors["title"] = ["请填写通知标题。"]
    if not notice.year or not 2000 <= int(notice.year) <= 2100:
        errors["year"] = ["请填写有效的年度（如 2024）。"]
    if notice.list_level not in Notice.ListLevel.values:
        errors["list_level"] = ["请选择名单层级（市级、省级或国家级）。"]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def notice_update(*, actor, notice: Notice, request=None, **fields) -> Notice:
    notice = _locked(notice)
    _require_issuer(actor, notice.issuer)
    _require_draft(notice)
    for key, value in fields.items():
        if key in NOTICE_FIELDS:
            setattr(notice, key, value)
    _validate_notice(notice)
    notice.save()
    audit_record(actor=actor, verb="notice.update", target=notice, organization=notice.issuer, request=request)
    return notice


@transaction.atomic
def notice_category_set(*, actor, notice: Notice, category: str, request=None, **options) -> NoticeCategory:
    notice = _locked(notice)
    _require_issuer(actor, notice.issuer)
    _require_draft(notice)
    if category not in Category.values:
        raise ValidationError({"category": [f"未知的申报类别：{category}"]})
    if notice.forwards_id and not notice.forwards.categories.filter(category=category).exists():
        raise ValidationError({"category": [f"上级通知未开放“{Category(category).label}”，转发通知不能增加该类别。"]})
    values = {k: v for k, v in options.items() if k in CATEGORY_OPTIONS}
    if values.get("self_evaluation_allowed") is False and values.get("third_party_allowed") is False:
        raise ValidationError({"third_party_allowed": ["自评价和第三方评价至少要允许一种。"]})
    if "assessor_cap" in values and (values["assessor_cap"] is None or int(values["assessor_cap"]) < 1):
        raise ValidationError({"assessor_cap": ["第三方机构评价项目上限至少为 1。"]})
    item, created = NoticeCategory.objects.update_or_create(notice=notice, category=category, defaults=values)
    audit_record(
        actor=actor,
        verb="notice.category_set",
        target=notice,
        organization=notice.issuer,
        after=category,
        request=request,
    )
    return item


@transaction.atomic
def notice_category_remove(*, actor, notice_category: NoticeCategory, request=None) -> None:
    notice = _locked(notice_category.notice)
    _require_issuer(actor, notice.issuer)
    _require_draft(notice)
    audit_record(
        actor=actor,
        verb="notice.category_remove",
        target=notice,
        organization=notice.issuer,
        before=notice_category.category,
        request=request,
    )
    notice_category.delete()


def _validate_material(material: RequiredMaterial) -> None:
    errors = {}
    if not material.name.strip():
        errors["name"] = ["请填写材料名称。"]
    types = material.types
    unknown = [t for t in types if t not in RequiredMaterial.FileType.values]
    if not types or unknown:
        errors["accepted_types"] = [
            f"文件类型只能是 pdf、docx、xlsx、jpg、png{'；不认识：' + '、'.join(unknown) if unknown else ''}。"
        ]
    if not material.max_size_mb or not 1 <= material.max_size_mb <= 500:
        errors["max_size_mb"] = ["大小上限应在 1 至 500 MB 之间。"]
    if errors:
        raise ValidationError(errors)
    material.accepted_types = ",".join(dict.fromkeys(types))


@transaction.atomic
def material_save(
    *, actor, notice_category: NoticeCategory, material: RequiredMaterial | None = None, request=None, **fields
) -> RequiredMaterial:
    notice = _locked(notice_category.notice)
    _require_issuer(actor, notice.issuer)
    _require_draft(notice)
    material = material or RequiredMaterial(notice_category=notice_category)
    for key, value in fields.items():
        if key in MATERIAL_FIELDS:
            setattr(material, key, value)
    _validate_material(material)
    material.save()
    audit_record(
        actor=actor,
        verb="notice.material_save",
        target=notice,
        organization=notice.issuer,
        after=material.name[:64],
        request=request,
    )
    return material


@transaction.atomic
def material_remove(*, actor, material: RequiredMaterial, request=None) -> None:
    notice = _locked(material.notice_category.notice)
    _require_issuer(actor, notice.issuer)
    _require_draft(notice)
    audit_record(
        actor=actor,
        verb="notice.material_remove",
        target=notice,
        organization=notice.issuer,
        before=material.name[:64],
        request=request,
    )
    material.delete()


@transaction.atomic
def quota_set(
    *, actor, notice_category: NoticeCategory, authority: Organization, limit: int | None, request=None
) -> Quota | None:
    """Allot a receiving authority its quota; an empty limit removes it (no cap)."""
    notice = _locked(notice_category.notice)
    _require_issuer(actor, notice.issuer)
    if authority.kind != Organization.Kind.AUTHORITY or authority.parent_id != notice.issuer_id:
        raise ValidationError({"authority": [f"名额只能分配给向“{notice.issuer.name}”报送的下级主管部门。"]})
    if limit is None:
        Quota.objects.filter(notice_category=notice_category, authority=authority).delete()
        quota = None
    else:
        if int(limit) < 0:
            raise ValidationError({"limit": ["推荐名额不能为负数。"]})
        quota, _ = Quota.objects.update_or_create(
            notice_category=notice_category, authority=authority, defaults={"limit": int(limit)}
        )
    audit_record(
        actor=actor,
        verb="notice.quota_set",
        target=notice,
        organization=notice.issuer,
        after=f"{authority.pk}:{'' if limit is None else limit}",
        request=request,
    )
    return quota


def upper_deadline(notice: Notice):
    """The issuer's own deadline to its parent, from the notice it forwards (None when not forwarding)."""
    if not notice.forwards_id:
        return None
    return deadline_for(notice=notice.forwards, organization=notice.issuer, stage=Deadline.Stage.AUTHORITY)


@transaction.atomic
def deadline_set(
    *,
    actor,
    notice: Notice,
    stage: str,
    due_at: datetime,
    authority: Organization | None = None,
    note: str = "",
    request=None,
) -> Deadline:
    notice = _locked(notice)
    _require_issuer(actor, notice.issuer)
    _require_draft(notice)
    if stage not in Deadline.Stage.values:
        raise ValidationError({"stage": ["请选择环节。"]})
    if due_at is None or timezone.is_naive(due_at):
        raise ValidationError({"due_at": ["请填写截止日期和时间（北京时间）。"]})
    if authority is not None:
        if stage == Deadline.Stage.AUTHORITY and authority.parent_id != notice.issuer_id:
            raise ValidationError({"authority": [f"“{authority.name}”不向“{notice.issuer.name}”报送。"]})
        if stage == Deadline.Stage.APPLICANT and authority.pk not in authority_subtree_ids([notice.issuer_id]):
            raise ValidationError({"authority": [f"“{authority.name}”不在“{notice.issuer.name}”辖区内。"]})
    upper = upper_deadline(notice)
    if upper is not None and due_at > upper.due_at:
        raise ValidationError(
            {
                "due_at": [
                    f"截止时间不能晚于上级通知规定的本单位报送截止时间{format_moment(upper.due_at)}"
                    f"（{upper.notice.issuer.name}）。"
                ]
            }
        )
    deadline, _ = Deadline.objects.update_or_create(
        notice=notice, stage=stage, authority=authority, defaults={"due_at": due_at, "note": note}
    )
    audit_record(
        actor=actor,
        verb="notice.deadline_set",
        target=notice,
        organization=notice.issuer,
        after=f"{stage}:{timezone.localtime(due_at):%Y-%m-%d %H:%M:%S}",
        request=request,
    )
    return deadline


@transaction.atomic
def deadline_remove(*, actor, deadline: Deadline, request=None) -> None:
    notice = _locked(deadline.notice)
    _require_issuer(actor, notice.issuer)
    _require_draft(notice)
    audit_record(
        actor=actor,
        verb="notice.deadline_remove",
        target=notice,
        organization=notice.issuer,
        before=deadline.stage,
        request=request,
    )
    deadline.delete()


def deadline_enforce(*, notice: Notice, organization: Organization, stage: str, at: datetime | None = None):
    """Refuse a late action. Every service that submits something calls this, in Asia/Shanghai time."""
    effective = deadline_for(notice=notice, organization=organization, stage=stage)
    if effective is not None and effective.is_past(at):
        extended = "（含延期）" if effective.extension else ""
        raise DeadlinePassed(
            f"已超过截止时间{format_moment(effective.due_at)}{extended}"
            f"（{effective.notice.issuer.name}《{effective.notice.title}》），逾期则视为无申报企业。",
            code="deadline_passed",
        )
    return effective


@transaction.atomic
def extension_grant(
    *, actor, deadline: Deadline, organization: Organization, new_due_at: datetime, reason: str, request=None
) -> Extension:
    notice = _locked(deadline.notice)
    _require_issuer(actor, notice.issuer)
    if notice.status == Notice.Status.DRAFT:
        raise ValidationError("通知尚未发布，请直接修改截止时间，无需办理延期。")
    if notice.status == Notice.Status.CLOSED:
        raise ValidationError("通知已结束，不能再批准延期。")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["请填写延期理由。"]})
    if new_due_at is None or new_due_at <= deadline.due_at:
        raise ValidationError({"new_due_at": [f"延期后的截止时间应晚于原截止时间{format_moment(deadline.due_at)}。"]})
    if deadline.stage == Deadline.Stage.AUTHORITY:
        ok = organization.kind == Organization.Kind.AUTHORITY and organization.parent_id == notice.issuer_id
    else:
        ok = organization.is_applicant and organization.competent_authority_id in authority_subtree_ids(
            [notice.issuer_id]
        )
    if deadline.authority_id and ok:
        scope = organization.pk if deadline.stage == Deadline.Stage.AUTHORITY else organization.competent_authority_id
        ok = scope == deadline.authority_id
    if not ok:
        raise ValidationError({"organization": [f"该截止时间不适用于“{organization.name}”，无需延期。"]})
    upper = upper_deadline(notice)
    if upper is not None and new_due_at > upper.due_at:
        raise ValidationError(
            {"new_due_at": [f"延期不能晚于本单位向上级报送的截止时间{format_moment(upper.due_at)}。"]}
        )
    extension = Extension.objects.create(
        deadline=deadline, organization=organization, new_due_at=new_due_at, reason=reason.strip(), granted_by=actor
    )
    audit_record(
        actor=actor,
        verb="notice.extension_grant",
        target=notice,
        organization=notice.issuer,
        before=f"{timezone.localtime(deadline.due_at):%Y-%m-%d %H:%M:%S}",
        after=f"{timezone.localtime(new_due_at):%Y-%m-%d %H:%M:%S}",
        reason=reason,
        request=request,
    )
    users = [m.user for m in organization.memberships.filter(is_active=True).select_related("user")]
    notification_send(
        recipients=users,
        organization=organization,
        email=True,
        title=f"《{notice.title}》截止时间已延期",
        body=f"{notice.issuer.name}同意贵单位延期至{format_moment(new_due_at)}。理由：{reason.strip()}",
        url=f"/notices/{notice.pk}/",
    )
    return extension


@transaction.atomic
def notice_publish(*, actor, notice: Notice, request=None) -> Notice:
    notice = _locked(notice)
    _require_issuer(actor, notice.issuer)
    _require_draft(notice)
    problems = []
    if not notice.categories.exists():
        problems.append("至少开放一个申报类别。")
    if not notice.deadlines.exists():
        problems.append("至少设置一个截止时间。")
    if notice.forwards_id and notice.forwards.status != Notice.Status.PUBLISHED:
        problems.append("所转发的上级通知已结束或尚未发布。")
    upper = upper_deadline(notice)
    if upper is not None:
        late = [d for d in notice.deadlines.all() if d.due_at > upper.due_at]
        if late:
            problems.append(f"有截止时间晚于上级规定的{format_moment(upper.due_at)}。")
    if problems:
        raise ValidationError("通知不能发布：" + "".join(problems))
    notice.status = Notice.Status.PUBLISHED
    notice.published_at = timezone.now()
    notice.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        verb="notice.publish",
        target=notice,
        organization=notice.issuer,
        before=Notice.Status.DRAFT,
        after=Notice.Status.PUBLISHED,
        request=request,
    )
    from .tasks import notify_notice_published

    transaction.on_commit(lambda: notify_notice_published.delay(notice.pk))
    return notice


def notice_notify_jurisdiction(*, notice_id: int) -> int:
    """Tell every active member of every organization under the issuer (run by a task after publishing)."""
    from organizations.models import Membership

    notice = Notice.objects.select_related("issuer").get(pk=notice_id)
    subtree = authority_subtree_ids([notice.issuer_id])
    users = {}
    for m in (
        Membership.objects.filter(is_active=True, organization__is_active=True)
        .filter(organization_id__in=subtree)
        .exclude(organization_id=notice.issuer_id)
        .select_related("user")
    ):
        users[m.user_id] = m.user
    for m in Membership.objects.filter(is_active=True, organization__competent_authority_id__in=subtree).select_related(
        "user"
    ):
        users[m.user_id] = m.user
    already = set(notice_recipients_notified(notice))
    recipients = [u for uid, u in users.items() if uid not in already]
    notification_send(
        recipients=recipients,
        title=f"新通知：{notice.title}",
        email=True,
        url=f"/notices/{notice.pk}/",
        body=f"{notice.issuer.name}发布了《{notice.title}》{('（' + notice.doc_number + '）') if notice.doc_number else ''}，请登录门户查看要求和截止时间。",
    )
    return len(recipients)


def notice_recipients_notified(notice: Notice):
    from activity.models import Notification

    return Notification.objects.filter(url=f"/notices/{notice.pk}/", title=f"新通知：{notice.title}").values_list(
        "recipient_id", flat=True
    )


@transaction.atomic
def notice_forward(*, actor, notice: Notice, authority: Organization, request=None) -> Notice:
    """The authority forwards its parent's published notice: a draft of its own, categories and materials copied."""
    _require_issuer(actor, authority)
    if notice.status != Notice.Status.PUBLISHED:
        raise ValidationError("只能转发已发布且未结束的通知。")
    if authority.parent_id != notice.issuer_id:
        raise ValidationError(f"“{authority.name}”不直接向“{notice.issuer.name}”报送，不能转发该通知。")
    existing = Notice.objects.filter(issuer=authority, forwards=notice).first()
    if existing:
        raise ValidationError(f"本单位已转发过该通知（{existing.get_status_display()}），请直接编辑。")
    try:
        with transaction.atomic():
            copy = Notice.objects.create(
                year=notice.year,
                issuer=authority,
                forwards=notice,
                list_level=notice.list_level,
                title=f"关于转发{notice.issuer.name}《{notice.title}》的通知",
                body="",
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        raise ValidationError("本单位已转发过该通知。") from exc
    for cat in notice.categories.prefetch_related("materials"):
        new_cat = NoticeCategory.objects.create(
            notice=copy, category=cat.category, **{k: getattr(cat, k) for k in CATEGORY_OPTIONS}
        )
        RequiredMaterial.objects.bulk_create(
            [
                RequiredMaterial(notice_category=new_cat, **{k: getattr(m, k) for k in MATERIAL_FIELDS})
                for m in cat.materials.all()
            ]
        )
    audit_record(
        actor=actor,
        verb="notice.forward",
        target=copy,
        organization=authority,
        before=str(notice.pk),
        after=copy.status,
        request=request,
    )
    return copy


@transaction.atomic
def notice_close(*, actor, notice: Notice, request=None) -> Notice:
    notice = _locked(notice)
    _require_issuer(actor, notice.issuer)
    if notice.status != Notice.Status.PUBLISHED:
        raise ValidationError("只有已发布的通知可以结束。")
    notice.status = Notice.Status.CLOSED
    notice.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        verb="notice.close",
        target=notice,
        organization=notice.issuer,
        before=Notice.Status.PUBLISHED,
        after=Notice.Status.CLOSED,
        request=request,
    )
    return notice


@transaction.atomic
def attachment_add(*, actor, notice: Notice, upload, name: str = "", request=None) -> NoticeAttachment:
    notice = _locked(notice)
    _require_issuer(actor, notice.issuer)
    kind = check_upload(upload, accepted=ATTACHMENT_TYPES, max_bytes=ATTACHMENT_MAX_BYTES)
    attachment = NoticeAttachment(
        notice=notice,
        name=safe_name(name or upload.name, default="附件")[:200],
        content_type=CONTENT_TYPES[kind],
        size=upload.size,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    # Random storage name; the original name is kept only for display.
    attachment.file.save(f"{uuid.uuid4().hex}.{kind}", upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    audit_record(
        actor=actor,
        verb="notice.attachment_add",
        target=notice,
        organization=notice.issuer,
        after=attachment.name[:64],
        request=request,
    )
    return attachment
