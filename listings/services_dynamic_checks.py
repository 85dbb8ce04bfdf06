"""Writes of dynamic management after the tables: on-site re-checks (现场复核) and removals (移出).

002 §二: where key indicators no longer meet the evaluation requirements, the authority organises an on-site
assessment and proposes an adjustment; units with accidents or violations are removed. 003 §三: units that should
leave the list are removed promptly and announced; listed units are re-checked on paper and partly on site.
# 002_3e46b5da0b2a2c6e.txt  # 003_32b3e8f77524ff49.txt

Who decides a removal: the authority that made the list (Listing.authority: a city list → that city, a province
list → the province, the national list → the ministry). Any authority whose jurisdiction holds the entry may
propose; when the proposer is the deciding authority it may decide at once. Deciding calls
listings.services.listing_remove, which sets the entry removed — the fact behind NEG-REMOVED.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from activity.services import audit_record
from applications.services import is_member
from organizations.models import Organization
from organizations.selectors import authority_ancestor_ids

from .models import DynamicReport, Listing, Recheck, Removal
from .selectors import listing_in_jurisdiction
from .services import listing_remove, may_decide
from .services_dynamic import notify_organizations

RESULTS = (Recheck.Conclusion.PASSED, Recheck.Conclusion.RECTIFY, Recheck.Conclusion.FAILED)


def _day(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _require_authority(actor, authority: Organization, listing: Listing, what: str) -> None:
    if authority.kind != Organization.Kind.AUTHORITY:
        raise PermissionDenied(f"只有工业和信息化主管部门可以{what}。")
    if not may_decide(actor, authority):
        raise PermissionDenied(f"只有{authority.name}的审核人或管理员可以{what}。")
    if not (
        listing_in_jurisdiction(listing, authority) or authority.pk in authority_ancestor_ids(listing.authority_id)
    ):
        raise PermissionDenied(f"{listing.display_name}不在{authority.name}的管辖范围内。")


def _check_source(listing: Listing, report: DynamicReport | None, recheck: Recheck | None = None) -> None:
    if report is not None and report.listing_id != listing.pk:
        raise ValidationError("所选动态管理表不属于该名单单位。")
    if recheck is not None and recheck.listing_id != listing.pk:
        raise ValidationError("所选复核记录不属于该名单单位。")


def _locked_listing(listing: Listing) -> Listing:
    locked = Listing.objects.select_for_update(of=("self",)).get(pk=listing.pk)
    locked.organization = Organization.objects.get(pk=locked.organization_id)
    locked.authority = Organization.objects.get(pk=locked.authority_id)
    return locked


# ------------------------------------------------------------------------------------------------------- re-checks


@transaction.atomic
def recheck_decide(
    *,
    actor,
    authority: Organization,
    listing: Listing,
    reason: str,
    planned_on: date | None = None,
    report: DynamicReport | None = None,
    request=None,
) -> Recheck:
    """Decide an on-site re-check of an entry (from a report or directly); the unit is told the planned date."""
    listing = _locked_listing(listing)
    _require_authority(actor, authority, listing, "决定现场复核")
    _check_source(listing, report)
    if listing.status != Listing.Status.ACTIVE:
        raise ValidationError(f"{listing.display_name}已移出名单，无需复核。")
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["请填写复核原因（如动态管理表中变差的指标、举报或事故情况）。"]
    today = timezone.localdate()
    if planned_on is not None and planned_on < today:
        errors["planned_on"] = [f"计划复核日期不能早于今天（{_day(today)}）。"]
    if errors:
        raise ValidationError(errors)
    pending = (
        Recheck.objects.filter(listing=listing, conclusion=Recheck.Conclusion.PENDING)
        .select_related("authority")
        .first()
    )
    if pending is not None:
        raise ValidationError(
            f"{pending.authority.name}已于{_day(timezone.localdate(pending.created_at))}决定对该单位现场复核，"
            "尚未记录结果；请先记录该次复核结果。"
        )
    recheck = Recheck.objects.create(
        listing=listing, report=report, authority=authority, reason=reason, planned_on=planned_on, decided_by=actor
    )
    audit_record(
        actor=actor,
        verb="recheck.decide",
        target=recheck,
        organization=authority,
        after=f"{recheck.conclusion}:{planned_on or ''}",
        reason=reason,
        request=request,
    )
    notify_organizations(
        [listing.organization_id],
        title="绿色制造名单现场复核通知",
        body=(
            f"{authority.name}决定对{listing}开展现场复核"
            + (f"，计划于{_day(planned_on)}进行" if planned_on else "")
            + f"。复核原因：{reason}"
        ),
        url=reverse("dynamic-recheck-detail", args=[recheck.pk]),
    )
    return recheck


@transaction.atomic
def recheck_record(
    *,
    actor,
    recheck: Recheck,
    done_on: date | None,
    inspectors: str,
    findings: str,
    conclusion: str,
    request=None,
) -> Recheck:
    """Record (or correct) the re-check's date, inspectors, findings and conclusion."""
    recheck = Recheck.objects.select_for_update(of=("self",)).get(pk=recheck.pk)
    authority = Organization.objects.get(pk=recheck.authority_id)
    listing = Listing.objects.select_related("organization").get(pk=recheck.listing_id)
    if not is_member(actor, authority):
        raise PermissionDenied(f"只有{authority.name}的人员可以记录复核结果。")
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    decided_on = timezone.localdate(recheck.created_at)
    if done_on is None:
        errors["done_on"] = ["请填写复核日期。"]
    elif done_on > today:
        errors["done_on"] = ["复核日期不能晚于今天。"]
    elif done_on < decided_on:
        errors["done_on"] = [f"复核日期不能早于决定复核的日期（{_day(decided_on)}）。"]
    inspectors = " ".join((inspectors or "").split())
    if not inspectors:
        errors["inspectors"] = ["请填写复核人员。"]
    elif len(inspectors) > 200:
        errors["inspectors"] = ["复核人员不超过200个字。"]
    findings = (findings or "").strip()
    if not findings:
        errors["findings"] = ["请填写复核情况。"]
    if conclusion not in RESULTS:
        errors["conclusion"] = ["请选择复核结论（复核通过、限期整改或复核不通过）。"]
    if errors:
        raise ValidationError(errors)
    before = recheck.conclusion
    recheck.done_on, recheck.inspectors, recheck.findings, recheck.conclusion = (
        done_on,
        inspectors,
        findings,
        conclusion,
    )
    recheck.recorded_by, recheck.recorded_at = actor, timezone.now()
    recheck.save(update_fields=["done_on", "inspectors", "findings", "conclusion", "recorded_by", "recorded_at"])
    audit_record(
        actor=actor,
        verb="recheck.record",
        target=recheck,
        organization=authority,
        before=before,
        after=conclusion,
        reason=findings,
        request=request,
    )
    notify_organizations(
        [listing.organization_id],
        title=f"现场复核结论：{recheck.get_conclusion_display()}",
        body=f"{authority.name}于{_day(done_on)}对{listing}进行了现场复核，结论：{recheck.get_conclusion_display()}。",
        url=reverse("dynamic-recheck-detail", args=[recheck.pk]),
    )
    return recheck


