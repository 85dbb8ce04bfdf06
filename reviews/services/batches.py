"""Recommendation batches (推荐批次): an authority ranks its recommended applications, checks them against quotas,
the assessor cap and its deadline, uploads the stamped scan and submits them to the authority it reports to.

Every application moves through the one workflow entry point (transition_perform: `forward` when submitted,
`return_lower` when the recipient returns the whole batch). The batch row itself changes with a conditional update
on its version, so two people submitting or receiving at once cannot both win.
"""

from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from activity.services import audit_record, notification_send
from applications.models import Application, State
from applications.services import members
from greenmfg.uploads import check_upload, safe_name, store_upload
from notices.models import Deadline, Notice
from notices.services import deadline_enforce
from organizations.models import Membership, Organization
from organizations.selectors import memberships_of

from ..models import Batch, BatchItem, Referral
from ..selectors.batch_findings import (  # noqa: F401 (re-exported: pages, API and tests import them from here)
    DOCUMENTS_PENDING,
    ERROR,
    INFO,
    LEVEL_LABELS,
    WARNING,
    Finding,
    batch_deadline,
    batch_findings,
    family_ids,
)
from .transitions import TransitionConflict, transition_perform

DECIDING = (Membership.Role.APPROVER, Membership.Role.ADMIN)
ACTIVE_STATES = (Batch.State.DRAFT, Batch.State.SUBMITTED, Batch.State.RECEIVED)
SENT_STATES = (Batch.State.SUBMITTED, Batch.State.RECEIVED)
SCAN_TYPES = ["pdf", "jpg", "png"]
SCAN_MAX_BYTES = 50 * 1024 * 1024


class BatchConflict(TransitionConflict):
    """Someone else changed the batch first."""


# ------------------------------------------------------------------------------------------------- helpers


def _has_role(user, organization_id: int, roles=None) -> bool:
    return any(
        m.organization_id == organization_id and (roles is None or m.role in roles) for m in memberships_of(user)
    )


def _require(user, organization: Organization, roles, what: str) -> None:
    if not _has_role(user, organization.pk, roles):
        who = "审批人或管理员" if roles else "人员"
        raise PermissionDenied(f"只有{organization.name}的{who}可以{what}。")


def _locked(batch: Batch) -> Batch:
    return (
        Batch.objects.select_for_update(of=("self",))
        .select_related("authority", "recipient", "notice")
        .get(pk=batch.pk)
    )


def _require_draft(batch: Batch, what: str) -> None:
    if batch.state != Batch.State.DRAFT:
        raise BatchConflict(f"批次当前为“{batch.get_state_display()}”，不能{what}。", code="conflict")


def _check_version(batch: Batch, expected_version: int | None) -> None:
    if expected_version is not None and batch.version != expected_version:
        raise BatchConflict(
            f"该批次已被他人修改，当前状态为“{batch.get_state_display()}”。请刷新后再操作。", code="conflict"
        )


def _bump(batch: Batch, **changes) -> None:
    """The conditional update that lets exactly one of two racing actors win."""
    updated = Batch.objects.filter(pk=batch.pk, state=batch.state, version=batch.version).update(
        version=F("version") + 1, **changes
    )
    if updated != 1:
        raise BatchConflict("该批次刚刚被他人处理，请刷新后再操作。", code="conflict")
    batch.refresh_from_db()


def _ids(applications) -> list[int]:
    ids = []
    for a in applications:
        pk = a.pk if isinstance(a, Application) else a
        try:
            ids.append(int(pk))
        except (TypeError, ValueError):
            raise ValidationError({"applications": [f"申报编号无效：{pk}"]}) from None
    return ids


def _checked_applications(authority: Organization, notice: Notice, applications, *, batch=None) -> list[Application]:
    """The applications in the given order, each held by the authority, recommended, of the notice's family and
    in no other active batch of the authority; every problem named."""
    ids = _ids(applications)
    if not ids:
        raise ValidationError({"applications": ["请至少选择一项已推荐的申报。"]})
    duplicates = sorted({pk for pk, n in Counter(ids).items() if n > 1})
    if duplicates:
        raise ValidationError({"applications": [f"申报重复列入：{'、'.join(map(str, duplicates))}"]})
    found = {a.pk: a for a in Application.objects.filter(pk__in=ids).select_related("applicant")}
    family = family_ids(notice)
    in_other = (
        BatchItem.objects.filter(application_id__in=ids, batch__authority=authority, batch__state__in=ACTIVE_STATES)
        .exclude(batch=batch)
        .select_related("batch", "application")
    )
    elsewhere = {}
    for item in in_other:
        # A sent batch keeps its items; one its recipient returned on its own is back here and may be sent again.
        if item.batch.state == Batch.State.DRAFT or item.application.holder_id != authority.pk:
            elsewhere[item.application_id] = item.batch
    problems, ordered = [], []
    for pk in ids:
        app = found.get(pk)
        if app is None or app.holder_id != authority.pk:
            problems.append(f"申报 {pk} 不在本单位办理中，不能列入批次。")
            continue
        name = f"{app.applicant.name}（{app.get_category_display()}）"
        if app.state != State.RECOMMENDED:
            problems.append(f"{name}当前为“{app.get_state_display()}”，只有本单位已推荐的申报可以列入批次。")
        if app.notice_id not in family:
            problems.append(f"{name}不属于《{notice.title}》这一轮通知，不能列入本批次。")
        if pk in elsewhere:
            problems.append(f"{name}已列入批次《{elsewhere[pk].title}》。")
        ordered.append(app)
    if problems:
        raise ValidationError({"applications": problems})
    return ordered


