"""The blacklist: reports not accepted for three years (001, 002, 003, 004)."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from activity.services import audit_record
from greenmfg.dates import years_after

from ..models import AssessorBlacklist, Organization
from ..selectors_registry import registry_assessors_visible_to
from .common import BLACKLIST_YEARS, _notify_assessor, _require_decider, assessor_facts_changed

# ------------------------------------------------------------------------------------------------ blacklist


@transaction.atomic
def blacklist_add(
    *,
    actor,
    authority: Organization,
    assessor: Organization,
    starts_on: date,
    ends_on: date | None = None,
    reason: str,
    notice_ref: str,
    request=None,
) -> AssessorBlacklist:
    """Blacklist an assessor for fraud: its reports are not accepted until `ends_on` (default three years)."""
    if authority.kind != Organization.Kind.AUTHORITY or authority.level not in (
        Organization.Level.PROVINCE,
        Organization.Level.MINISTRY,
    ):
        raise ValidationError("只有省级或部级工业和信息化主管部门可以将评价机构列入黑名单。")
    _require_decider(actor, authority, "将评价机构列入黑名单")
    if assessor.kind != Organization.Kind.ASSESSOR:
        raise ValidationError("只能将第三方评价机构列入黑名单。")
    if actor is not None and not registry_assessors_visible_to(actor).filter(pk=assessor.pk).exists():
        raise PermissionDenied("该评价机构不在本单位的评价机构名录中。")
    errors: dict[str, list[str]] = {}
    reason, notice_ref = (reason or "").strip(), (notice_ref or "").strip()
    if starts_on is None:
        errors["starts_on"] = ["请填写列入日期。"]
    else:
        ends_on = ends_on or years_after(starts_on, BLACKLIST_YEARS)
        if ends_on <= starts_on:
            errors["ends_on"] = ["期满日期应晚于列入日期。"]
    if not reason:
        errors["reason"] = ["请填写列入黑名单的理由（查实的弄虚作假或故意隐瞒问题）。"]
    if not notice_ref:
        errors["notice_ref"] = ["请填写通报或公告的文号。"]
    if errors:
        raise ValidationError(errors)
    entry = AssessorBlacklist.objects.create(
        assessor=assessor,
        authority=authority,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        notice_ref=notice_ref[:128],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        verb="assessor_blacklist.add",
        target=entry,
        organization=authority,
        after=f"{starts_on.isoformat()}~{ends_on.isoformat()}",
        reason=f"{notice_ref}：{reason}",
        request=request,
    )
    _notify_assessor(
        assessor,
        title=f"{authority.name}将{assessor.name}列入第三方评价机构黑名单",
        body=f"{notice_ref}。{starts_on:%Y年%m月%d日}至{ends_on:%Y年%m月%d日}（不含）期间不予采信其评价结果。理由：{reason}",
        url="/assessors/",
    )
    assessor_facts_changed([assessor.pk])
    return entry


@transaction.atomic
def blacklist_lift(
    *, actor, entry: AssessorBlacklist, reason: str, lifted_on: date | None = None, request=None
) -> AssessorBlacklist:
    """The deciding authority lifts an entry before its end; from `lifted_on` (default today) it no longer applies."""
    entry = (
        AssessorBlacklist.objects.select_for_update(of=("self",))
        .select_related("assessor", "authority")
        .get(pk=entry.pk)
    )
    _require_decider(actor, entry.authority, "将评价机构移出黑名单")
    today = timezone.localdate()
    lifted_on = lifted_on or today
    reason = (reason or "").strip()
    if entry.lifted_on is not None:
        raise ValidationError(f"该记录已于{entry.lifted_on:%Y年%m月%d日}移出黑名单。")
    if entry.ends_on <= today:
        raise ValidationError(f"该记录已于{entry.ends_on:%Y年%m月%d日}期满，无需移出。")
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["请填写移出黑名单的理由。"]
    if lifted_on > today:
        errors["lifted_on"] = ["移出日期不能晚于今天。"]
    elif lifted_on < entry.starts_on:
        errors["lifted_on"] = [f"移出日期不能早于列入日期（{entry.starts_on:%Y年%m月%d日}）。"]
    if errors:
        raise ValidationError(errors)
    entry.lifted_on = lifted_on
    entry.lift_reason = reason
    entry.lifted_by = actor if getattr(actor, "pk", None) else None
    entry.save(update_fields=["lifted_on", "lift_reason", "lifted_by"])
    audit_record(
        actor=actor,
        verb="assessor_blacklist.lift",
        target=entry,
        organization=entry.authority,
        after=lifted_on.isoformat(),
        reason=reason,
        request=request,
    )
    _notify_assessor(
        entry.assessor,
        title=f"{entry.authority.name}将{entry.assessor.name}移出黑名单",
        body=f"自{lifted_on:%Y年%m月%d日}起移出。理由：{reason}",
        url="/assessors/",
    )
    assessor_facts_changed([entry.assessor_id])
    return entry