# -------------------------------------------------------------------------------------------------------- removals


@transaction.atomic
def removal_propose(
    *,
    actor,
    authority: Organization,
    listing: Listing,
    reason: str,
    report: DynamicReport | None = None,
    recheck: Recheck | None = None,
    decide_now: bool = False,
    effective_on: date | None = None,
    decision_note: str = "",
    request=None,
) -> Removal:
    """Propose removing an entry (from a report, a re-check or directly). The deciding authority is the one that made
    the list; when it is the proposer itself, `decide_now` decides at once (effective date, note)."""
    listing = _locked_listing(listing)
    _require_authority(actor, authority, listing, "提议移出名单")
    _check_source(listing, report, recheck)
    if listing.status != Listing.Status.ACTIVE:
        raise ValidationError(f"{listing.display_name}已于{listing.removed_on}移出名单。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["请填写移出理由。"]})
    deciding = listing.authority
    if decide_now and deciding.pk != authority.pk:
        raise ValidationError(f"该名单由{deciding.name}决定，移出须由{deciding.name}决定；请提交移出提议。")
    open_one = Removal.objects.filter(listing=listing, status=Removal.Status.PROPOSED).first()
    if open_one is not None:
        raise ValidationError(
            f"已有待决定的移出提议（{open_one.proposed_by_authority.name}，"
            f"{_day(timezone.localdate(open_one.proposed_at))}），不能重复提议。"
        )
    try:
        with transaction.atomic():
            removal = Removal.objects.create(
                listing=listing,
                report=report,
                recheck=recheck,
                reason=reason,
                proposed_by_authority=authority,
                proposed_by=actor,
                deciding_authority=deciding,
            )
    except IntegrityError as exc:
        raise ValidationError("已有待决定的移出提议，不能重复提议。") from exc
    audit_record(
        actor=actor,
        verb="removal.propose",
        target=removal,
        organization=authority,
        after=f"{removal.status}:{deciding.pk}",
        reason=reason,
        request=request,
    )
    if decide_now:
        return removal_decide(
            actor=actor,
            removal=removal,
            decision="decide",
            note=decision_note,
            effective_on=effective_on,
            request=request,
        )
    if deciding.pk != authority.pk:
        notify_organizations(
            [deciding.pk],
            title=f"移出名单提议：{listing.display_name}",
            body=f"{authority.name}提议将{listing}移出名单，请决定。理由：{reason}",
            url=reverse("dynamic-removal-detail", args=[removal.pk]),
        )
    return removal


@transaction.atomic
def removal_decide(
    *,
    actor,
    removal: Removal,
    decision: str,
    note: str = "",
    effective_on: date | None = None,
    request=None,
) -> Removal:
    """The deciding authority removes the entry (decision "decide", with the effective date) or rejects the
    proposal ("reject", with a note). The unit and the proposer are told."""
    removal = Removal.objects.select_for_update(of=("self",)).get(pk=removal.pk)
    deciding = Organization.objects.get(pk=removal.deciding_authority_id)
    proposer = Organization.objects.get(pk=removal.proposed_by_authority_id)
    listing = Listing.objects.select_related("organization", "authority").get(pk=removal.listing_id)
    if not may_decide(actor, deciding):
        raise PermissionDenied(f"只有{deciding.name}的审核人或管理员可以决定是否移出。")
    if removal.status != Removal.Status.PROPOSED:
        raise ValidationError(f"该移出提议已办结（{removal.get_status_display()}）。")
    note = (note or "").strip()
    today = timezone.localdate()
    if decision == "decide":
        effective_on = effective_on or today
        if effective_on > today:
            raise ValidationError({"effective_on": ["移出日期不能晚于今天。"]})
        listing_remove(
            actor=actor,
            listing=listing,
            authority=deciding,
            removed_on=effective_on,
            reason=removal.reason + (f"（{note}）" if note else ""),
            request=request,
        )
        removal.status, removal.effective_on = Removal.Status.DECIDED, effective_on
    elif decision == "reject":
        if not note:
            raise ValidationError({"note": ["不予移出的，请说明理由。"]})
        removal.status = Removal.Status.REJECTED
    else:
        raise ValidationError({"decision": ["请选择“决定移出”或“不予移出”。"]})
    removal.decided_by, removal.decided_at, removal.decision_note = actor, timezone.now(), note
    removal.save(update_fields=["status", "effective_on", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        verb="removal.decide" if decision == "decide" else "removal.reject",
        target=removal,
        organization=deciding,
        before=Removal.Status.PROPOSED,
        after=removal.status + (f":{effective_on}" if decision == "decide" else ""),
        reason=note or removal.reason,
        request=request,
    )
    url = reverse("dynamic-removal-detail", args=[removal.pk])
    if decision == "decide":
        notify_organizations(
            [listing.organization_id],
            title=f"{listing.display_name}已被移出绿色制造名单",
            body=(
                f"{deciding.name}决定自{_day(effective_on)}起将{listing}移出名单。理由：{removal.reason}"
                + (f"\n决定意见：{note}" if note else "")
            ),
            url=url,
        )
    if proposer.pk != deciding.pk:
        notify_organizations(
            [proposer.pk],
            title=f"移出提议已{'决定移出' if decision == 'decide' else '不予移出'}：{listing.display_name}",
            body=f"{deciding.name}对贵单位提议移出{listing}作出决定：{removal.get_status_display()}。{note}",
            url=url,
        )
    return removal