def _set_items(batch: Batch, applications: list[Application]) -> None:
    BatchItem.objects.filter(batch=batch).delete()
    BatchItem.objects.bulk_create(
        [BatchItem(batch=batch, application=a, rank=rank) for rank, a in enumerate(applications, start=1)]
    )


# --------------------------------------------------------------------------------------------- draft work


@transaction.atomic
def batch_create(
    *, actor, authority: Organization, notice: Notice, applications, title: str = "", request=None
) -> Batch:
    _require(actor, authority, DECIDING, "新建推荐批次")
    if authority.kind != Organization.Kind.AUTHORITY or authority.parent_id is None:
        raise ValidationError(f"{authority.name}没有上级主管部门，不需要报送推荐批次。")
    if notice.status == Notice.Status.DRAFT:
        raise ValidationError({"notice": ["通知尚未发布，不能据此报送。"]})
    # The authority row serializes numbering: max + 1 per (authority, year), no gaps.
    authority = Organization.objects.select_for_update(of=("self",)).select_related("parent").get(pk=authority.pk)
    ordered = _checked_applications(authority, notice, applications)
    number = (Batch.objects.filter(authority=authority, year=notice.year).aggregate(n=Max("number"))["n"] or 0) + 1
    title = (title or "").strip() or f"{authority.name}{notice.year}年度绿色制造名单第{number}批推荐"
    if len(title) > 200:
        raise ValidationError({"title": ["批次名称不能超过200字。"]})
    batch = Batch.objects.create(
        authority=authority,
        recipient=authority.parent,
        notice=notice,
        year=notice.year,
        number=number,
        title=title,
        created_by=actor,
    )
    _set_items(batch, ordered)
    audit_record(
        actor=actor,
        verb="batch.create",
        target=batch,
        organization=authority,
        after=",".join(str(a.pk) for a in ordered),
        request=request,
    )
    return batch


@transaction.atomic
def batch_items_set(*, actor, batch: Batch, applications, expected_version=None, request=None) -> Batch:
    """Reorder, add or remove: the given list becomes the batch's ranked items."""
    batch = _locked(batch)
    _require(actor, batch.authority, DECIDING, "调整推荐批次")
    _check_version(batch, expected_version)
    _require_draft(batch, "调整")
    before = ",".join(str(pk) for pk in batch.items.values_list("application_id", flat=True))
    ordered = _checked_applications(batch.authority, batch.notice, applications, batch=batch)
    _set_items(batch, ordered)
    _bump(batch)
    audit_record(
        actor=actor,
        verb="batch.update",
        target=batch,
        organization=batch.authority,
        before=before,
        after=",".join(str(a.pk) for a in ordered),
        request=request,
    )
    return batch


@transaction.atomic
def batch_delete(*, actor, batch: Batch, request=None) -> None:
    batch = _locked(batch)
    _require(actor, batch.authority, DECIDING, "删除推荐批次")
    _require_draft(batch, "删除")
    audit_record(actor=actor, verb="batch.delete", target=batch, organization=batch.authority, request=request)
    BatchItem.objects.filter(batch=batch).delete()
    batch.delete()


@transaction.atomic
def batch_scan_upload(*, actor, batch: Batch, upload, request=None) -> Batch:
    """The signed and stamped scan of the letter and summary table: PDF/JPG/PNG by content, with its sha256."""
    batch = _locked(batch)
    _require(actor, batch.authority, None, "上传盖章扫描件")
    _require_draft(batch, "上传扫描件")
    kind = check_upload(upload, accepted=SCAN_TYPES, max_bytes=SCAN_MAX_BYTES)
    name, sha = store_upload(upload, folder="batches", kind=kind)
    try:
        _bump(
            batch,
            scan=name,
            scan_name=safe_name(upload.name, default=f"扫描件.{kind}"),
            scan_sha256=sha,
            scan_uploaded_at=timezone.now(),
            scan_uploaded_by=actor,
        )
    except Exception:
        default_storage.delete(name)  # nothing stored on refusal
        raise
    audit_record(
        actor=actor,
        verb="batch.scan_upload",
        target=batch,
        organization=batch.authority,
        after=batch.scan_sha256,
        reason=batch.scan_name,
        request=request,
    )
    return batch


# ------------------------------------------------------------------------------------------------ findings


@transaction.atomic
def batch_submit(*, actor, batch: Batch, expected_version: int | None = None, request=None, at=None) -> Batch:
    batch = _locked(batch)
    _require(actor, batch.authority, DECIDING, "报送推荐批次")
    _check_version(batch, expected_version)
    _require_draft(batch, "报送")
    deadline_enforce(notice=batch.notice, organization=batch.authority, stage=Deadline.Stage.AUTHORITY, at=at)
    errors = [f.message for f in batch_findings(batch, at=at) if f.level == ERROR]
    if errors:
        raise ValidationError(errors)
    items = list(batch.items.select_related("application").order_by("rank", "id"))
    _bump(batch, state=Batch.State.SUBMITTED, submitted_at=timezone.now(), submitted_by=actor)
    for item in items:
        transition_perform(
            actor=actor, application=item.application, action="forward", batch=batch, internal=True, request=request
        )
    audit_record(
        actor=actor,
        verb="batch.submit",
        target=batch,
        organization=batch.authority,
        before=Batch.State.DRAFT,
        after=Batch.State.SUBMITTED,
        request=request,
    )
    notification_send(
        recipients=members(batch.recipient),
        organization=batch.recipient,
        title=f"收到推荐批次：{batch.title}",
        body=f"{batch.authority.name}报送{len(items)}项申报，请签收并审核。",
        url=f"/reviews/batches/{batch.pk}/",
    )
    return batch


@transaction.atomic
def batch_receive(*, actor, batch: Batch, expected_version: int | None = None, request=None) -> Batch:
    batch = _locked(batch)
    _require(actor, batch.recipient, None, "签收推荐批次")
    _check_version(batch, expected_version)
    if batch.state != Batch.State.SUBMITTED:
        raise BatchConflict(f"批次当前为“{batch.get_state_display()}”，不能签收。", code="conflict")
    _bump(batch, state=Batch.State.RECEIVED, received_at=timezone.now(), received_by=actor)
    audit_record(
        actor=actor,
        verb="batch.receive",
        target=batch,
        organization=batch.recipient,
        before=Batch.State.SUBMITTED,
        after=Batch.State.RECEIVED,
        request=request,
    )
    notification_send(
        recipients=members(batch.authority),
        organization=batch.authority,
        title=f"推荐批次已签收：{batch.title}",
        body=f"{batch.recipient.name}已签收。",
        url=f"/reviews/batches/{batch.pk}/",
    )
    return batch


@transaction.atomic
def batch_return(*, actor, batch: Batch, reason: str, expected_version: int | None = None, request=None) -> Batch:
    """The recipient sends the whole batch back: every application returns to the lower authority under review."""
    batch = _locked(batch)
    _require(actor, batch.recipient, DECIDING, "退回推荐批次")
    _check_version(batch, expected_version)
    if batch.state not in SENT_STATES:
        raise BatchConflict(f"批次当前为“{batch.get_state_display()}”，不能退回。", code="conflict")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["退回推荐批次须填写理由。"]})
    items = list(batch.items.select_related("application__applicant").order_by("rank", "id"))
    decided = (
        Referral.objects.filter(application__in=[i.application for i in items], authority=batch.recipient, batch=batch)
        .exclude(decision="")
        .select_related("application__applicant")
    )
    names = [r.application.applicant.name for r in decided]
    if names:
        raise ValidationError(
            f"本单位已对{'、'.join(names)}作出决定，不能再退回整个批次；可对尚未决定的申报逐项退回下级主管部门。"
        )
    _bump(batch, state=Batch.State.RETURNED, returned_at=timezone.now(), returned_by=actor, return_reason=reason)
    for item in items:
        transition_perform(
            actor=actor, application=item.application, action="return_lower", reason=reason, request=request
        )
    audit_record(
        actor=actor,
        verb="batch.return",
        target=batch,
        organization=batch.recipient,
        after=Batch.State.RETURNED,
        reason=reason,
        request=request,
    )
    notification_send(
        recipients=members(batch.authority),
        organization=batch.authority,
        email=True,
        title=f"推荐批次被退回：{batch.title}",
        body=f"{batch.recipient.name}：{reason}",
        url=f"/reviews/batches/{batch.pk}/",
    )
    return batch
